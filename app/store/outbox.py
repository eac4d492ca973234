"""The transactional outbox: what the exchange must still learn, in the order it must learn it.

Offline first (section 12; bylaw art. 16: the platforms being down must never delay care): a change is
complete once it is in the store, and what the exchange must learn of it — eligibility (9-1 step 2),
registration and edits (9-1 steps 5 and 6), cancellations, dispensings (9-2 step 6) — is an outbox row
written in the same transaction, so the two commit or fail together. The sync engine carries the rows.

Rows of one *chain* (one prescription at one workstation) go out strictly in `seq` order; a row that is not
finished holds back the rows behind it in its chain and nothing else — except a dispensing the exchange
rejected: that refusal is final for it, and a later dispensing of the same prescription goes out.

States (`OutboxState`): `pending` → `done` (terminal) on success; `rejected` (the exchange refused it),
`conflict` (someone else got there first) or `quarantined` (it keeps failing) need a person's attention,
who either acknowledges them (`acknowledged`, terminal) or re-queues them (`pending`). Rows are never
deleted (a trigger refuses it).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import NoskheError, NotFound
from app.ids import new_id
from app.store.db import Connection, Database, json_dumps
from app.store.packing import pack, unpack

#: what a row asks of the exchange
OPS = ("eligibility", "register", "edit", "cancel", "dispense", "visit", "outcome", "settle")
#: rows that never go out: a person's to-do the exchange's answer raised (a split that differs from what
#: was charged); acknowledged, never re-queued
LOCAL_OPS = ("settle",)


class OutboxState(enum.StrEnum):
    """Where an outbox row stands. The values are what the `state` column holds and what the CLI shows."""

    PENDING = "pending"
    REJECTED = "rejected"
    CONFLICT = "conflict"
    QUARANTINED = "quarantined"
    DONE = "done"
    ACKNOWLEDGED = "acknowledged"

    @property
    def terminal(self) -> bool:
        """Finished for good: it holds nothing back."""
        return self in TERMINAL

    @property
    def needs_attention(self) -> bool:
        """Waiting for a person to acknowledge or re-queue it."""
        return self in ATTENTION


PENDING = OutboxState.PENDING
REJECTED = OutboxState.REJECTED
CONFLICT = OutboxState.CONFLICT
QUARANTINED = OutboxState.QUARANTINED
DONE = OutboxState.DONE
ACKNOWLEDGED = OutboxState.ACKNOWLEDGED
TERMINAL = (DONE, ACKNOWLEDGED)
ATTENTION = (REJECTED, CONFLICT, QUARANTINED)
#: every state, in the order counts are shown
STATES = (PENDING, *ATTENTION, *TERMINAL)

_COLUMNS = (
    "seq", "id", "chain", "subject", "op", "version", "idem_key", "payload", "state", "attempts", "failures",
    "next_attempt_at", "created_at", "updated_at", "first_sent_at", "finished_at", "reason_code",
    "reason_en", "reason_fa", "action_en", "action_fa", "result",
)


def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def chain_of(rx_id: str) -> str:
    """The chain of a prescription (`rx:<id>`): its eligibility, registration, edits, cancellation and
    dispensings go out in the order they were queued."""
    return f"rx:{rx_id}"


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row. Times: `*_at` are ISO 8601 UTC text except `next_attempt_at`, seconds since the
    epoch (0 = due now). `subject` is `rx:<id>` or `disp:<id>`; `payload` and `result` are JSON objects."""

    seq: int
    id: str
    chain: str
    subject: str
    op: str
    version: int
    idem_key: str
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    failures: int
    next_attempt_at: float
    created_at: str
    updated_at: str
    first_sent_at: str | None
    finished_at: str | None
    reason_code: str | None
    reason_en: str | None
    reason_fa: str | None
    action_en: str | None
    action_fa: str | None
    result: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> OutboxRow:
        """The row from the table's columns in `_COLUMNS` order."""
        d = dict(zip(_COLUMNS, row))
        d["payload"] = unpack(d["payload"])
        d["result"] = json.loads(d["result"]) if d["result"] else None
        d["state"] = OutboxState(d["state"])
        return cls(**d)

    @property
    def subject_id(self) -> str:
        """The prescription's or dispensing's id, without the `rx:`/`disp:` prefix."""
        return self.subject.split(":", 1)[1]

    def to_dict(self) -> dict[str, Any]:
        """Every column but the payload (for JSON output)."""
        return {k: getattr(self, k) for k in _COLUMNS if k != "payload"}


