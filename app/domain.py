"""The entities of the national program as the point-of-care client sees them (domain.md, section 7).

Plain dataclasses; money is integer rials, times are timezone-aware and kept to the second. Entities turn
into JSON-ready dicts with `to_dict()` and back with `from_dict()`; `Prescription.document()` is the content
that gets signed (its canonical bytes, see `app.canonical`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import Any

from app.costs import CostSplit, total_of
from app.errors import NoskheError
from app.identifiers import KINDS, PATIENT_ID_KINDS, Identifier, guess_patient_id, parse_identifier
from app.ids import new_id
from app.lifecycle import RxEvent, RxState, next_state
from app.text import normalize_text

IRAN_TZ = dt.timezone(dt.timedelta(hours=3, minutes=30), "IRST")


def now() -> dt.datetime:
    """The current time in Iran, to the second (Iran has kept +03:30 all year since 2022)."""
    return dt.datetime.now(IRAN_TZ).replace(microsecond=0)


def provider_user_id(siam: str, person: str) -> str:
    """The provider user id of section 7-5: one person's activity at one facility, written
    `SIAM:PERSON` (the facility's SIAM id, the person's national code — or, when the certificate names
    none, his council or licence number). "" when the person is not known."""
    return f"{siam}:{person}" if person else ""


def _moment(value: Any) -> dt.datetime | None:
    """An ISO 8601 time as kept in a document (None stays None)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def legal_fields(entity: Any) -> dict[str, Any]:
    """The legal data elements of section 7 a prescription or dispensing carries beside its content, as its
    signed document names them — each only when set, so what was signed before they existed keeps its
    bytes: `providerUserId` (7-5), `facilityNationalId` (7-9 note 1), `serviceStart`/`serviceEnd` (7-7)."""
    out: dict[str, Any] = {}
    for key, value in (
        ("providerUserId", entity.provider_user_id),
        ("facilityNationalId", entity.facility_national_id),
        ("serviceStart", entity.service_start),
        ("serviceEnd", entity.service_end),
    ):
        if value:
            out[key] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class _Entity:
    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))  # type: ignore[call-overload]

    @classmethod
    def _kwargs(cls, data: dict[str, Any]) -> dict[str, Any]:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return {k: v for k, v in data.items() if k in names}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        return cls(**cls._kwargs(data))


class Sex(str, Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


@dataclass(frozen=True)
class PatientId:
    """How a patient is identified: one of national code, FIDA, unique id, newborn-under-mother."""

    kind: str
    value: str

    @classmethod
    def parse(cls, kind: str, text: object) -> "PatientId":
        if kind not in PATIENT_ID_KINDS:
            raise NoskheError(
                f"{kind!r} does not identify a patient; use one of {', '.join(PATIENT_ID_KINDS)}.",
                f"«{kind}» شناسه بیمار نیست.",
            )
        return cls(kind, parse_identifier(kind, text).value)

    @classmethod
    def guess(cls, text: object) -> "PatientId":
        """Read a typed or scanned id without a kind, by its shape (`app.identifiers.guess_patient_id`):
        10 digits → national code (a wrong check digit is refused), 12 → FIDA, `CODE-N` → newborn;
        a unique id only as `unique-id:…`. Raises `InvalidIdentifier`."""
        found = guess_patient_id(text)
        return cls(found.kind, found.value)

    def identifier(self) -> Identifier:
        return KINDS[self.kind](self.value)

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class Coverage(_Entity):
    insurer_code: str
    scheme: str = ""
    insurance_number: str = ""
    insurer_percent: int = 0  # of covered items' price
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class Patient(_Entity):
    id: PatientId
    first_name: str
    last_name: str
    birth_date: dt.date | None = None
    sex: Sex | None = None
    phone: str = ""
    coverage: Coverage | None = None
    #: a supplementary plan that pays part of the patient's share, as eligibility found it (9-1 step 2)
    supplementary: Coverage | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "first_name", normalize_text(self.first_name))
        object.__setattr__(self, "last_name", normalize_text(self.last_name))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def age(self, on: dt.date | None = None) -> int | None:
        if not self.birth_date:
            return None
        on = on or dt.date.today()
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Patient":
        d = dict(data)
        d["id"] = PatientId(**d["id"])
        if d.get("birth_date"):
            d["birth_date"] = dt.date.fromisoformat(d["birth_date"])
        if d.get("sex"):
            d["sex"] = Sex(d["sex"])
        for key in ("coverage", "supplementary"):
            if d.get(key):
                cov = dict(d[key])
                if cov.get("valid_until"):
                    cov["valid_until"] = dt.date.fromisoformat(cov["valid_until"])
                d[key] = Coverage.from_dict(cov)
        return cls(**cls._kwargs(d))


