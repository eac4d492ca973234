"""What SEPAS (سپاس), the national electronic health record, holds for a patient from this facility
(national rules section 8-5; seeds/003): the final home of every e-prescription, dispensing and visit.

The exchange forwards each registered prescription (every version), cancellation and dispensing to SEPAS;
a workstation asks, through the exchange, what SEPAS holds for one patient from its own facility:

    view = sepas_records(ws, "0012345679")      # any digits, marks, kind:value, as typed or scanned
    for r in view.records: r.kind, r.subject, r.version, r.reference, r.occurred_at, r.items

Online only: SEPAS is a national system, nothing of it is kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.identifiers import guess_patient_id

if TYPE_CHECKING:
    from app.workstation import Workstation

#: the kinds of record SEPAS keeps, with their names for people (English, Persian)
KINDS = {
    "prescription": ("prescription", "نسخه"),
    "cancellation": ("cancellation", "ابطال نسخه"),
    "dispensing": ("dispensing", "نسخه‌پیچی"),
    "visit": ("visit", "ویزیت"),
    "outcome": ("service outcome", "نتیجهٔ خدمت"),
}


@dataclass(frozen=True)
class SepasItem:
    """One line of a record: the prescription line, the drug or service code, its name when known, units."""

    line: int
    code: str
    quantity: int
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        """`{"line", "code", "quantity", "name"}`."""
        return {"line": self.line, "code": self.code, "quantity": self.quantity, "name": self.name}


@dataclass(frozen=True)
class SepasRecord:
    """One record SEPAS holds: its kind (`KINDS`), the subject's id (prescription or dispensing id) and
    version, the reference people quote (tracking code, receipt number), the facility (SIAM id), the
    patient (`kind:value`), the author (prescriber's council number, pharmacist's licence), when it happened
    and when SEPAS received it (ISO 8601 UTC), its lines, and the prescription a dispensing or
    cancellation belongs to."""

    kind: str
    subject: str
    version: int
    facility: str
    patient: str
    author: str
    occurred_at: str
    received_at: str
    reference: str = ""
    prescription: str = ""
    items: tuple[SepasItem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as `noskhe sepas show --json` prints it."""
        return {
            "kind": self.kind,
            "subject": self.subject,
            "version": self.version,
            "reference": self.reference,
            "prescription": self.prescription,
            "facility": self.facility,
            "patient": self.patient,
            "author": self.author,
            "occurred_at": self.occurred_at,
            "received_at": self.received_at,
            "items": [i.to_dict() for i in self.items],
        }


@dataclass(frozen=True)
class SepasView:
    """What SEPAS answered for `patient` (`kind:value`) and `facility`: its records, oldest first."""

    patient: str
    facility: str
    records: list[SepasRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """`{"patient", "facility", "records": [...]}`."""
        return {
            "patient": self.patient,
            "facility": self.facility,
            "records": [r.to_dict() for r in self.records],
        }


def sepas_records(ws: Workstation, patient: str) -> SepasView:
    """What SEPAS holds for `patient` from this workstation's facility (section 8-5): every prescription
    version, cancellation and dispensing the exchange forwarded, oldest first. `patient` is a patient id as
    typed or scanned (national code, FIDA, newborn `CODE-N`, or `kind:value`; see
    `app.identifiers.guess_patient_id`). Raises `InvalidIdentifier` before the network is asked,
    `ExchangeUnavailable` (no answer: SEPAS is asked online only), `ExchangeRefused`, and the seal's
    errors (the exchange is asked as this facility)."""
    pid = guess_patient_id(patient)
    records = ws.client.sepas(pid.kind, pid.value)
    return SepasView(f"{pid.kind}:{pid.value}", ws.facility_siam, records)


__all__ = ["KINDS", "SepasItem", "SepasRecord", "SepasView", "sepas_records"]