def insert_row(
    conn: Connection,
    *,
    op: str,
    subject: str,
    chain: str,
    payload: dict[str, Any],
    version: int = 1,
    key: str | None = None,
) -> str:
    """Add a pending row through `conn` (inside the caller's transaction); returns its id. Prefer
    `store.outbox.enqueue`; this form serves callbacks handed a connection. Raises `ValueError` for an
    unknown `op`."""
    if op not in OPS:
        raise ValueError(f"unknown outbox op {op!r}")
    row_id = new_id()
    now = _iso_now()
    conn.execute(
        "INSERT INTO outbox (id, chain, subject, op, version, idem_key, payload, state, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            row_id, chain, subject, op, version, key or f"{op}:{subject}:v{version}:{row_id}",
            pack(payload), PENDING.value, now, now,
        ),
    )
    return row_id


#: an unfinished row that holds back the rows behind it in its chain: any but a dispensing the exchange
#: refused — the refusal is final for that dispensing, and a later dispensing of the prescription (the
#: refused one's quantities given back) is a new hand-over, not an edit of it
_HOLDS = "NOT (p.op = 'dispense' AND p.state = 'rejected')"


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class OutboxRepository:
    """Queries and state changes over the outbox. Every change joins the caller's transaction when there
    is one (the sync engine applies an answer and its row's new state together)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- queueing (inside the transaction that makes the change) ----------------------------------

    def enqueue(
        self,
        *,
        op: str,
        subject: str,
        chain: str,
        payload: dict[str, Any],
        version: int = 1,
        key: str | None = None,
    ) -> str:
        """Add a pending row; returns its id. `op` is one of `OPS`, `subject` `rx:<id>` or `disp:<id>`,
        `chain` usually `chain_of(rx_id)`, `version` the prescription version it carries. The idempotency
        key is fixed here, before any send, so every retry of this row reuses it. Raises `ValueError` for
        an unknown `op`."""
        with self.db.transaction() as c:
            return insert_row(c, op=op, subject=subject, chain=chain, payload=payload, version=version, key=key)

    # ---- reading --------------------------------------------------------------------------------------

    def _select(self, where: str = "", args: Sequence[Any] = (), tail: str = "ORDER BY seq") -> list[OutboxRow]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM outbox {('WHERE ' + where) if where else ''} {tail}"
        return [OutboxRow.from_row(r) for r in self.db.conn().execute(sql, tuple(args)).fetchall()]

    def get(self, row_id: str) -> OutboxRow:
        """The row with id `row_id`. Raises `NotFound`."""
        rows = self._select("id = ?", (row_id,))
        if not rows:
            raise NotFound(f"No outbox item {row_id!r}.", f"مورد صف ارسال «{row_id}» پیدا نشد.")
        return rows[0]

    def for_chain(self, chain: str) -> list[OutboxRow]:
        """Every row of `chain`, in the order they go out."""
        return self._select("chain = ?", (chain,))

    def for_subject(self, subject: str) -> list[OutboxRow]:
        """Every row about `subject` (`rx:<id>` or `disp:<id>`), oldest first."""
        return self._select("subject = ?", (subject,))

    def heads(self, now: float | None = None, limit: int = 100) -> list[OutboxRow]:
        """Rows due at `now` (seconds since the epoch; default the clock) that have nothing unfinished ahead
        of them in their chain, oldest first, at most `limit`."""
        now = time.time() if now is None else now
        cols = ", ".join(f"o.{c}" for c in _COLUMNS)
        rows = self.db.conn().execute(
            # `+next_attempt_at`: walk the pending rows in seq order on `outbox_heads` (state, seq) and stop
            # at `limit`, rather than collect and sort every due row each round
            f"SELECT {cols} FROM outbox o WHERE o.state = ? AND +o.next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chain = o.chain AND p.seq < o.seq"
            f" AND p.state NOT IN ({_marks(TERMINAL)}) AND {_HOLDS}) ORDER BY o.seq LIMIT ?",
            (PENDING.value, now, *TERMINAL, limit),
        ).fetchall()
        return [OutboxRow.from_row(r) for r in rows]

    def next_due(self) -> float | None:
        """When the earliest chain head may be tried again (seconds since the epoch; None when nothing is
        pending). Rows behind an unfinished row of their chain do not count: they wait for it, not for the
        clock."""
        row = self.db.conn().execute(
            "SELECT min(o.next_attempt_at) FROM outbox o WHERE o.state = ? AND NOT EXISTS (SELECT 1"
            f" FROM outbox p WHERE p.chain = o.chain AND p.seq < o.seq AND p.state NOT IN ({_marks(TERMINAL)})"
            f" AND {_HOLDS})",
            (PENDING.value, *TERMINAL),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def counts(self) -> dict[str, int]:
        """Rows per state, every state present (0 when none), in `STATES` order; the keys are
        `OutboxState` members (so `counts()["pending"]` and `counts()[PENDING]` both work)."""
        out: dict[str, int] = {state: 0 for state in STATES}
        for state, n in self.db.conn().execute("SELECT state, count(*) FROM outbox GROUP BY state"):
            out[OutboxState(state)] = int(n)
        return out

    def oldest_pending_created_at(self) -> str | None:
        """When the oldest pending row was queued (ISO 8601 UTC), or None."""
        row = self.db.conn().execute(
            "SELECT min(created_at) FROM outbox WHERE state = ?", (PENDING.value,)
        ).fetchone()
        return None if row[0] is None else str(row[0])

    def attention(self) -> list[OutboxRow]:
        """The rows that need a person (rejected, conflict, quarantined), oldest first."""
        return self._select(f"state IN ({_marks(ATTENTION)})", ATTENTION)

    def has_live(self, chain: str, ops: Iterable[str]) -> bool:
        """True when `chain` has a row of one of `ops` that is pending or done: the exchange has (or will
        have) what it carries."""
        ops = tuple(ops)
        row = self.db.conn().execute(
            f"SELECT 1 FROM outbox WHERE chain = ? AND op IN ({_marks(ops)}) AND state IN (?, ?) LIMIT 1",
            (chain, *ops, PENDING.value, DONE.value),
        ).fetchone()
        return row is not None

    def last_done_payload(self, chain: str, ops: Iterable[str], before_seq: int) -> dict[str, Any] | None:
        """The payload of the latest done row of one of `ops` in `chain` queued before `before_seq` (what
        the exchange last accepted), or None."""
        ops = tuple(ops)
        row = self.db.conn().execute(
            f"SELECT payload FROM outbox WHERE chain = ? AND op IN ({_marks(ops)}) AND state = ? AND seq < ?"
            " ORDER BY seq DESC LIMIT 1",
            (chain, *ops, DONE.value, before_seq),
        ).fetchone()
        return unpack(row[0]) if row else None

    # ---- changes made by the sync engine ----------------------------------------------------------

    def mark_sent(self, rows: Sequence[OutboxRow]) -> None:
        """Count one more attempt for each row; the first send's time is kept."""
        now = _iso_now()
        with self.db.transaction() as c:
            c.executemany(
                "UPDATE outbox SET attempts = attempts + 1, first_sent_at = coalesce(first_sent_at, ?),"
                " updated_at = ? WHERE id = ?",
                [(now, now, r.id) for r in rows],
            )

    def finish(self, row: OutboxRow, result: dict[str, Any] | None = None) -> None:
        """The exchange accepted `row`: done, with the summary of its answer, any earlier reason cleared."""
        now = _iso_now()
        with self.db.transaction() as c:
            c.execute(
                "UPDATE outbox SET state = ?, finished_at = ?, updated_at = ?, result = ?,"
                " reason_code = NULL, reason_en = NULL, reason_fa = NULL, action_en = NULL, action_fa = NULL"
                " WHERE id = ?",
                (DONE.value, now, now, json_dumps(result) if result is not None else None, row.id),
            )

    def finish_many(self, done: Sequence[tuple[OutboxRow, dict[str, Any] | None]]) -> None:
        """`finish` for each (row, summary) of a drain round, in one statement (inside the caller's
        transaction, the one that applied their answers)."""
        if not done:
            return
        now = _iso_now()
        with self.db.transaction() as c:
            c.executemany(
                "UPDATE outbox SET state = ?, finished_at = ?, updated_at = ?, result = ?,"
                " reason_code = NULL, reason_en = NULL, reason_fa = NULL, action_en = NULL, action_fa = NULL"
                " WHERE id = ?",
                [
                    (DONE.value, now, now, json_dumps(result) if result is not None else None, row.id)
                    for row, result in done
                ],
            )

    def hold(
        self,
        row: OutboxRow,
        state: OutboxState | str,
        err: NoskheError,
        *,
        action: tuple[str, str] | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Put a row aside for a person: `state` is rejected, conflict or quarantined; `err` gives the reason
        (its `code`, English and Persian text), `action` what to do (English, Persian). Raises `ValueError`
        for any other state."""
        state = OutboxState(state)
        if not state.needs_attention:
            raise ValueError(f"{state} is not a state that needs attention")
        with self.db.transaction() as c:
            c.execute(
                "UPDATE outbox SET state = ?, updated_at = ?, reason_code = ?, reason_en = ?, reason_fa = ?,"
                " action_en = ?, action_fa = ?, result = ? WHERE id = ?",
                (
                    state.value, _iso_now(), getattr(err, "code", "error"), err.en, err.fa,
                    action[0] if action else None, action[1] if action else None,
                    json_dumps(result) if result is not None else None, row.id,
                ),
            )

    def retry_later(
        self, row: OutboxRow, at: float, *, item_failure: bool, reason: NoskheError | None = None
    ) -> None:
        """Try `row` again at `at` (seconds since the epoch); `item_failure` counts a failure of this row
        itself (not of the connection) towards its quarantine."""
        with self.db.transaction() as c:
            c.execute(
                "UPDATE outbox SET next_attempt_at = ?, failures = failures + ?, updated_at = ?,"
                " reason_code = ?, reason_en = ?, reason_fa = ? WHERE id = ?",
                (
                    at, 1 if item_failure else 0, _iso_now(), getattr(reason, "code", None),
                    reason.en if reason else None, reason.fa if reason else None, row.id,
                ),
            )

    def due_now(self) -> int:
        """Make every pending row due at once (on reconnection: the outage, not the rows, was the problem);
        returns how many."""
        with self.db.transaction() as c:
            return int(c.execute("UPDATE outbox SET next_attempt_at = 0 WHERE state = ?", (PENDING.value,)).rowcount)

    # ---- what a person does -------------------------------------------------------------------------

    def acknowledge(self, row_id: str) -> OutboxRow:
        """Close a row that needed attention: the person has seen it and acted outside the outbox. Returns
        the row as now kept. Raises `NotFound`, or `NoskheError` when the row does not need attention."""
        return self._from_attention(row_id, ACKNOWLEDGED)

    def requeue(self, row_id: str) -> OutboxRow:
        """Send a row that needed attention again, from scratch (same idempotency key). Returns the row as
        now kept. Raises `NotFound`, or `NoskheError` when the row does not need attention."""
        return self._from_attention(row_id, PENDING)

    def _from_attention(self, row_id: str, state: OutboxState) -> OutboxRow:
        row = self.get(row_id)
        if state is PENDING and row.op in LOCAL_OPS:
            raise NoskheError(
                f"Outbox item {row_id} is a reminder, not something to send: acknowledge it once settled.",
                f"مورد «{row_id}» یادآوری است و ارسال نمی‌شود: پس از تسویه آن را تأیید کنید.",
            )
        if not row.state.needs_attention:
            raise NoskheError(
                f"Outbox item {row_id} is {row.state}; only items that need attention can be changed.",
                f"مورد «{row_id}» در وضعیت {row.state} است و نیازی به اقدام ندارد.",
            )
        now = _iso_now()
        with self.db.transaction() as c:
            c.execute(
                "UPDATE outbox SET state = ?, updated_at = ?, failures = 0, next_attempt_at = 0,"
                " finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?",
                (state.value, now, state.terminal, now, row_id),
            )
        return self.get(row_id)

    def acknowledge_chain(self, chain: str) -> None:
        """A new version of the same prescription answers the chain's open rejections and conflicts."""
        now = _iso_now()
        with self.db.transaction() as c:
            c.execute(
                "UPDATE outbox SET state = ?, finished_at = ?, updated_at = ? WHERE chain = ? AND state IN (?, ?)",
                (ACKNOWLEDGED.value, now, now, chain, REJECTED.value, CONFLICT.value),
            )