@dataclass(frozen=True)
class Prescriber(_Entity):
    name: str
    medical_council_number: str
    specialty: str = "پزشک عمومی"
    national_code: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Pharmacist(_Entity):
    name: str
    licence: str
    national_code: str = ""


@dataclass(frozen=True)
class Facility(_Entity):
    siam_id: str
    name: str
    kind: str  # "clinic" | "pharmacy"
    national_id: str = ""  # the provider's legal national id (tax)
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Insurer(_Entity):
    code: str
    name_fa: str
    name_en: str
    rules: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Drug(_Entity):
    code: str
    generic_fa: str
    generic_en: str
    form: str
    strength: str
    route: str
    atc: str
    form_fa: str = ""
    price: int = 0  # rials per unit, from the current price list

    @property
    def label_fa(self) -> str:
        return f"{self.generic_fa} {self.form_fa or self.form} {self.strength}"

    @property
    def label_en(self) -> str:
        return f"{self.generic_en} {self.form} {self.strength}"


@dataclass(frozen=True)
class PrescriptionItem(_Entity):
    drug_code: str
    drug_name: str
    quantity: int
    instructions: str
    repeats: int = 0
    cost: CostSplit = field(default_factory=CostSplit)
    #: the exchange's rule-approval id for this line (9-1 step 4), known once it registered the prescription;
    #: not part of what the prescriber signs
    rule_approval_id: str | None = None
    line: int = 0
    #: how many days the line is meant to last (the rules' maximum duration), when the prescriber says
    days: int | None = None
    #: a line that orders a service, not a drug (sections 7-6, 8-1): its kind (`lab`, `imaging`, `physio`),
    #: and `drug_code` holds the service's code; None for a drug line (and absent from what it signs)
    service: str | None = None
    #: True when the prescriber forbids substituting another product of the drug's interchangeable group
    #: at the pharmacy ("no substitution"); None (the default) allows it, and is absent from what it signs
    no_substitution: bool | None = None
    #: the code in the national coding (MOXA, 8-10) the line's catalog code maps to, when known; carried
    #: on the wire beside the catalog's code, not part of what the prescriber signs
    national_code: str | None = None

    @property
    def is_service(self) -> bool:
        """True for a line that orders a lab test, an imaging study or physiotherapy."""
        return self.service is not None

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise NoskheError("An item's quantity must be at least 1.", "تعداد هر قلم باید دست‌کم ۱ باشد.")
        if self.repeats < 0:
            raise NoskheError("Repeats cannot be negative.", "تعداد تکرار نمی‌تواند منفی باشد.")
        if self.days is not None and self.days <= 0:
            raise NoskheError("An item's duration must be at least 1 day.", "مدت مصرف هر قلم باید دست‌کم ۱ روز باشد.")
        object.__setattr__(self, "instructions", normalize_text(self.instructions))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PrescriptionItem":
        d = dict(data)
        d["cost"] = CostSplit.from_dict(d.get("cost") or {})
        return cls(**cls._kwargs(d))


def _signed_item(item: PrescriptionItem) -> dict[str, Any]:
    """A line as the prescriber signs it: the rule-approval id comes later, from the exchange; the national
    code is the reference data's mapping of the catalog code, not his."""
    d = item.to_dict()
    d.pop("rule_approval_id", None)
    d.pop("national_code", None)
    return d


