"""The dashboard's figures, read from the store (never the network): prescriptions and dispensings per Iran
day, totals per insurer with the insurers' and the patients' shares, and the sync backlog over time.

    d = dashboard(ws, days=14)
    d.days        # [DayCount(day, prescriptions, dispensings)], oldest first, one per day, zeros included
    d.insurers    # [InsurerTotal(code, name_fa, name_en, count, insurer, patient)], biggest first (rials)
    d.backlog     # [(aware UTC datetime, rows queued for the exchange)], oldest first

The backlog's history is sampled: `record_backlog` keeps the queued count (rows pending for the exchange,
as the status bar counts them) when the sync status is read — by the status bar, the sync panel,
`noskhe sync status` — at most every ten minutes unless it changed, inside the store's meta table (no
migration). The dashboard adds a sample of its own when it reads.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain import IRAN_TZ
from app.store import reports

if TYPE_CHECKING:
    from app.store import Store
    from app.workstation import Workstation

#: a sample is kept at most this often while the count does not change
SAMPLE_EVERY = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class DayCount:
    """One Iran day: prescriptions prescribed and dispensings recorded here that day."""

    day: dt.date
    prescriptions: int
    dispensings: int


@dataclass(frozen=True)
class InsurerTotal:
    """One insurer over the dashboard's days: its code (`""` for the uninsured), names, how many
    prescriptions (clinic) or dispensings (pharmacy), and the insurer's and the patients' shares in rials."""

    code: str
    name_fa: str
    name_en: str
    count: int
    insurer: int
    patient: int


@dataclass(frozen=True)
class Dashboard:
    """The figures for the days `start`..`end` (Iran days, both included)."""

    start: dt.date
    end: dt.date
    days: list[DayCount]
    insurers: list[InsurerTotal]
    backlog: list[tuple[dt.datetime, int]] = field(default_factory=list)
    #: rows queued for the exchange now: the status bar's count (`queued`)
    queued_now: int = 0

    @property
    def insurer_total(self) -> int:
        """All insurers' shares, rials."""
        return sum(x.insurer for x in self.insurers)

    @property
    def patient_total(self) -> int:
        """All patients' shares, rials."""
        return sum(x.patient for x in self.insurers)


def queued(store: Store) -> int:
    """Rows queued for the exchange (pending): the count the status bar shows (`sync.status`)."""
    return store.outbox.counts().get("pending", 0)


def record_backlog(store: Store, count: int | None = None, at: dt.datetime | None = None) -> bool:
    """Keep a sample of the sync backlog (`count`, by default `queued(store)`, at `at`, by default now),
    unless the last one is younger than `SAMPLE_EVERY` and the same. True when a sample was kept."""
    now = at or dt.datetime.now(dt.UTC)
    return reports.add_backlog_sample(
        store, now, queued(store) if count is None else count, every=SAMPLE_EVERY
    )


def _day_counts(times: list[str]) -> Counter[dt.date]:
    return Counter(dt.datetime.fromisoformat(t).astimezone(IRAN_TZ).date() for t in times)


def dashboard(ws: Workstation, *, days: int = 14, today: dt.date | None = None) -> Dashboard:
    """The figures for the last `days` Iran days up to `today` (Iran's today by default). Reads and
    audits the documents of the period's prescriptions (a clinic) or dispensings (a pharmacy) for the
    insurer totals; records a backlog sample. Dispensings the exchange refused (a conflict, a rejection)
    are neither counted nor added up (`app.services.history.REFUSED_STATES`)."""
    from app.domain import Dispensing, Prescription
    from app.services.history import REFUSED_STATES

    store = ws.store
    end = today or dt.datetime.now(IRAN_TZ).date()
    start = end - dt.timedelta(days=max(1, days) - 1)
    since = dt.datetime.combine(start, dt.time(), IRAN_TZ)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), IRAN_TZ)
    rx_days = _day_counts(reports.prescription_times(store, since, until))
    disp_days = _day_counts(reports.dispensing_times(store, since, until, leave_out=REFUSED_STATES))
    counts = [
        DayCount(d, rx_days.get(d, 0), disp_days.get(d, 0))
        for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    ]
    groups: dict[str, list[int]] = {}
    if ws.role == "pharmacy":
        docs = reports.dispensings_between(store, since, until)
        rxs = reports.prescriptions_by_id(store, (str(d["prescription_id"]) for d in docs))
        for doc in docs:
            d = Dispensing.from_dict(doc)
            if d.state in REFUSED_STATES:
                continue
            cov = ((rxs.get(d.prescription_id) or {}).get("patient") or {}).get("coverage") or {}
            _add(groups, str(cov.get("insurer_code") or ""), d.cost.insurer, d.cost.patient)
    else:
        for doc in reports.prescriptions_between(store, since, until):
            rx = Prescription.from_dict(doc)
            code = rx.patient.coverage.insurer_code if rx.patient.coverage else ""
            _add(groups, code, rx.cost.insurer, rx.cost.patient)
    names = {i.code: i for i in store.catalog.insurers()}
    insurers = [
        InsurerTotal(
            code,
            names[code].name_fa if code in names else ("آزاد" if not code else code),
            names[code].name_en if code in names else ("uninsured" if not code else code),
            n,
            ins,
            pat,
        )
        for code, (n, ins, pat) in sorted(groups.items(), key=lambda kv: (-kv[1][1] - kv[1][2], kv[0]))
    ]
    record_backlog(store)
    first = since.astimezone(dt.UTC)
    backlog = [
        (moment, n)
        for moment, n in ((dt.datetime.fromisoformat(at), n) for at, n in reports.backlog_samples(store))
        if moment >= first
    ]
    return Dashboard(start, end, counts, insurers, backlog, queued_now=queued(store))


def _add(groups: dict[str, list[int]], code: str, insurer: int, patient: int) -> None:
    g = groups.setdefault(code, [0, 0, 0])
    g[0] += 1
    g[1] += insurer
    g[2] += patient


__all__ = ["Dashboard", "DayCount", "InsurerTotal", "dashboard", "queued", "record_backlog"]
