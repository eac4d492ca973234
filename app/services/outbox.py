"""The transactional outbox, as the use cases see it: `store.outbox` (`app/store/outbox.py`) keeps the rows;
this module names what the use cases and the sync engine share — the chain of a prescription, the row
type, its states — and keeps the names earlier callers used.

A row is queued with `store.outbox.enqueue(...)` inside the transaction that makes the change it carries
(`store.save_prescription(..., also=...)`, or `with store.transaction():`), so the two commit or fail
together; see `app/store/outbox.py` for its states and order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.store.db import Connection
from app.store.outbox import (
    ACKNOWLEDGED,
    ATTENTION,
    CONFLICT,
    DONE,
    OPS,
    PENDING,
    QUARANTINED,
    REJECTED,
    STATES,
    TERMINAL,
    OutboxRepository,
    OutboxRow,
    OutboxState,
    chain_of,
    insert_row,
)

if TYPE_CHECKING:
    from app.store import Store


def Outbox(store: Store) -> OutboxRepository:
    """The store's outbox repository (`store.outbox`)."""
    return store.outbox


def enqueue(
    conn: Connection,
    *,
    op: str,
    subject: str,
    chain: str,
    payload: dict[str, Any],
    version: int = 1,
    key: str | None = None,
) -> str:
    """Queue a row through the connection a `save_*(also=...)` callback is handed; returns its id. New code
    calls `store.outbox.enqueue(...)`, which joins the open transaction by itself. Raises `ValueError` for
    an unknown `op`."""
    return insert_row(conn, op=op, subject=subject, chain=chain, payload=payload, version=version, key=key)


__all__ = [
    "ACKNOWLEDGED",
    "ATTENTION",
    "CONFLICT",
    "DONE",
    "OPS",
    "PENDING",
    "QUARANTINED",
    "REJECTED",
    "STATES",
    "TERMINAL",
    "Outbox",
    "OutboxRow",
    "OutboxState",
    "chain_of",
    "enqueue",
]