@dataclass
class Prescription(_Entity):
    """One prescription, versioned: an edit makes a new version that must be signed again."""

    patient: Patient
    prescriber: Prescriber
    facility_siam: str
    items: list[PrescriptionItem]
    notes: str = ""
    id: str = field(default_factory=new_id)
    version: int = 1
    state: RxState = RxState.DRAFT
    prescribed_at: dt.datetime = field(default_factory=now)
    hid: str | None = None
    tracking_code: str | None = None
    rule_approval_id: str | None = None
    #: why the prescriber signs despite a rejection the rules allow to override (9-1 step 4); signed
    override_reason: str = ""
    #: where the items' cost split comes from: "exchange" (its rules answered before signing) or "estimate"
    #: (worked out here, offline); not signed
    cost_basis: str = "estimate"
    #: units handed over per line (line → units), as far as this workstation knows (9-2-6)
    dispensed: dict[int, int] = field(default_factory=dict)
    #: section 7's legal elements (see `legal_fields`); signed when set, None in what was signed before them
    provider_user_id: str | None = None  # 7-5: `SIAM:national code` of the prescriber at this facility
    facility_national_id: str | None = None  # 7-9 note 1: the provider's national id (tax)
    service_start: dt.datetime | None = None  # 7-7: when the visit began
    service_end: dt.datetime | None = None  # 7-7: when it ended (the signature, unless the GP says)

    def __post_init__(self) -> None:
        self.items = [replace(it, line=i + 1) if it.line == 0 else it for i, it in enumerate(self.items)]
        self.dispensed = {int(k): int(v) for k, v in self.dispensed.items() if int(v) > 0}

    # ---- what was dispensed, line by line -------------------------------------------------------------

    def dispensed_of(self, line: int) -> int:
        """Units of `line` handed over so far (0 when none)."""
        return self.dispensed.get(line, 0)

    def remaining(self, line: int) -> int:
        """Units of `line` still to hand over: prescribed minus dispensed, never below 0 (0 for a line
        the prescription lacks)."""
        item = next((it for it in self.items if it.line == line), None)
        return 0 if item is None else max(0, item.quantity - self.dispensed_of(line))

    @property
    def dispensed_lines(self) -> list[int]:
        """The lines handed over in full, in order."""
        return [it.line for it in self.items if self.dispensed_of(it.line) >= it.quantity]

    @property
    def fully_dispensed(self) -> bool:
        """True when every drug line is handed over in full (service lines are performed, not dispensed:
        their outcomes are registered by the performing facility, 9-2-8)."""
        return all(self.remaining(it.line) == 0 for it in self.items if not it.is_service)

    def _as_units(self, done: Mapping[int, int] | Sequence[int]) -> dict[int, int]:
        """Units per line from a mapping (line → units) or a list of lines handed over in full."""
        if isinstance(done, Mapping):
            return {int(k): int(v) for k, v in done.items()}
        full = {it.line: it.quantity for it in self.items}
        return {int(ln): full.get(int(ln), 0) for ln in done}

    @property
    def cost(self) -> CostSplit:
        """The total split of the items, in rials (`app.costs.total_of`)."""
        return total_of(self.items)

    def document(self) -> dict[str, Any]:
        """The signed content: who, for whom, what, when. State, HID and tracking code come later and
        are bound to the id by the exchange, so they are not part of it."""
        return {
            "resourceType": "NoskhePrescription",
            "id": self.id,
            "version": self.version,
            "patient": self.patient.to_dict(),
            "prescriber": self.prescriber.to_dict(),
            "facility": self.facility_siam,
            "prescribedAt": self.prescribed_at.isoformat(),
            "items": [_signed_item(it) for it in self.items],
            "notes": self.notes,
            "cost": self.cost.to_dict(),
            # only when given, so what was signed without one keeps its bytes
            **({"overrideReason": self.override_reason} if self.override_reason else {}),
            **legal_fields(self),
        }

    def _apply(self, event: RxEvent) -> None:
        self.state = next_state(self.state, event)

    def mark_signed(self) -> None:
        if not self.items:
            raise NoskheError("A prescription needs at least one item.", "نسخه باید دست‌کم یک قلم داشته باشد.")
        self._apply(RxEvent.SIGN)

    def mark_queued(self) -> None:
        self._apply(RxEvent.QUEUE)

    def mark_registered(self, tracking_code: str) -> None:
        self._apply(RxEvent.REGISTER)
        self.tracking_code = tracking_code

    def mark_rejected(self) -> None:
        self._apply(RxEvent.REJECT)

    def record_dispensing(self, handed: Mapping[int, int] | Sequence[int]) -> None:
        """Count a dispensing of this copy: `handed` is units per line (line → units), or a list of lines
        handed over in full. The state becomes dispensed when every line is complete, else partially
        dispensed (`IllegalTransition` from a state that cannot be dispensed)."""
        after = dict(self.dispensed)
        for line, units in self._as_units(handed).items():
            after[line] = after.get(line, 0) + units
        full = all(after.get(it.line, 0) >= it.quantity for it in self.items if not it.is_service)
        self._apply(RxEvent.DISPENSE_ALL if full else RxEvent.DISPENSE_PART)
        self.dispensed = after

    def edit(self, *, items: list[PrescriptionItem] | None = None, notes: str | None = None) -> None:
        """Change the content; a signed or sent prescription becomes a new, unsigned version."""
        was = self.state
        self._apply(RxEvent.EDIT)
        if was is not RxState.DRAFT:
            self.version += 1
        if items is not None:
            self.items = [replace(it, line=i + 1) for i, it in enumerate(items)]
        if notes is not None:
            self.notes = notes

    def cancel(self) -> None:
        self._apply(RxEvent.CANCEL)

    def reconcile(
        self, state: RxState | str | None, dispensed: Mapping[int, int] | Sequence[int] | None = None
    ) -> None:
        """Adopt what the national exchange says happened (dispensed at another pharmacy, cancelled by
        the prescriber): `state` as it reports it, `dispensed` as units per line (line → units) or the
        lines it reports handed over in full.

        The exchange's record is the authority, so this is the one change that does not go through the
        local state machine; it never moves a prescription back from dispensed to undispensed, nor counts
        fewer units of a line than this copy already does. An open state (registered, partially dispensed)
        follows the units counted: partially dispensed while any unit is, dispensed once every line is."""
        if dispensed is not None:
            for line, units in self._as_units(dispensed).items():
                if units > 0:
                    self.dispensed[line] = max(self.dispensed.get(line, 0), units)
        if state is not None:
            new = RxState(state)
            order = [RxState.PARTIALLY_DISPENSED, RxState.DISPENSED]
            if self.state in order and new in order and order.index(new) < order.index(self.state):
                new = self.state
            if new in (RxState.REGISTERED, RxState.PARTIALLY_DISPENSED) and self.dispensed:
                new = RxState.DISPENSED if self.fully_dispensed else RxState.PARTIALLY_DISPENSED
            self.state = new

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `dispensed` keyed by the line as text, and `dispensed_lines` (the complete lines)
        for readers."""
        d = super().to_dict()
        d["dispensed"] = {str(k): v for k, v in sorted(self.dispensed.items())}
        d["dispensed_lines"] = self.dispensed_lines
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Prescription":
        d = dict(data)
        d["patient"] = Patient.from_dict(d["patient"])
        d["prescriber"] = Prescriber.from_dict(d["prescriber"])
        d["items"] = [PrescriptionItem.from_dict(i) for i in d["items"]]
        d["state"] = RxState(d.get("state", "draft"))
        d["prescribed_at"] = dt.datetime.fromisoformat(d["prescribed_at"])
        for key in ("service_start", "service_end"):
            d[key] = _moment(d.get(key))
        if "dispensed" not in d and d.get("dispensed_lines"):  # kept before quantities were: whole lines
            full = {it.line: it.quantity for it in d["items"]}
            d["dispensed"] = {ln: full.get(ln, 0) for ln in d["dispensed_lines"]}
        return cls(**cls._kwargs(d))


@dataclass(frozen=True)
class DispensedPack(_Entity):
    authenticity_code: str  # 16-digit TTAC code on the label
    gtin: str = ""
    batch: str = ""
    expiry: str = ""


@dataclass(frozen=True)
class DispensingItem(_Entity):
    line: int  # the prescription item's line
    drug_code: str
    quantity: int
    packs: tuple[DispensedPack, ...] = ()
    cost: CostSplit = field(default_factory=CostSplit)
    #: the rule-approval id of the prescription's line (9-2 step 6: rules results travel with it); signed
    rule_approval_id: str | None = None
    #: the prescription's drug code when `drug_code` is another product of its interchangeable group (a
    #: generic substitution at the counter, `app.substitution`); None when the prescribed product is handed
    #: over (and then absent from what is signed)
    prescribed_code: str | None = None

    @property
    def substituted(self) -> bool:
        """True when another product than the prescribed one was handed over."""
        return self.prescribed_code is not None and self.prescribed_code != self.drug_code

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DispensingItem":
        d = dict(data)
        d["packs"] = tuple(DispensedPack.from_dict(p) for p in d.get("packs", ()))
        d["cost"] = CostSplit.from_dict(d.get("cost") or {})
        return cls(**cls._kwargs(d))


@dataclass
class Dispensing(_Entity):
    prescription_id: str
    pharmacist: Pharmacist
    facility_siam: str
    items: list[DispensingItem]
    hid: str | None = None
    tracking_code: str | None = None
    id: str = field(default_factory=new_id)
    dispensed_at: dt.datetime = field(default_factory=now)
    payment_id: str = ""  # the patient's electronic payment id
    pos_terminal_id: str = ""
    state: str = "draft"  # draft → signed → queued → registered | conflict
    #: why packs were handed over without their TTAC codes, or without checking them (9-2-7); signed
    ttac_reason: str | None = None
    #: the medical council number of the prescription's prescriber, so the exchange can judge a dispensing
    #: of a paper prescription it never registered (a suspended prescriber); signed
    prescriber_council: str | None = None
    #: the prescription's rule-approval id (9-2 step 6); signed
    rule_approval_id: str | None = None
    #: "exchange" when the split is the one the exchange's rules answered before signing, "estimate" when it
    #: was worked out here offline (the exchange's figure is adopted when it answers); signed
    cost_basis: str | None = None
    #: section 7's legal elements (`legal_fields`); signed when set, absent from what was signed before them
    provider_user_id: str | None = None  # 7-5: `SIAM:national code` of the pharmacist at this pharmacy
    facility_national_id: str | None = None  # 7-9 note 1: the pharmacy's national id (tax)
    service_start: dt.datetime | None = None  # 7-7: when the dispensing began
    service_end: dt.datetime | None = None  # 7-7: when it ended (the signature)

    @property
    def cost(self) -> CostSplit:
        """The total split of the items, in rials (`app.costs.total_of`)."""
        return total_of(self.items)

    def document(self) -> dict[str, Any]:
        d = self.to_dict()
        d.pop("state", None)
        d["resourceType"] = "NoskheDispensing"
        d["cost"] = self.cost.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Dispensing":
        d = dict(data)
        d["pharmacist"] = Pharmacist.from_dict(d["pharmacist"])
        d["items"] = [DispensingItem.from_dict(i) for i in d["items"]]
        d["dispensed_at"] = dt.datetime.fromisoformat(d["dispensed_at"])
        for key in ("service_start", "service_end"):
            d[key] = _moment(d.get(key))
        return cls(**cls._kwargs(d))


# ---- services, visits and outcomes (sections 7-6, 8-1, 9-1-7, 9-2-8) ------------------------------------

SERVICE_KINDS = ("visit", "lab", "imaging", "physio")


@dataclass(frozen=True)
class Service(_Entity):
    """A non-drug service of the national coding (7-6, 8-1): a visit, a lab test, an imaging study, a
    physiotherapy session. `tariff` is rials per unit; `max_quantity` the most one line may order; `sex`
    the only sex it is for ("" any); `national_code` its code in the national coding (MOXA)."""

    code: str
    kind: str
    name_fa: str
    name_en: str
    tariff: int
    max_quantity: int = 1
    sex: str = ""
    national_code: str = ""

    @property
    def label_fa(self) -> str:
        return self.name_fa

    @property
    def label_en(self) -> str:
        return self.name_en


@dataclass
class Visit(_Entity):
    """The service the GP gave (9-1 step 7): a visit or consultation, coded, with its insurer / patient
    split in rials; signed by the prescriber and the facility seal, registered like a prescription."""

    patient: Patient
    prescriber: Prescriber
    facility_siam: str
    service_code: str
    service_name: str
    cost: CostSplit = field(default_factory=CostSplit)
    id: str = field(default_factory=new_id)
    visited_at: dt.datetime = field(default_factory=now)
    hid: str | None = None
    #: draft → queued → registered | rejected; not signed
    state: str = "draft"
    tracking_code: str | None = None
    provider_user_id: str | None = None
    facility_national_id: str | None = None

    def document(self) -> dict[str, Any]:
        """The signed content of the visit: who, for whom, which service, when, the split (rials)."""
        return {
            "resourceType": "NoskheVisit",
            "id": self.id,
            "patient": self.patient.to_dict(),
            "prescriber": self.prescriber.to_dict(),
            "facility": self.facility_siam,
            "visitedAt": self.visited_at.isoformat(),
            "service": {"code": self.service_code, "name": self.service_name},
            "cost": self.cost.to_dict(),
            **({"hid": self.hid} if self.hid else {}),
            **({"providerUserId": self.provider_user_id} if self.provider_user_id else {}),
            **({"facilityNationalId": self.facility_national_id} if self.facility_national_id else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Visit":
        """From `to_dict`'s form."""
        d = dict(data)
        d["patient"] = Patient.from_dict(d["patient"])
        d["prescriber"] = Prescriber.from_dict(d["prescriber"])
        d["cost"] = CostSplit.from_dict(d.get("cost") or {})
        d["visited_at"] = dt.datetime.fromisoformat(d["visited_at"])
        return cls(**cls._kwargs(d))


