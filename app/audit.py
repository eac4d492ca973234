"""The audit log's hash chain: who did what to whose data, in rows that cannot be changed unnoticed.

Each row carries `hash = SHA-256(prev_hash ‖ canonical row)`, the row including its sequence number, so
editing, deleting or reordering rows breaks the chain at the first row touched; `check_chain` names it.
This module is the rule, pure Python; the rows are written and read by the store (`store.audit`,
`app/store/audit.py`) in the same transaction as the change they record. National rules: section 11 and
bylaw art. 9.6 (a record of every access to health data).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.canonical import canonical_bytes

GENESIS = "0" * 64
#: the hashed columns of a row, in order
COLUMNS = ("seq", "at", "user", "role", "facility", "action", "patient", "object", "outcome")
#: who was logged in and where (schema 5): hashed after `COLUMNS` when set; rows written before have none,
#: so their hashes are unchanged and old logs still verify
PERSON_COLUMNS = ("person", "licence", "workstation")
#: the `person` of a row written while no token was logged in (a read from the CLI, a locked window)
NO_PERSON = "none"


@dataclass(frozen=True)
class Actor:
    """Who is doing something, for the audit log: the user name, the workstation role (`clinic` or
    `pharmacy`) and the facility's SIAM id."""

    user: str
    role: str
    facility: str


@dataclass(frozen=True)
class Person:
    """The person whose token is logged in, as the audit log names him: national code and medical council
    number or pharmacist licence (empty when the certificate states none), and the name (shown, not
    hashed)."""

    national_code: str
    licence: str = ""
    name: str = ""


@dataclass(frozen=True)
class AuditProblem:
    """The first broken row of the chain: its sequence number and why, in English and Persian."""

    seq: int
    reason_en: str
    reason_fa: str


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """SHA-256 (hex, 64 characters) of the previous row's hash (hex) followed by the canonical JSON of
    `row`'s `COLUMNS` (missing columns count as null) and of those `PERSON_COLUMNS` that are set (not
    null): a row from before schema 5 hashes as it did, and emptying a set person column breaks it."""
    body = {k: row.get(k) for k in COLUMNS}
    body.update({k: row[k] for k in PERSON_COLUMNS if row.get(k) is not None})
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_bytes(body)).hexdigest()


def check_chain(
    rows: Iterable[tuple[dict[str, Any], str, str]], head: str | None
) -> tuple[int, AuditProblem | None]:
    """Walk the chain. `rows` are `(row, prev_hash, hash)` in sequence order, `row` holding `COLUMNS`;
    `head` is the `"<seq>:<hash>"` recorded apart when the last row was written (None for an empty log).

    Returns (rows found intact before the first problem, that problem or None). A missing, edited, reordered
    or re-hashed row, and rows cut off the end, are each reported at the first row they touch."""
    prev, expected_seq, count = GENESIS, 1, 0
    for row, stored_prev, stored_hash in rows:
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
            return count, AuditProblem(seq, f"row {seq} was altered", f"ردیف {seq} دست‌کاری شده است")
        prev, expected_seq, count = stored_hash, seq + 1, count + 1
    if head and head != f"{expected_seq - 1}:{prev}":
        return count, AuditProblem(
            expected_seq,
            f"the log ends at row {expected_seq - 1} but was written up to row {head.split(':')[0]}",
            f"گزارش در ردیف {expected_seq - 1} تمام می‌شود اما تا ردیف {head.split(':')[0]} نوشته شده بود",
        )
    return count, None
