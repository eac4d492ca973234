"""The audit log: every read and write of patient data, in an append-only, hash-chained table.

Each row carries `hash = SHA-256(prev_hash ‖ canonical row)`, the row including its sequence number, so
editing, deleting or reordering rows breaks the chain at the first row touched; `verify()` names it.
Rows are written in the same transaction as the change they record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from app.canonical import canonical_bytes

GENESIS = "0" * 64
_COLUMNS = ("seq", "at", "user", "role", "facility", "action", "patient", "object", "outcome")


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    body = {k: row.get(k) for k in _COLUMNS}
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_bytes(body)).hexdigest()


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    reason_en: str
    reason_fa: str


def record(
    conn: Any,
    actor: Any,
    action: str,
    *,
    patient: str | None = None,
    obj: str | None = None,
    outcome: str = "ok",
) -> None:
    """Append one row. Call inside the transaction that does the recorded work."""
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    row = {
        "seq": seq,
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
        "user": actor.user,
        "role": actor.role,
        "facility": actor.facility,
        "action": action,
        "patient": patient,
        "object": obj,
        "outcome": outcome,
    }
    conn.execute(
        "INSERT INTO audit_log (seq, at, user, role, facility, action, patient, object, outcome, prev_hash, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (*(row[k] for k in _COLUMNS), prev, new_hash := row_hash(prev, row)),
    )
    # The head is kept apart so that cutting rows off the end is caught too.
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)", (f"{seq}:{new_hash}",))


def verify(conn: Any) -> tuple[int, AuditProblem | None]:
    """(rows checked, the first broken row or None). Walks the chain in sequence order."""
    prev, expected_seq, count = GENESIS, 1, 0
    cur = conn.execute(f"SELECT {', '.join(_COLUMNS)}, prev_hash, hash FROM audit_log ORDER BY seq")
    for values in cur:
        row = dict(zip(_COLUMNS, values[:-2]))
        stored_prev, stored_hash = values[-2], values[-1]
        seq = row["seq"]
        if seq != expected_seq:
            return count, AuditProblem(
                expected_seq,
                f"row {expected_seq} is missing (next is {seq})",
                f"ردیف {expected_seq} حذف شده است (ردیف بعدی {seq})",
            )
        if stored_prev != prev:
            return count, AuditProblem(
                seq,
                f"row {seq} does not follow row {seq - 1} (deleted or reordered rows)",
                f"ردیف {seq} دنبالهٔ ردیف {seq - 1} نیست (ردیف حذف یا جابه‌جا شده)",
            )
        if row_hash(prev, row) != stored_hash:
            return count, AuditProblem(
                seq, f"row {seq} was altered", f"ردیف {seq} دست‌کاری شده است"
            )
        prev, expected_seq, count = stored_hash, seq + 1, count + 1
    head = conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    if head and head[0] != f"{expected_seq - 1}:{prev}":
        return count, AuditProblem(
            expected_seq,
            f"the log ends at row {expected_seq - 1} but was written up to row {head[0].split(':')[0]}",
            f"گزارش در ردیف {expected_seq - 1} تمام می‌شود اما تا ردیف {head[0].split(':')[0]} نوشته شده بود",
        )
    return count, None


def entries(conn: Any, *, patient: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(_COLUMNS)} FROM audit_log"
    args: tuple[Any, ...] = ()
    if patient:
        sql += " WHERE patient = ?"
        args = (patient,)
    sql += " ORDER BY seq DESC LIMIT ?"
    return [dict(zip(_COLUMNS, r)) for r in conn.execute(sql, (*args, limit))]
