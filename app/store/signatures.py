"""Signatures kept beside what they sign: one CMS per (subject, version, role).

The subject is a prescription id (with its version) or a dispensing id (version 1). Signatures are the
non-repudiation the national rules require of the facility, the prescriber and the dispenser (section 9-1
steps 1 and 3, section 9-2 steps 1 and 2).
"""

from __future__ import annotations

import datetime as dt
import json

from app.signing import Signature, SignatureRole, SignerIdentity
from app.store.db import Database, json_dumps


class SignatureRepository:
    """The `signatures` table, shared by the prescription and dispensing repositories."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, subject: str, version: int, sig: Signature) -> None:
        """Keep `sig` for `subject` at `version`, replacing an earlier one of the same role (joins the
        caller's transaction)."""
        ident = {k: (v.value if hasattr(v, "value") else v) for k, v in vars(sig.signer).items() if v is not None}
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO signatures (subject, version, role, cms, signer, signed_at)"
                " VALUES (?,?,?,?,?,?)",
                (subject, version, sig.role.value, sig.cms, json_dumps(ident), sig.signed_at.isoformat()),
            )

    def of(self, subject: str, version: int = 1) -> list[Signature]:
        """The signatures kept for `subject` at `version`, ordered by role; empty when none."""
        rows = self.db.conn().execute(
            "SELECT role, cms, signer, signed_at FROM signatures WHERE subject = ? AND version = ? ORDER BY role",
            (subject, version),
        ).fetchall()
        out = []
        for role, cms, signer, signed_at in rows:
            ident = json.loads(signer)
            if ident.get("role"):
                ident["role"] = SignatureRole(ident["role"])
            out.append(
                Signature(
                    SignatureRole(role), bytes(cms), SignerIdentity(**ident), dt.datetime.fromisoformat(signed_at)
                )
            )
        return out
