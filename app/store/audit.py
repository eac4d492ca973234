"""The audit log in the store: every read and write of patient data appends one hash-chained row, in the
same transaction as the work (section 11; bylaw art. 9.6: a record of every access to health data).

The table is append-only for the application (triggers refuse UPDATE and DELETE); the hash chain
(`app/audit.py`) catches whoever goes around them. The head of the chain is also kept in `meta`
(`audit_head`), so cutting rows off the end is caught too.
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from app.audit import COLUMNS, GENESIS, NO_PERSON, PERSON_COLUMNS, Actor, AuditProblem, Person, check_chain, row_hash
from app.store.db import Database
from app.store.meta import MetaRepository

HEAD_KEY = "audit_head"
ALL_COLUMNS = COLUMNS + PERSON_COLUMNS


def workstation_name() -> str:
    """This computer's host name (the workstation an audit row names), `?` when it has none."""
    try:
        return socket.gethostname() or "?"
    except OSError:
        return "?"


class AuditLog:
    """The `audit_log` table. `actor` is who the rows name (set by the store from its role and facility
    and the user, see `Store.as_user`); `person` is whose token is logged in (None: nobody, the rows say
    `none`), set by the workstation when a token is logged in or out; `workstation` the host name."""

    def __init__(self, db: Database, meta: MetaRepository, actor: Actor) -> None:
        self.db = db
        self.meta = meta
        self.actor = actor
        self.person: Person | None = None
        self.workstation = workstation_name()

    def record(
        self,
        action: str,
        *,
        patient: str | None = None,
        obj: str | None = None,
        outcome: str = "ok",
        as_person: Person | None = None,
    ) -> None:
        """Append one row: `action` (e.g. `prescription.read`), the patient (`kind:value`), the object
        (e.g. `rx:<id>/<version>`), the outcome (`ok`, `not-found`), naming `as_person` (a shift's end,
        written after the token is logged out) or else the person logged in. Joins the caller's
        transaction, so the row commits or rolls back with the work it records."""
        person = as_person or self.person
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
                "person": person.national_code if person else NO_PERSON,
                "licence": (person.licence or "") if person else "",
                "workstation": self.workstation,
            }
            new_hash = row_hash(prev, row)
            c.execute(
                f"INSERT INTO audit_log ({', '.join(ALL_COLUMNS)}, prev_hash, hash)"
                f" VALUES ({','.join('?' * (len(ALL_COLUMNS) + 2))})",
                (*(row[k] for k in ALL_COLUMNS), prev, new_hash),
            )
            self.meta.set(HEAD_KEY, f"{seq}:{new_hash}")

    def verify(self) -> tuple[int, AuditProblem | None]:
        """(rows checked, the first broken row or None), walking the chain in sequence order."""
        cur = self.db.conn().execute(
            f"SELECT {', '.join(ALL_COLUMNS)}, prev_hash, hash FROM audit_log ORDER BY seq"
        )
        rows = ((dict(zip(ALL_COLUMNS, v[:-2])), v[-2], v[-1]) for v in cur)
        return check_chain(rows, self.meta.get(HEAD_KEY))

    def entries(
        self,
        *,
        patient: str | None = None,
        person: str | None = None,
        actions: tuple[str, ...] = (),
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The latest rows first, at most `limit`, only those about `patient` (`kind:value`), by `person`
        (national code, or `none`) or of one of `actions` when given; each a dict of `COLUMNS` (seq, at,
        user, role, facility, action, patient, object, outcome) and `PERSON_COLUMNS` (person, licence,
        workstation: None on rows written before schema 5)."""
        sql = f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_log"
        where: list[str] = []
        args: list[Any] = []
        if patient:
            where.append("patient = ?")
            args.append(patient)
        if person:
            where.append("person = ?")
            args.append(person)
        if actions:
            where.append(f"action IN ({','.join('?' * len(actions))})")
            args.extend(actions)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        return [dict(zip(ALL_COLUMNS, r)) for r in self.db.conn().execute(sql, (*args, limit))]