@dataclass(frozen=True)
class Observation(_Entity):
    """One result of a performed service (9-2-8): what was measured (`name`, optional `code`), its value as
    text, its unit and reference range when given."""

    name: str
    value: str
    unit: str = ""
    code: str = ""
    reference_range: str = ""


@dataclass
class Outcome(_Entity):
    """The outcome of a prescription's service line (9-2-8: a lab result, an imaging report), registered and
    signed by the performing facility's seal."""

    prescription_id: str
    line: int
    service_code: str
    facility_siam: str
    conclusion: str = ""
    observations: list[Observation] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    issued_at: dt.datetime = field(default_factory=now)
    #: draft → queued → registered | rejected; not signed
    state: str = "draft"

    def document(self) -> dict[str, Any]:
        """The signed content: which prescription line, by whom, when, the conclusion and observations."""
        return {
            "resourceType": "NoskheOutcome",
            "id": self.id,
            "prescription": self.prescription_id,
            "line": self.line,
            "service": self.service_code,
            "facility": self.facility_siam,
            "issuedAt": self.issued_at.isoformat(),
            "conclusion": self.conclusion,
            "observations": [o.to_dict() for o in self.observations],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Outcome":
        """From `to_dict`'s form."""
        d = dict(data)
        d["observations"] = [Observation.from_dict(o) for o in d.get("observations") or ()]
        d["issued_at"] = dt.datetime.fromisoformat(d["issued_at"])
        return cls(**cls._kwargs(d))
