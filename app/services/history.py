"""The counter list and its history: what this workstation did in a date range, filtered by state, insurer
and patient — prescriptions written (a clinic) or dispensings recorded (a pharmacy), each with its
patient, insurer and cost split in rials.

    rows = history(ws, HistoryFilter(start=date(2026, 11, 30), end=date(2026, 11, 30), insurer="IHIO"))
    totals(rows)  # {"count", "insurer", "patient"}

Days are Iran days (Tehran time), both ends included; people type them Jalali (`app.dates.parse_user_date`).
Nothing here waits for the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.costs import CostSplit
from app.domain import IRAN_TZ, Dispensing, Prescription
from app.errors import InvalidIdentifier
from app.identifiers import guess_patient_id
from app.lifecycle import RxState
from app.services.statements import payer_of
from app.store import reports
from app.text import fold_for_search, normalize_code

if TYPE_CHECKING:
    from app.workstation import Workstation

#: a dispensing's states, in the order a list offers them
DISPENSING_STATES = ("draft", "signed", "queued", "registered", "conflict", "rejected")
#: a dispensing the exchange refused (another pharmacy dispensed it first, or refused outright): listed,
#: marked, with no money, and left out of every total
REFUSED_STATES = frozenset({"conflict", "rejected"})


@dataclass(frozen=True)
class HistoryFilter:
    """Which rows: Iran days `start`..`end` (both included; None: no bound), a state (an `RxState` value at
    a clinic, a dispensing state at a pharmacy), an insurer code (`""`: the uninsured), and `patient` as
    typed (an id in any digits, or part of a name)."""

    start: dt.date | None = None
    end: dt.date | None = None
    state: str | None = None
    insurer: str | None = None
    patient: str = ""

    @classmethod
    def today(cls, today: dt.date | None = None) -> HistoryFilter:
        """Today's counter list (Iran's today unless `today` is given)."""
        day = today or dt.datetime.now(IRAN_TZ).date()
        return cls(start=day, end=day)


@dataclass(frozen=True)
class HistoryRow:
    """One line of the list: when (aware, Iran time), `kind` (`prescription` or `dispensing`), its id and
    its prescription's id, the patient's name and id value, the insurer's code (`""` when none), the
    state, the exchange's reference (tracking code or receipt, None before it answered), the insurer's
    and the patient's shares in rials, and how many items. `refused`: a dispensing the exchange refused
    (shown with zero money, never counted in a total)."""

    at: dt.datetime
    kind: str
    id: str
    prescription_id: str
    patient_name: str
    patient_id: str
    insurer: str
    state: str
    reference: str | None
    insurer_share: int
    patient_share: int
    items: int
    refused: bool = False


def states_for(role: str) -> tuple[str, ...]:
    """The states a list of `role` (`clinic` or `pharmacy`) filters by."""
    return DISPENSING_STATES if role == "pharmacy" else tuple(s.value for s in RxState)


def day_bounds(start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The Iran-time instants that bound the days `start`..`end` (end excluded: the next midnight)."""
    since = dt.datetime.combine(start, dt.time(), IRAN_TZ) if start else None
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), IRAN_TZ) if end else None
    return since, until


def _patient_value(text: str) -> str | None:
    try:
        return guess_patient_id(text).value if text.strip() else None
    except InvalidIdentifier:
        return None


def _matches_patient(name: str, value: str, text: str) -> bool:
    if not text.strip():
        return True
    folded, code = fold_for_search(text), normalize_code(text).strip()
    return folded in fold_for_search(name) or (bool(code) and code in value)


def history(ws: Workstation, f: HistoryFilter, *, limit: int = 1000) -> list[HistoryRow]:
    """The rows of this workstation that pass `f`, newest first, at most `limit`: a clinic's prescriptions
    (by when they were prescribed) or a pharmacy's dispensings (by when they were dispensed, with their
    prescription's patient and insurer). Filters the store cannot apply by an index (insurer, part of a
    name) look at the newest `20 × limit` rows of the range only. Every read is audited; no network."""
    since, until = day_bounds(f.start, f.end)
    value = _patient_value(f.patient)
    # rows filtered here (insurer, a name) are read in a bounded batch, newest first
    sifted = f.insurer is not None or (value is None and f.patient.strip()) or ws.role == "pharmacy"
    read = limit * 20 if sifted else limit
    if ws.role == "pharmacy":
        rows = _dispensings(ws, since, until, read)
    else:
        states = (f.state,) if f.state else ()
        docs = reports.prescriptions_between(
            ws.store, since, until, states=states, patient_value=value, limit=read
        )
        rows = [_rx_row(Prescription.from_dict(d), payer_of(ws.store, str(d["id"]), d)) for d in docs]
    out = []
    for row in rows:
        if f.state and row.state != f.state:
            continue
        if f.insurer is not None and row.insurer != f.insurer:
            continue
        if value is not None and row.patient_id != value:
            continue
        if value is None and not _matches_patient(row.patient_name, row.patient_id, f.patient):
            continue
        out.append(row)
        if len(out) >= limit:
            break
    return out


def _rx_row(rx: Prescription, insurer: str) -> HistoryRow:
    cost = rx.cost
    return HistoryRow(
        at=rx.prescribed_at.astimezone(IRAN_TZ),
        kind="prescription",
        id=rx.id,
        prescription_id=rx.id,
        patient_name=rx.patient.full_name,
        patient_id=rx.patient.id.value,
        insurer=insurer,
        state=rx.state.value,
        reference=rx.tracking_code,
        insurer_share=cost.insurer,
        patient_share=cost.patient,
        items=len(rx.items),
    )


def _dispensings(
    ws: Workstation, since: dt.datetime | None, until: dt.datetime | None, limit: int
) -> list[HistoryRow]:
    docs = reports.dispensings_between(ws.store, since, until, limit=limit)
    rxs = reports.prescriptions_by_id(ws.store, (str(d["prescription_id"]) for d in docs))
    rows = []
    for doc in docs:
        d = Dispensing.from_dict(doc)
        rx = rxs.get(d.prescription_id)
        patient = (rx or {}).get("patient") or {}
        name = f"{patient.get('first_name', '')} {patient.get('last_name', '')}".strip()
        refused = d.state in REFUSED_STATES  # the exchange's answer: not this pharmacy's money
        cost = CostSplit(0, 0) if refused else d.cost
        rows.append(
            HistoryRow(
                at=d.dispensed_at.astimezone(IRAN_TZ),
                kind="dispensing",
                id=d.id,
                prescription_id=d.prescription_id,
                patient_name=name,
                patient_id=str((patient.get("id") or {}).get("value", "")),
                insurer=payer_of(ws.store, d.prescription_id, rx),
                state=d.state,
                reference=d.tracking_code or (rx or {}).get("tracking_code"),
                insurer_share=cost.insurer,
                patient_share=cost.patient,
                items=len(d.items),
                refused=refused,
            )
        )
    return rows


def totals(rows: list[HistoryRow]) -> dict[str, int]:
    """`{"count", "insurer", "patient"}` of `rows`, amounts in rials; rows the exchange refused (`refused`)
    are left out, so the totals match the exchange's statement."""
    counted = [r for r in rows if not r.refused]
    split = CostSplit.sum(CostSplit(r.insurer_share, r.patient_share) for r in counted)
    return {"count": len(counted), "insurer": split.insurer, "patient": split.patient}


__all__ = [
    "DISPENSING_STATES",
    "REFUSED_STATES",
    "HistoryFilter",
    "HistoryRow",
    "day_bounds",
    "history",
    "states_for",
    "totals",
]
