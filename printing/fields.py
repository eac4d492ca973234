"""The field set a paper prescription's QR carries and the prescriber signs (see `printing.payload`).

Only what a pharmacy needs to identify the patient and the prescriber and to dispense: ids, names, the
facility, the time, the HID when known, and per item the drug code, quantity, repeats and instructions
(cut to `MAX_INSTRUCTIONS` characters; the printed page carries them in full).

Two forms: `to_signed_dict()` (JSON, what is signed, via RFC 8785) and `fields_to_cbor()` (int-keyed
CBOR, what the QR holds). `fields_from_cbor` rebuilds exactly the object that was signed, or raises
`ValueError`/`KeyError`/`TypeError` for anything malformed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.domain import IRAN_TZ, Prescription, Sex
from app.identifiers import PATIENT_ID_KINDS
from app.ids import is_id

FORMAT = "noskhe-paper-rx/1"
MAX_INSTRUCTIONS = 60
_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SEXES = (Sex.FEMALE, Sex.MALE, Sex.OTHER)


@dataclass(frozen=True)
class PaperItem:
    line: int
    drug_code: str
    quantity: int
    instructions: str
    repeats: int = 0


@dataclass(frozen=True)
class PaperFields:
    """What the prescriber signs for the paper copy. Times are whole seconds, Iran time."""

    prescription_id: str
    version: int
    patient_id_kind: str
    patient_id: str
    patient_first_name: str
    patient_last_name: str
    prescriber_name: str
    prescriber_council: str
    facility_siam: str
    prescribed_at: dt.datetime
    items: tuple[PaperItem, ...]
    hid: str | None = None
    birth_date: dt.date | None = None
    sex: Sex | None = None
    insurer: str | None = None  # the plan that pays: the scheme's code, else the insurer's
    supplementary: str | None = None  # a supplementary plan's code

    @property
    def patient_name(self) -> str:
        return f"{self.patient_first_name} {self.patient_last_name}".strip()

    def to_signed_dict(self) -> dict[str, Any]:
        """The JSON object whose canonical bytes are signed; absent optional fields are left out."""
        patient: dict[str, Any] = {
            "idKind": self.patient_id_kind,
            "id": self.patient_id,
            "firstName": self.patient_first_name,
            "lastName": self.patient_last_name,
        }
        if self.birth_date:
            patient["birthDate"] = self.birth_date.isoformat()
        if self.sex:
            patient["sex"] = self.sex.value
        if self.insurer:
            patient["insurer"] = self.insurer
        if self.supplementary:
            patient["supplementary"] = self.supplementary
        doc: dict[str, Any] = {
            "format": FORMAT,
            "id": self.prescription_id,
            "version": self.version,
            "patient": patient,
            "prescriber": {"name": self.prescriber_name, "council": self.prescriber_council},
            "facility": self.facility_siam,
            "prescribedAt": self.prescribed_at.isoformat(),
            "items": [
                {
                    "line": i.line,
                    "drug": i.drug_code,
                    "qty": i.quantity,
                    "repeats": i.repeats,
                    "sig": i.instructions,
                }
                for i in self.items
            ],
        }
        if self.hid:
            doc["hid"] = self.hid
        return doc


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_INSTRUCTIONS else text[: MAX_INSTRUCTIONS - 1].rstrip() + "…"


def fields_from_prescription(rx: Prescription) -> PaperFields:
    """The paper field set of a prescription, including its HID if already issued."""
    cov = rx.patient.coverage
    return PaperFields(
        prescription_id=rx.id,
        version=rx.version,
        patient_id_kind=rx.patient.id.kind,
        patient_id=rx.patient.id.value,
        patient_first_name=rx.patient.first_name,
        patient_last_name=rx.patient.last_name,
        prescriber_name=rx.prescriber.name,
        prescriber_council=rx.prescriber.medical_council_number,
        facility_siam=rx.facility_siam,
        prescribed_at=rx.prescribed_at.astimezone(IRAN_TZ).replace(microsecond=0),
        items=tuple(
            PaperItem(it.line, it.drug_code, it.quantity, _short(it.instructions), it.repeats)
            for it in rx.items
        ),
        hid=rx.hid,
        birth_date=rx.patient.birth_date,
        sex=rx.patient.sex,
        # the plan itself (a scheme's code when it has one), so a pharmacy offline prices under the same plan
        insurer=(cov.scheme or cov.insurer_code) if cov else None,
        supplementary=rx.patient.supplementary.insurer_code if rx.patient.supplementary else None,
    )


# -- CBOR form: int keys, ULIDs as 16 bytes, times as epoch seconds, dates as yyyymmdd -----------------


def _ulid_bytes(text: str) -> bytes:
    n = 0
    for ch in text:
        n = n * 32 + _ULID.index(ch)
    return n.to_bytes(16, "big")


def _ulid_text(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    return "".join(_ULID[(n >> (5 * i)) & 31] for i in reversed(range(26)))


def fields_to_cbor(f: PaperFields) -> dict[int, Any]:
    out: dict[int, Any] = {
        0: _ulid_bytes(f.prescription_id) if is_id(f.prescription_id) else f.prescription_id,
        1: f.version,
        2: [
            PATIENT_ID_KINDS.index(f.patient_id_kind),
            f.patient_id,
            f.patient_first_name,
            f.patient_last_name,
        ],
        3: [f.prescriber_name, f.prescriber_council],
        4: f.facility_siam,
        5: int(f.prescribed_at.timestamp()),
        6: [[i.line, i.drug_code, i.quantity, i.instructions, i.repeats] for i in f.items],
    }
    if f.hid:
        out[7] = f.hid
    if f.birth_date:
        out[8] = f.birth_date.year * 10000 + f.birth_date.month * 100 + f.birth_date.day
    if f.sex:
        out[9] = _SEXES.index(f.sex)
    if f.insurer:
        out[10] = f.insurer
    if f.supplementary:
        out[11] = f.supplementary
    return out


def _typed(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{what} has the wrong type")
    return value


def fields_from_cbor(m: Any) -> PaperFields:
    m = _typed(m, dict, "fields")
    rid = m[0]
    rid = _ulid_text(rid) if isinstance(rid, bytes) and len(rid) == 16 else _typed(rid, str, "id")
    kind, pid, first, last = _typed(m[2], list, "patient")
    name, council = _typed(m[3], list, "prescriber")
    items = []
    for row in _typed(m[6], list, "items"):
        line, code, qty, sig, repeats = _typed(row, list, "item")
        items.append(
            PaperItem(
                _typed(line, int, "line"),
                _typed(code, str, "drug code"),
                _typed(qty, int, "quantity"),
                _typed(sig, str, "instructions"),
                _typed(repeats, int, "repeats"),
            )
        )
    birth = None
    if 8 in m:
        ymd = _typed(m[8], int, "birth date")
        birth = dt.date(ymd // 10000, ymd // 100 % 100, ymd % 100)
    return PaperFields(
        prescription_id=rid,
        version=_typed(m[1], int, "version"),
        patient_id_kind=PATIENT_ID_KINDS[_typed(kind, int, "id kind")],
        patient_id=_typed(pid, str, "patient id"),
        patient_first_name=_typed(first, str, "first name"),
        patient_last_name=_typed(last, str, "last name"),
        prescriber_name=_typed(name, str, "prescriber"),
        prescriber_council=_typed(council, str, "council number"),
        facility_siam=_typed(m[4], str, "facility"),
        prescribed_at=dt.datetime.fromtimestamp(_typed(m[5], int, "time"), IRAN_TZ),
        items=tuple(items),
        hid=_typed(m[7], str, "HID") if 7 in m else None,
        birth_date=birth,
        sex=_SEXES[_typed(m[9], int, "sex")] if 9 in m else None,
        insurer=_typed(m[10], str, "insurer") if 10 in m else None,
        supplementary=_typed(m[11], str, "supplementary plan") if 11 in m else None,
    )
