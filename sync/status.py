"""What `noskhe sync status` and the UI's status bar show: the outbox by state, the oldest queued item's
age, the last success, online or offline, and how old each piece of reference data is.

Connectivity and the last success are kept in the store's meta table, so every process on the workstation
(the UI, a CLI command) sees the same picture.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.store import Store

REFERENCE_KINDS = ("catalog", "rules", "trustlist")
#: older than this, reference data is shown as stale (still used: stale beats nothing offline)
STALE_AFTER = {
    "catalog": dt.timedelta(days=7),
    "rules": dt.timedelta(days=7),
    "trustlist": dt.timedelta(days=7),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def mark_online(store: Store) -> None:
    """Record that the exchange answered just now (online; last success and last contact: now)."""
    now = _now().isoformat()
    store.metadata.set_many({"sync.online": "1", "sync.last_success": now, "sync.last_contact": now})


def mark_offline(store: Store, reason: str) -> None:
    """Record that the exchange could not be reached just now, and why (`reason`, English, one line)."""
    store.metadata.set_many(
        {"sync.online": "0", "sync.last_error": reason, "sync.last_attempt": _now().isoformat()}
    )


def is_online(store: Store) -> bool | None:
    """Whether the exchange answered last time it was tried; None when it never was."""
    value = store.meta("sync.online")
    return None if value is None else value == "1"


def _age(iso: str | None, now: dt.datetime) -> float | None:
    if not iso:
        return None
    return max(0.0, (now - dt.datetime.fromisoformat(iso)).total_seconds())


@dataclass
class SyncStatus:
    """The outbox by state (`counts`), the oldest queued item's age in seconds, the last success (ISO 8601
    UTC), online/offline (None: never connected), the last error, per reference data kind its version,
    fetch time, age in seconds and staleness, and the items that need attention."""

    counts: dict[str, int]
    oldest_pending_age_s: float | None
    last_success: str | None
    online: bool | None
    last_error: str | None
    reference: dict[str, dict[str, Any]] = field(default_factory=dict)
    attention: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Every field, for `noskhe sync status --json`."""
        return dict(vars(self))


def _sample_backlog(store: Store, counts: dict[str, int]) -> None:
    """Keep a sample of the backlog for the dashboard's chart (`app.services.dashboard.record_backlog`)."""
    from app.services.dashboard import record_backlog

    try:
        record_backlog(store, counts.get("pending", 0))  # the count the status bar shows
    except Exception:  # noqa: BLE001 — a lost sample is harmless; the status must still be read
        pass


def sync_status(store: Store) -> SyncStatus:
    """What the status bar and `noskhe sync status` show, read from the store (no network)."""
    ob = store.outbox
    now = _now()
    ref = {}
    for kind in REFERENCE_KINDS:
        version, fetched = store.meta(f"reference.{kind}.version"), store.meta(f"reference.{kind}.fetched_at")
        age = _age(fetched, now)
        ref[kind] = {
            "version": version,
            "fetched_at": fetched,
            "age_s": age,
            "stale": age is None or age > STALE_AFTER[kind].total_seconds(),
        }
    attention = [
        {
            "id": r.id,
            "subject": r.subject,
            "op": r.op,
            "state": r.state,
            "code": r.reason_code,
            "reason_en": r.reason_en,
            "reason_fa": r.reason_fa,
            "action_en": r.action_en,
            "action_fa": r.action_fa,
            "since": r.updated_at,
        }
        for r in ob.attention()
    ]
    counts = ob.counts()
    _sample_backlog(store, counts)
    return SyncStatus(
        counts=counts,
        oldest_pending_age_s=_age(ob.oldest_pending_created_at(), now),
        last_success=store.meta("sync.last_success"),
        online=is_online(store),
        last_error=store.meta("sync.last_error"),
        reference=ref,
        attention=attention,
    )
