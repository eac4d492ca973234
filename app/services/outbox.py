"""The transactional outbox: what the exchange must still learn, in the order it must learn it.

A row is written with `enqueue(conn, …)` inside the transaction that makes the change it carries, so the
two commit or fail together. Rows of one *chain* (one prescription at one workstation) go out strictly in
`seq` order; a row that is not done holds back the rows behind it in its chain and nothing else.

States: `pending` → `done` (terminal) on success; `rejected` (the exchange refused it), `conflict` (someone
else got there first) or `quarantined` (it keeps failing) need a person's attention, who either
acknowledges them (`acknowledged`, terminal) or re-queues them (`pending`). Rows are never deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from app.errors import NoskheError, NotFound
from app.ids import new_id
from app.store.db import json_dumps

OPS = ("eligibility", "register", "edit", "cancel", "dispense")
PENDING = "pending"
DONE = "done"
ACKNOWLEDGED = "acknowledged"
REJECTED = "rejected"
CONFLICT = "conflict"
QUARANTINED = "quarantined"
TERMINAL = (DONE, ACKNOWLEDGED)
ATTENTION = (REJECTED, CONFLICT, QUARANTINED)
STATES = (PENDING, *ATTENTION, *TERMINAL)

_COLUMNS = (
    "seq",
    "id",
    "chain",
    "subject",
    "op",
    "version",
    "idem_key",
    "payload",
    "state",
    "attempts",
    "failures",
    "next_attempt_at",
    "created_at",
    "updated_at",
    "first_sent_at",
    "finished_at",
    "reason_code",
    "reason_en",
    "reason_fa",
    "action_en",
    "action_fa",
    "result",
)


def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    id: str
    chain: str
    subject: str
    op: str
    version: int
    idem_key: str
    payload: dict[str, Any]
    state: str
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
    def from_row(cls, row: tuple[Any, ...]) -> OutboxRow:
        d = dict(zip(_COLUMNS, row))
        d["payload"] = json.loads(d["payload"])
        d["result"] = json.loads(d["result"]) if d["result"] else None
        return cls(**d)

    @property
    def subject_id(self) -> str:
        return self.subject.split(":", 1)[1]

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in _COLUMNS if k != "payload"}
        return d


def chain_of(rx_id: str) -> str:
    return f"rx:{rx_id}"


def enqueue(
    conn: Any,
    *,
    op: str,
    subject: str,
    chain: str,
    payload: dict[str, Any],
    version: int = 1,
    key: str | None = None,
) -> str:
    """Add a row inside the caller's transaction; returns its id. The idempotency key is fixed here, before
    any send, so every retry of this row reuses it."""
    if op not in OPS:
        raise ValueError(f"unknown outbox op {op!r}")
    row_id = new_id()
    now = _iso_now()
    conn.execute(
        "INSERT INTO outbox (id, chain, subject, op, version, idem_key, payload, state, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            row_id,
            chain,
            subject,
            op,
            version,
            key or f"{op}:{subject}:v{version}:{row_id}",
            json_dumps(payload),
            PENDING,
            now,
            now,
        ),
    )
    return row_id


class Outbox:
    """Queries and state changes over the outbox of one store."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _select(
        self, where: str = "", args: tuple[Any, ...] = (), tail: str = "ORDER BY seq"
    ) -> list[OutboxRow]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM outbox {('WHERE ' + where) if where else ''} {tail}"
        return [OutboxRow.from_row(r) for r in self.store.conn().execute(sql, args).fetchall()]

    def get(self, row_id: str) -> OutboxRow:
        rows = self._select("id = ?", (row_id,))
        if not rows:
            raise NotFound(f"No outbox item {row_id!r}.", f"مورد صف ارسال «{row_id}» پیدا نشد.")
        return rows[0]

    def for_chain(self, chain: str) -> list[OutboxRow]:
        return self._select("chain = ?", (chain,))

    def for_subject(self, subject: str) -> list[OutboxRow]:
        return self._select("subject = ?", (subject,))

    def heads(self, now: float | None = None, limit: int = 100) -> list[OutboxRow]:
        """Rows due now that have nothing unfinished ahead of them in their chain, oldest first."""
        return self._heads(time.time() if now is None else now, limit)

    def _heads(self, now: float, limit: int) -> list[OutboxRow]:
        cols = ", ".join(f"o.{c}" for c in _COLUMNS)
        rows = (
            self.store.conn()
            .execute(
                f"SELECT {cols} FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
                " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chain = o.chain AND p.seq < o.seq"
                " AND p.state NOT IN ('done', 'acknowledged')) ORDER BY o.seq LIMIT ?",
                (now, limit),
            )
            .fetchall()
        )
        return [OutboxRow.from_row(r) for r in rows]

    def next_due(self) -> float | None:
        """When the earliest chain head may be tried again (None when nothing is pending). Rows behind an
        unfinished row of their chain do not count: they wait for it, not for the clock."""
        row = (
            self.store.conn()
            .execute(
                "SELECT min(o.next_attempt_at) FROM outbox o WHERE o.state = 'pending' AND NOT EXISTS (SELECT 1"
                " FROM outbox p WHERE p.chain = o.chain AND p.seq < o.seq AND p.state NOT IN ('done', 'acknowledged'))"
            )
            .fetchone()
        )
        return row[0]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for state, n in self.store.conn().execute("SELECT state, count(*) FROM outbox GROUP BY state"):
            out[state] = n
        return out

    def oldest_pending_created_at(self) -> str | None:
        row = (
            self.store.conn().execute("SELECT min(created_at) FROM outbox WHERE state = 'pending'").fetchone()
        )
        return row[0]

    def attention(self) -> list[OutboxRow]:
        marks = ",".join("?" * len(ATTENTION))
        return self._select(f"state IN ({marks})", ATTENTION)

    # ---- changes made by the sync engine (inside its own transaction) -------------------------------

    @staticmethod
    def mark_sent(conn: Any, rows: list[OutboxRow]) -> None:
        now = _iso_now()
        conn.executemany(
            "UPDATE outbox SET attempts = attempts + 1, first_sent_at = coalesce(first_sent_at, ?), updated_at = ?"
            " WHERE id = ?",
            [(now, now, r.id) for r in rows],
        )

    @staticmethod
    def finish(conn: Any, row: OutboxRow, result: dict[str, Any] | None = None) -> None:
        now = _iso_now()
        conn.execute(
            "UPDATE outbox SET state = 'done', finished_at = ?, updated_at = ?, result = ?,"
            " reason_code = NULL, reason_en = NULL, reason_fa = NULL, action_en = NULL, action_fa = NULL"
            " WHERE id = ?",
            (now, now, json_dumps(result) if result is not None else None, row.id),
        )

    @staticmethod
    def hold(
        conn: Any,
        row: OutboxRow,
        state: str,
        err: NoskheError,
        *,
        action: tuple[str, str] | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Put a row aside for a person: rejected, conflict or quarantined, with the reason and what to do."""
        assert state in ATTENTION
        conn.execute(
            "UPDATE outbox SET state = ?, updated_at = ?, reason_code = ?, reason_en = ?, reason_fa = ?,"
            " action_en = ?, action_fa = ?, result = ? WHERE id = ?",
            (
                state,
                _iso_now(),
                getattr(err, "code", "error"),
                err.en,
                err.fa,
                action[0] if action else None,
                action[1] if action else None,
                json_dumps(result) if result is not None else None,
                row.id,
            ),
        )

    @staticmethod
    def retry_later(
        conn: Any, row: OutboxRow, at: float, *, item_failure: bool, reason: NoskheError | None = None
    ) -> None:
        conn.execute(
            "UPDATE outbox SET next_attempt_at = ?, failures = failures + ?, updated_at = ?,"
            " reason_code = ?, reason_en = ?, reason_fa = ? WHERE id = ?",
            (
                at,
                1 if item_failure else 0,
                _iso_now(),
                getattr(reason, "code", None),
                reason.en if reason else None,
                reason.fa if reason else None,
                row.id,
            ),
        )

    def due_now(self) -> int:
        """Make every pending row due at once (on reconnection: the outage, not the rows, was the problem)."""
        with self.store.transaction() as c:
            return c.execute("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'").rowcount

    # ---- what a person does ---------------------------------------------------------------------------

    def acknowledge(self, row_id: str) -> OutboxRow:
        """Close a row that needed attention: the person has seen it and acted outside the outbox."""
        return self._from_attention(row_id, ACKNOWLEDGED)

    def requeue(self, row_id: str) -> OutboxRow:
        """Send a row that needed attention again, from scratch (same idempotency key)."""
        return self._from_attention(row_id, PENDING)

    def _from_attention(self, row_id: str, state: str) -> OutboxRow:
        row = self.get(row_id)
        if row.state not in ATTENTION:
            raise NoskheError(
                f"Outbox item {row_id} is {row.state}; only items that need attention can be changed.",
                f"مورد «{row_id}» در وضعیت {row.state} است و نیازی به اقدام ندارد.",
            )
        now = _iso_now()
        with self.store.transaction() as c:
            c.execute(
                "UPDATE outbox SET state = ?, updated_at = ?, failures = 0, next_attempt_at = 0,"
                " finished_at = CASE WHEN ? = 'acknowledged' THEN ? ELSE finished_at END WHERE id = ?",
                (state, now, state, now, row_id),
            )
        return self.get(row_id)

    @staticmethod
    def acknowledge_chain(conn: Any, chain: str) -> None:
        """A new version of the same prescription answers the chain's open rejections and conflicts."""
        now = _iso_now()
        conn.execute(
            "UPDATE outbox SET state = 'acknowledged', finished_at = ?, updated_at = ?"
            " WHERE chain = ? AND state IN ('rejected', 'conflict')",
            (now, now, chain),
        )
