"""Signatures kept beside what they sign: one CMS per (subject, version, role).

The subject is a prescription id (with its version) or a dispensing id (version 1). Signatures are the
non-repudiation the national rules require of the facility, the prescriber and the dispenser (section 9-1
steps 1 and 3, section 9-2 steps 1 and 2).

The signer's certificate every CMS embeds (about 700 bytes, the same for thousands of signatures) is kept
once, in `blobs`, and put back when the signature is read: the bytes read are the bytes signed
(`app.store.packing.split_cms`). Signatures written before are read as they were kept.
"""

from __future__ import annotations

import datetime as dt
import json

from app.signing import Signature, SignatureRole, SignerIdentity
from app.store.db import Database, json_dumps, now_iso
from app.store.packing import certificate_blob_name, cms_certificate, join_cms, split_cms


class SignatureRepository:
    """The `signatures` table, shared by the prescription and dispensing repositories."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._certificates: dict[bytes, bytes] = {}  # SHA-256 → DER, as read (content-addressed: never stale)

    def put(self, subject: str, version: int, sig: Signature) -> None:
        """Keep `sig` for `subject` at `version`, replacing an earlier one of the same role (joins the
        caller's transaction); its signer certificate is kept once for all the signatures that embed it."""
        ident = {k: (v.value if hasattr(v, "value") else v) for k, v in vars(sig.signer).items() if v is not None}
        kept, certificate = split_cms(sig.cms)
        with self.db.transaction() as c:
            digest = cms_certificate(kept)
            if certificate is not None and digest is not None:
                c.execute(
                    "INSERT OR IGNORE INTO blobs (name, data, updated_at) VALUES (?, ?, ?)",
                    (certificate_blob_name(digest), certificate, now_iso()),
                )
            c.execute(
                "INSERT OR REPLACE INTO signatures (subject, version, role, cms, signer, signed_at)"
                " VALUES (?,?,?,?,?,?)",
                (subject, version, sig.role.value, kept, json_dumps(ident), sig.signed_at.isoformat()),
            )

    def _cms(self, kept: bytes) -> bytes:
        """The CMS as signed, from what the table keeps (its certificate put back)."""
        digest = cms_certificate(kept)
        if digest is None:
            return kept
        certificate = self._certificates.get(digest)
        if certificate is None:
            row = self.db.conn().execute(
                "SELECT data FROM blobs WHERE name = ?", (certificate_blob_name(digest),)
            ).fetchone()
            certificate = bytes(row[0]) if row else None
            if certificate is not None:
                self._certificates[digest] = certificate
        return join_cms(kept, certificate)

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
                    SignatureRole(role),
                    self._cms(bytes(cms)),
                    SignerIdentity(**ident),
                    dt.datetime.fromisoformat(signed_at),
                )
            )
        return out
