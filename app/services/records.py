"""Reading prescriptions back: find one by id, tracking code or HID, show it with what the exchange said and what
is still queued for it, list them.

Each takes the workstation (or its store) and plain values and returns domain objects or a result object;
nothing here writes (every read is audited by the store, national rules section 11, bylaw art. 9.6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain import Prescription
from app.errors import InvalidIdentifier
from app.identifiers import Hid, TrackingCode, guess_patient_id
from app.ids import read_id
from app.services.outbox import chain_of

if TYPE_CHECKING:
    from app.store import Store
    from app.workstation import Workstation


def _patient_value(text: str) -> str:
    """The canonical value of a patient id as typed (any digits, marks, `kind:value`); the text itself
    when it is no patient id, so the search just finds nothing."""
    try:
        return guess_patient_id(text).value
    except InvalidIdentifier:
        return text.split(":", 1)[-1].strip()


def find_prescription(store: Store, ref: str) -> Prescription:
    """A prescription kept in this store, by its id, by the tracking code the exchange issued or by the
    visit's HID (the retrieval keys of section 9-2 step 3; any digits, marks). Raises `NotFound`."""
    found: list[Prescription] = []
    if TrackingCode.is_valid(ref):
        found = store.find_prescriptions(tracking_code=TrackingCode.parse(ref).value, limit=1)
    elif Hid.is_valid(ref):
        found = store.find_prescriptions(hid=Hid.parse(ref).value, limit=1)  # the newest of the visit
    return found[0] if found else store.get_prescription(read_id(ref) or ref.strip())


@dataclass(frozen=True)
class OutboxLine:
    """One outbox row of a prescription: what is (or was) on its way to the exchange."""

    id: str
    op: str  # eligibility, register, edit, cancel, dispense, …
    version: int  # the prescription version it carries
    state: str  # pending, done, rejected, conflict, quarantined, acknowledged
    attempts: int
    reason_en: str | None = None  # why it needs attention (rejected / conflict / quarantined)
    reason_fa: str | None = None
    action_en: str | None = None  # what a person should do about it

    def to_dict(self) -> dict[str, Any]:
        """The shape `noskhe rx show --json` prints under `outbox`."""
        return {
            "id": self.id,
            "op": self.op,
            "version": self.version,
            "state": self.state,
            "attempts": self.attempts,
            "reason": self.reason_en,
            "reason_fa": self.reason_fa,
            "action": self.action_en,
        }

    @property
    def needs_attention(self) -> bool:
        """True when a person should read its reason (neither sent nor waiting its turn)."""
        return self.state not in ("done", "pending")


@dataclass(frozen=True)
class PrescriptionRecord:
    """A prescription with the exchange's answers about it and its outbox rows.

    `exchange` maps `"<subject>/<kind>"` (e.g. `"rx:<id>/registration"`) to the exchange's answer as kept
    (a JSON object: cost split in rials, findings of the insurance and clinical rules, section 9-1 step 4)."""

    prescription: Prescription
    exchange: dict[str, Any] = field(default_factory=dict)
    outbox: list[OutboxLine] = field(default_factory=list)

    @property
    def registration(self) -> dict[str, Any] | None:
        """The exchange's answer to the registration (its cost estimate and findings), if one came back."""
        answer = self.exchange.get(f"rx:{self.prescription.id}/registration")
        return answer if isinstance(answer, dict) else None

    def to_dict(self) -> dict[str, Any]:
        """The prescription's own fields plus `exchange` and `outbox`, as `noskhe rx show --json` prints."""
        return {
            **self.prescription.to_dict(),
            "exchange": self.exchange,
            "outbox": [line.to_dict() for line in self.outbox],
        }


def show_prescription(ws: Workstation, ref: str) -> PrescriptionRecord:
    """The prescription `ref` (id or tracking code) with the exchange's answers and its outbox rows, oldest
    first. Asks no token and never waits for the network. Raises `NotFound`."""
    store = ws.store
    rx = find_prescription(store, ref)
    lines = [
        OutboxLine(
            r.id, r.op, r.version, str(getattr(r.state, "value", r.state)), r.attempts,
            r.reason_en, r.reason_fa, r.action_en,
        )
        for r in store.outbox.for_chain(chain_of(rx.id))
    ]
    return PrescriptionRecord(rx, store.exchange_results_for_prescription(rx.id), lines)


def list_prescriptions(
    ws: Workstation, *, state: str | None = None, patient: str | None = None, limit: int = 50
) -> list[Prescription]:
    """Prescriptions in this store, newest first: at most `limit`, only in `state` (a `RxState` value) and
    only for `patient` (an id value, or `kind:value` as typed) when given."""
    value = _patient_value(patient) if patient else None
    return ws.store.find_prescriptions(patient_value=value, states=(state,) if state else (), limit=limit)
