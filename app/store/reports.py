"""The queries behind the reports: the history lists, the dashboard's counts per day, the documents a
statement's or a claim list's lines are matched with, and the sync backlog's samples.

Every query is served by an index of schema 4 (`prescriptions_time`, `dispensings_time`, the primary keys;
`tests/app/test_query_plans.py` checks them). Times are compared as the columns keep them: ISO 8601 text
in Iran time, so a day or a month is an index range. Reads of documents are audited once per report
(national rules section 11, bylaw art. 9.6), with the number of rows read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from app.domain import IRAN_TZ
from app.store.packing import unpack

if TYPE_CHECKING:
    from app.store import Store

#: meta key of the sync backlog's samples: a JSON list of [ISO time (UTC), queued rows]
BACKLOG_KEY = "reports.backlog"
#: the most samples kept (a fortnight of one every ten minutes)
BACKLOG_KEEP = 2016


def _at(moment: dt.datetime) -> str:
    return moment.astimezone(IRAN_TZ).isoformat()


def prescription_times(store: Store, since: dt.datetime, until: dt.datetime) -> list[str]:
    """`prescribed_at` of every prescription prescribed from `since` (included) to `until` (excluded),
    aware datetimes; ISO texts in Iran time, oldest first (read from the index alone, no document)."""
    rows = store.conn().execute(
        "SELECT prescribed_at FROM prescriptions WHERE prescribed_at >= ? AND prescribed_at < ?"
        " ORDER BY prescribed_at",
        (_at(since), _at(until)),
    )
    return [str(r[0]) for r in rows]


def dispensing_times(
    store: Store, since: dt.datetime, until: dt.datetime, *, leave_out: Iterable[str] = ()
) -> list[str]:
    """`dispensed_at` of every dispensing recorded here from `since` to `until` (excluded), oldest
    first (from the index alone), but those in a state of `leave_out` (e.g. refused by the exchange)."""
    states = sorted(leave_out)
    but = f" AND state NOT IN ({','.join('?' * len(states))})" if states else ""
    rows = store.conn().execute(
        "SELECT dispensed_at FROM dispensings WHERE dispensed_at >= ? AND dispensed_at < ?"
        + but
        + " ORDER BY dispensed_at",
        (_at(since), _at(until), *states),
    )
    return [str(r[0]) for r in rows]


def prescriptions_between(
    store: Store,
    since: dt.datetime | None,
    until: dt.datetime | None,
    *,
    states: Sequence[str] = (),
    patient_value: str | None = None,
    limit: int = 100_000,
) -> list[dict[str, Any]]:
    """Prescription documents (`Prescription.to_dict()` shapes) prescribed in [`since`, `until`), only in
    `states` and of `patient_value` when given, newest first, at most `limit`; audited as `report.read`."""
    return _prescriptions(store, since, until, states, patient_value, limit)


def _prescriptions(
    store: Store,
    since: dt.datetime | None,
    until: dt.datetime | None,
    states: Sequence[str],
    patient_value: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    where, args = _range("prescribed_at", since, until)
    if patient_value:
        where.insert(0, "patient_value = ?")
        args.insert(0, patient_value)
    if len(states) == 1:
        where.insert(0, "state = ?")
        args.insert(0, states[0])
    elif states:
        where.insert(0, f"state IN ({','.join('?' * len(states))})")
        args[0:0] = list(states)
    sql = "SELECT document FROM prescriptions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY prescribed_at DESC, id DESC LIMIT ?"
    with store.transaction() as c:
        rows = c.execute(sql, (*args, limit)).fetchall()
        store.audit.record("report.read", patient=patient_value, obj=f"prescriptions:{len(rows)}")
    return [unpack(r[0]) for r in rows]


def dispensings_between(
    store: Store, since: dt.datetime | None, until: dt.datetime | None, *, limit: int = 100_000
) -> list[dict[str, Any]]:
    """Dispensing documents (`Dispensing.to_dict()` shapes) recorded in [`since`, `until`), newest first,
    at most `limit`; audited as `report.read`."""
    where, args = _range("dispensed_at", since, until)
    sql = "SELECT document FROM dispensings"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY dispensed_at DESC, id DESC LIMIT ?"
    with store.transaction() as c:
        rows = c.execute(sql, (*args, limit)).fetchall()
        store.audit.record("report.read", obj=f"dispensings:{len(rows)}")
    return [unpack(r[0]) for r in rows]


def prescriptions_by_id(store: Store, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The documents of the prescriptions `ids` held here, by id (those not held are left out);
    audited once as `report.read`."""
    wanted = sorted(set(ids))
    out: dict[str, dict[str, Any]] = {}
    with store.transaction() as c:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = c.execute(
                f"SELECT id, document FROM prescriptions WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            out.update((str(r[0]), unpack(r[1])) for r in rows)
        store.audit.record("report.read", obj=f"prescriptions:{len(out)}")
    return out


def _range(column: str, since: dt.datetime | None, until: dt.datetime | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if since is not None:
        where.append(f"{column} >= ?")
        args.append(_at(since))
    if until is not None:
        where.append(f"{column} < ?")
        args.append(_at(until))
    return where, args


# ---- the sync backlog's samples ------------------------------------------------------------------------


def backlog_samples(store: Store) -> list[tuple[str, int]]:
    """The samples kept: (ISO time in UTC, rows queued for the exchange), oldest first."""
    text = store.metadata.get(BACKLOG_KEY)
    try:
        return [(str(at), int(n)) for at, n in json.loads(text)] if text else []
    except (ValueError, TypeError):
        return []  # a damaged list starts again rather than breaking the dashboard


def add_backlog_sample(store: Store, at: dt.datetime, queued: int, *, every: dt.timedelta) -> bool:
    """Keep (`at`, `queued`) unless the last sample is younger than `every` and says the same count; at
    most `BACKLOG_KEEP` samples (the oldest go). True when a sample was kept."""
    samples = backlog_samples(store)
    if samples:
        last_at, last_n = samples[-1]
        if last_n == queued and at - dt.datetime.fromisoformat(last_at) < every:
            return False
    samples.append((at.astimezone(dt.UTC).isoformat(timespec="seconds"), int(queued)))
    store.metadata.set(BACKLOG_KEY, json.dumps(samples[-BACKLOG_KEEP:]))
    return True


__all__ = [
    "BACKLOG_KEY",
    "add_backlog_sample",
    "backlog_samples",
    "dispensing_times",
    "dispensings_between",
    "prescription_times",
    "prescriptions_between",
    "prescriptions_by_id",
]
