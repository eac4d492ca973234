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
    from app.workstation import Workstation


@dataclass(frozen=True)
class StatementLine:
    """One registered prescription (clinic) or dispensing (pharmacy): when (ISO 8601, UTC), its reference
    (the tracking code, or the dispensing's receipt number), the prescription's id, the insurer's and the
    patient's shares in rials, and the prescription's state at the exchange (clinic only)."""

    at: str
    reference: str | None
    prescription: str
    insurer: int
    patient: int
    state: str | None = None


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


__all__ = ["Statement", "StatementLine", "statement"]
