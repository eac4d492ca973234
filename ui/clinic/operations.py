"""The GP's operations: each takes the workstation and plain values and returns an `Op` (ui.common.operations).

They call the same use cases as `noskhe rx …` (`app.services.prescribing`, `app.services.records`,
`sync.checking`, `printing.paper`): nothing here decides anything about a prescription. Signing, the rules
check and printing (which signs the paper QR on first print) run on the network lane, since they may wait on
a token or the exchange; reads run on the store lane.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.domain import Patient, PatientId, Prescription
from app.services import prescribing, records
from ui.common.operations import Changes, Op
from ui.common.taskman import Lane

if TYPE_CHECKING:
    from app.costs import CostSplit, Settlement
    from app.services.checking import Admission
    from app.services.prescribing import ItemRequest
    from app.services.records import PrescriptionRecord
    from app.workstation import Workstation
    from sync.checking import RulesCheck


def _changed(rx: Prescription) -> Changes:
    return Changes.of_prescription(rx.id)


def write_prescription(
    ws: Workstation,
    *,
    patient: Patient,
    items: Sequence[ItemRequest],
    notes: str = "",
    draft_id: str | None = None,
    override_reason: str | None = None,
) -> Op[Prescription]:
    """Eligibility, the rules, then sign and queue a new prescription (or the kept draft `draft_id`);
    `override_reason` lets overridable rejections through. The result is queued."""
    return Op(
        lambda: prescribing.write_prescription(
            ws, patient=patient, items=items, notes=notes, draft_id=draft_id, override_reason=override_reason
        ),
        lane=Lane.NETWORK,
        changes=_changed,
    )


def edit_prescription(
    ws: Workstation,
    rx_id: str,
    *,
    items: Sequence[ItemRequest],
    notes: str,
    override_reason: str | None = None,
) -> Op[Prescription]:
    """A new signed version of `rx_id`, queued as an edit (until it is dispensed), after the rules again."""
    return Op(
        lambda: prescribing.edit_prescription(
            ws, rx_id, items=items, notes=notes, override_reason=override_reason
        ),
        lane=Lane.NETWORK,
        changes=_changed,
    )


def cancel_prescription(ws: Workstation, rx_id: str) -> Op[Prescription]:
    """Cancel `rx_id` now; a signed cancellation is queued when the exchange has it (or will)."""
    return Op(lambda: prescribing.cancel_prescription(ws, rx_id), lane=Lane.NETWORK, changes=_changed)


def check_rules(
    ws: Workstation, *, patient: Patient, items: Sequence[ItemRequest], override_reason: str | None = None
) -> Op[RulesCheck]:
    """The insurance and clinical rules before signing: the exchange's when it answers at once, the local
    engine's on the cached rule set otherwise (never a wait on an outage); nothing is saved."""
    from sync.checking import check_prescription

    return Op(
        lambda: check_prescription(ws, patient=patient, items=items, override_reason=override_reason),
        lane=Lane.NETWORK,
    )


def show_prescription(ws: Workstation, rx_id: str) -> Op[PrescriptionRecord]:
    """One prescription with the exchange's answers and its outbox rows."""
    return Op(lambda: records.show_prescription(ws, rx_id))


@dataclass(frozen=True)
class CostShown:
    """A prescription's cost as the detail page shows it: the whole (`settlement`: the estimate and the
    exchange's split once it answered) and each line's split (line → the exchange's when it answered per
    line, else as signed), in rials; `pending` are the lines with no price yet (0 rials, no answer)."""

    settlement: Settlement
    lines: dict[int, CostSplit]
    pending: frozenset[int]


def prescription_cost(ws: Workstation, rx_id: str) -> Op[CostShown]:
    """The estimate and the exchange's split of `rx_id` (`app.services.checking.prescription_settlement`)."""
    from app.costs import CostSplit
    from app.services.checking import prescription_settlement

    def work() -> CostShown:
        rx = ws.store.get_prescription(rx_id)
        settlement = prescription_settlement(ws.store, rx)
        registration = ws.store.results.get(f"rx:{rx.id}", "registration") or {}
        answered = {int(k): CostSplit.from_dict(v) for k, v in (registration.get("itemCosts") or {}).items()}
        lines = {it.line: answered.get(it.line, it.cost) for it in rx.items}
        known = settlement.exchange is not None
        pending = frozenset(ln for ln, c in lines.items() if not c.total and not known)
        return CostShown(settlement, lines, pending)

    return Op(work)


def find_by_code(ws: Workstation, code: str) -> Op[Prescription | None]:
    """The prescription kept here with this tracking code or id, or None."""
    from app.errors import NotFound

    def work() -> Prescription | None:
        try:
            return records.find_prescription(ws.store, code)
        except NotFound:
            return None

    return Op(work)


def print_to_pdf(ws: Workstation, rx_id: str, out: Path | None = None) -> Op[Path]:
    """The paper prescription as an A5 PDF (`out`, or a new temporary file); the QR is signed by the
    prescriber's token on the first print and reused on reprints."""
    from printing.paper import print_prescription

    def work() -> Path:
        path = out or Path(tempfile.mkstemp(prefix=f"noskhe-{rx_id[-8:]}-", suffix=".pdf")[1])
        print_prescription(ws.store, rx_id, path, signer=ws.signing_user)
        return path

    return Op(work, lane=Lane.NETWORK, changes=Changes.of_prescription(rx_id, outbox=False))


def known_patient(ws: Workstation, patient_id: PatientId) -> Op[Patient | None]:
    """The patient this store knows by `patient_id` (from an earlier prescription), or None."""
    from app.errors import NotFound

    def work() -> Patient | None:
        try:
            return ws.store.get_patient(patient_id)
        except NotFound:
            return None

    return Op(work)


def ask_eligibility(ws: Workstation, patient: Patient) -> Op[Admission]:
    """Eligibility for `patient` now, on the network lane (9-1 step 2, `app.services.checking.admit`, as
    the rules check asks it): online the coverage the exchange found (confirmed); offline, or when the
    exchange cannot be reached, a pending admission of the patient as typed."""
    import datetime as dt

    from app.services.checking import admit

    return Op(lambda: admit(ws, patient, dt.datetime.now(dt.UTC)), lane=Lane.NETWORK)


def newborn_mother(ws: Workstation, patient_id: PatientId) -> Op[Patient | None]:
    """The mother this store knows of a newborn id (`newborn`, "MOTHERCODE-N"), or None: the newborn is
    covered under her insurance before registration (section 7)."""
    from app.errors import NotFound

    def work() -> Patient | None:
        if patient_id.kind != "newborn":
            return None
        try:
            return ws.store.get_patient(PatientId("national-code", patient_id.value.split("-")[0]))
        except NotFound:
            return None

    return Op(work)


__all__ = [
    "ask_eligibility",
    "cancel_prescription",
    "check_rules",
    "edit_prescription",
    "find_by_code",
    "known_patient",
    "newborn_mother",
    "prescription_cost",
    "print_to_pdf",
    "show_prescription",
    "write_prescription",
]
