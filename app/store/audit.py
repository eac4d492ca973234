"""The audit log in the store: every read and write of patient data appends one hash-chained row, in the
same transaction as the work (section 11; bylaw art. 9.6: a record of every access to health data).

The table is append-only for the application (triggers refuse UPDATE and DELETE); the hash chain
(`app/audit.py`) catches whoever goes around them. The head of the chain is also kept in `meta`
(`audit_head`), so cutting rows off the end is caught too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.audit import COLUMNS, GENESIS, Actor, AuditProblem, check_chain, row_hash
from app.store.db import Database
from app.store.meta import MetaRepository

HEAD_KEY = "audit_head"


class AuditLog:
    """The `audit_log` table. `actor` is who the rows name (set by the store from its role and facility
    and the user, see `Store.as_user`)."""

    def __init__(self, db: Database, meta: MetaRepository, actor: Actor) -> None:
        self.db = db
        self.meta = meta
        self.actor = actor

    def record(
        self, action: str, *, patient: str | None = None, obj: str | None = None, outcome: str = "ok"
    ) -> None:
        """Append one row: `action` (e.g. `prescription.read`), the patient (`kind:value`), the object
        (e.g. `rx:<id>/<version>`), the outcome (`ok`, `not-found`). Joins the caller's transaction, so
        the row commits or rolls back with the work it records."""
        with self.db.transaction() as c:
            last = c.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
            row: dict[str, Any] = {
                "seq": seq,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                "user": self.actor.user,
                "role": self.actor.role,
                "facility": self.actor.facility,
                "action": action,
                "patient": patient,
                "object": obj,
                "outcome": outcome,
            }
            new_hash = row_hash(prev, row)
            c.execute(
                f"INSERT INTO audit_log ({', '.join(COLUMNS)}, prev_hash, hash) VALUES ({','.join('?' * 11)})",
                (*(row[k] for k in COLUMNS), prev, new_hash),
            )
            self.meta.set(HEAD_KEY, f"{seq}:{new_hash}")

    def verify(self) -> tuple[int, AuditProblem | None]:
        """(rows checked, the first broken row or None), walking the chain in sequence order."""
        cur = self.db.conn().execute(f"SELECT {', '.join(COLUMNS)}, prev_hash, hash FROM audit_log ORDER BY seq")
        rows = ((dict(zip(COLUMNS, v[:-2])), v[-2], v[-1]) for v in cur)
        return check_chain(rows, self.meta.get(HEAD_KEY))

    def entries(self, *, patient: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest rows first, at most `limit`, only those about `patient` (`kind:value`) if given; each a
        dict of `COLUMNS` (seq, at, user, role, facility, action, patient, object, outcome)."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log"
        args: tuple[Any, ...] = ()
        if patient:
            sql += " WHERE patient = ?"
            args = (patient,)
        sql += " ORDER BY seq DESC LIMIT ?"
        return [dict(zip(COLUMNS, r)) for r in self.db.conn().execute(sql, (*args, limit))]
