"""The facility's financial statement from the exchange (national rules, 9-2-9 for a pharmacy, 9-1 step 8
for a clinic): what was registered in a period and the insurer's and patient's shares of it, in rials.

    st = statement(ws, "2026-11-01", "2026-11-30")
    st.count, st.insurer, st.patient          # totals, rials
    for line in st.lines: line.at, line.reference, line.insurer, line.patient

The statement is the exchange's: it is asked through the workstation's client (authenticated with the
facility seal) and needs the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.store import Store
    from app.workstation import Workstation


@dataclass(frozen=True)
class StatementLine:
    """One registered prescription (clinic) or dispensing (pharmacy): when (ISO 8601, UTC), its reference
    (the tracking code, or the dispensing's receipt number), the prescription's id, the insurer's and the
    patient's shares in rials, and the prescription's state at the exchange (clinic only). A clinic's
    registered visit (9-1 step 7) is a line of `kind` `visit` with its `visit` id and `service` code and no
    prescription."""

    at: str
    reference: str | None
    prescription: str
    insurer: int
    patient: int
    state: str | None = None
    kind: str = "prescription"
    visit: str = ""
    service: str = ""


@dataclass(frozen=True)
class Statement:
    """The statement of `facility` (SIAM id, `kind` clinic or pharmacy) from `start` to `end` (ISO dates,
    both included): its lines, their count and the insurer's and patient's totals in rials. `answer` is
    the exchange's reply as it came (what `noskhe sync statement --json` prints)."""

    facility: str
    kind: str
    start: str
    end: str
    lines: list[StatementLine]
    count: int
    insurer: int
    patient: int
    answer: dict[str, Any]

    def totals(self) -> dict[str, int]:
        """`{"count", "insurer", "patient"}`: the totals, amounts in rials."""
        return {"count": self.count, "insurer": self.insurer, "patient": self.patient}

    def to_dict(self) -> dict[str, Any]:
        """The exchange's reply as it came: `{"facility", "kind", "from", "to", "lines": [{"at",
        "trackingCode" | "receipt", "prescription", "insurer", "patient", "state"?}], "totals": {"count",
        "insurer", "patient"}}`."""
        return self.answer


def _day(value: str | dt.date | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    from app.dates import parse_user_date  # Jalali or Gregorian, any digits; `InvalidDate` otherwise

    return parse_user_date(value).isoformat()


def statement(
    ws: Workstation, start: str | dt.date | None = None, end: str | dt.date | None = None
) -> Statement:
    """This facility's statement from the exchange for `start`..`end` (`date`s, or days as people type
    them: Jalali `1405/09/01` or Gregorian `2026-11-22`, see `app.dates.parse_user_date`; both included;
    by default from the first of this month to today). Raises `InvalidDate` (a `NoskheError`) for a
    date that is not one (before the exchange is asked), `ExchangeUnavailable` (no answer),
    `ExchangeRefused`, the seal's errors, and `NotPermitted` for a person whose role may not see
    statements (`app.services.users`; asked before the exchange)."""
    from app.services.users import STATEMENTS, require

    require(ws, STATEMENTS)
    answer = ws.client.statement(_day(start), _day(end))
    lines = [
        StatementLine(
            at=str(x["at"]),
            reference=x.get("trackingCode") or x.get("receipt"),
            prescription=str(x.get("prescription") or ""),
            insurer=int(x["insurer"]),
            patient=int(x["patient"]),
            state=x.get("state"),
            kind=str(x.get("kind") or ("dispensing" if x.get("receipt") else "prescription")),
            visit=str(x.get("visit") or ""),
            service=str(x.get("service") or ""),
        )
        for x in answer.get("lines", [])
    ]
    totals = answer.get("totals") or {}
    return Statement(
        facility=str(answer.get("facility", ws.facility_siam)),
        kind=str(answer.get("kind", ws.role)),
        start=str(answer.get("from", "")),
        end=str(answer.get("to", "")),
        lines=lines,
        count=int(totals.get("count", len(lines))),
        insurer=int(totals.get("insurer", sum(x.insurer for x in lines))),
        patient=int(totals.get("patient", sum(x.patient for x in lines))),
        answer=answer,
    )


@dataclass(frozen=True)
class Totals:
    """One group of a statement's lines: `key` (an insurer's code, `""` for lines whose patient had no
    insurer or whose prescription is not held here; or an Iran day, ISO `YYYY-MM-DD`), how many lines,
    and the insurer's and the patient's shares in rials."""

    key: str
    count: int
    insurer: int
    patient: int


@dataclass(frozen=True)
class StatementReport:
    """A statement with its lines' insurers (prescription id → insurer code, from the prescriptions held
    here) and its totals per insurer and per day; the groups of each add up to the statement's totals."""

    statement: Statement
    insurer_of: dict[str, str]
    by_insurer: list[Totals]
    by_day: list[Totals]


def line_day(line: StatementLine) -> dt.date:
    """The Iran day of a statement line (the exchange's time is ISO 8601, usually UTC)."""
    from app.timefmt import iran_time

    return iran_time(dt.datetime.fromisoformat(line.at)).date()


def _group(lines: list[tuple[str, StatementLine]]) -> list[Totals]:
    groups: dict[str, list[StatementLine]] = {}
    for key, line in lines:
        groups.setdefault(key, []).append(line)
    return [
        Totals(key, len(ls), sum(x.insurer for x in ls), sum(x.patient for x in ls))
        for key, ls in sorted(groups.items())
    ]


def insurers_of(ws: Workstation, st: Statement) -> dict[str, str]:
    """Prescription id → its patient's insurer code (`""`: uninsured) for every line of `st` whose
    prescription this workstation holds (the exchange's statement does not name insurers)."""
    from app.store import reports

    docs = reports.prescriptions_by_id(ws.store, (x.prescription for x in st.lines))
    return {rx_id: payer_of(ws.store, rx_id, doc) for rx_id, doc in docs.items()}


def payer_of(store: Store, rx_id: str, doc: dict[str, Any] | None) -> str:
    """The insurer code that pays for prescription `rx_id` (`""`: none): the one the exchange named when
    it registered a dispensing of it, else the one eligibility confirmed (a prescription written while
    it was pending), else the coverage `doc` (the prescription as kept) states — a paper copy written
    offline names none though the patient is insured."""
    from app.costs import choose_coverages

    payer = store.results.get(f"rx:{rx_id}", "payer")
    if payer is not None:
        return str(payer.get("insurer") or "")
    found = store.results.get(f"rx:{rx_id}", "eligibility")
    if found is not None and found.get("status") == "confirmed":
        basic, _, _ = choose_coverages(found.get("coverages") or ())
        return str((basic or {}).get("insurer") or "")
    return str((((doc or {}).get("patient") or {}).get("coverage") or {}).get("insurer_code") or "")


def report(
    ws: Workstation, start: str | dt.date | None = None, end: str | dt.date | None = None
) -> StatementReport:
    """`statement(ws, start, end)` with its totals per insurer (codes from the prescriptions held here)
    and per Iran day, both sorted by key. Raises what `statement` raises."""
    st = statement(ws, start, end)
    insurers = insurers_of(ws, st)
    return StatementReport(
        statement=st,
        insurer_of=insurers,
        by_insurer=_group([(insurers.get(x.prescription, ""), x) for x in st.lines]),
        by_day=_group([(line_day(x).isoformat(), x) for x in st.lines]),
    )


__all__ = [
    "Statement",
    "StatementLine",
    "StatementReport",
    "Totals",
    "insurers_of",
    "line_day",
    "payer_of",
    "report",
    "statement",
]
