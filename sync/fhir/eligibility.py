"""Eligibility (استحقاق‌سنجی) on the wire: CoverageEligibilityRequest → CoverageEligibilityResponse.

The response names the visit's HID (identifier `urn:ir:hid`), each coverage found (insurer, plan, insurer
percent, in force) and whether coverages overlap. `created` is the visit's time, not the send time, so
retries of one request are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from app.domain import Patient
from sync.fhir.common import SYS_HID, SYS_INSURER, SYS_SIAM, bad, ext, find_ext, find_ident, ident
from sync.fhir.prescription import patient_resource, read_patient


def eligibility_request(patient: Patient, *, created: dt.datetime, provider_siam: str) -> dict[str, Any]:
    """The eligibility query for `patient` at facility `provider_siam` (9-1-2, 9-2-4): a
    CoverageEligibilityRequest with the patient contained; `created` is the visit's time (timezone-aware)."""
    return {
        "resourceType": "CoverageEligibilityRequest",
        "contained": [{**patient_resource(patient), "id": "patient"}],
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {"reference": "#patient"},
        "created": created.isoformat(),
        "provider": {"identifier": ident(SYS_SIAM, provider_siam)},
        "insurer": {"display": "national insured-persons database"},
    }


def read_eligibility_request(res: dict[str, Any]) -> tuple[Patient, str]:
    """`eligibility_request`'s resource back as `(Patient, provider SIAM id)`; raises `FhirError` when
    either is missing."""
    try:
        patient = read_patient(res["contained"][0], None)
        return patient, res["provider"]["identifier"]["value"]
    except (KeyError, IndexError, TypeError):
        raise bad("the eligibility request names no patient or provider") from None


@dataclass(frozen=True)
class Eligibility:
    hid: str
    insured: bool
    coverages: list[dict[str, Any]]  # {insurer, scheme, insurer_percent, insurance_number, inforce}
    overlap: bool
    disposition: str
    #: the person as the insured-persons database knows them ("" when not known): sex (female, male,
    #: other) and birth date (ISO 8601), for the age and sex limits of the rules
    sex: str = ""
    birth_date: str = ""

    def to_dict(self) -> dict[str, Any]:
        """`{"hid", "insured", "coverages", "overlap", "disposition", "sex", "birth_date"}`, as the
        fields."""
        return {
            "hid": self.hid,
            "insured": self.insured,
            "coverages": self.coverages,
            "overlap": self.overlap,
            "disposition": self.disposition,
            "sex": self.sex,
            "birth_date": self.birth_date,
        }


def eligibility_response(request: dict[str, Any], e: Eligibility, key: str) -> dict[str, Any]:
    """The exchange's answer to `request` (9-1-2): a CoverageEligibilityResponse naming the visit's HID,
    each coverage (insurer percent 0-100), insured and overlap flags; `key` is the request's
    idempotency key."""
    insurance = [
        {
            "extension": [ext("coverage", valueString=_pack(c))],
            "coverage": {"display": c["insurer"]},
            "inforce": bool(c.get("inforce", True)),
        }
        for c in e.coverages
    ]
    return {
        "resourceType": "CoverageEligibilityResponse",
        "extension": [
            ext("overlap", valueBoolean=e.overlap),
            ext("insured", valueBoolean=e.insured),
            *([ext("patient-sex", valueCode=e.sex)] if e.sex else []),
            *([ext("patient-birth-date", valueDate=e.birth_date)] if e.birth_date else []),
        ],
        "identifier": [ident(SYS_HID, e.hid)],
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {"identifier": request["contained"][0]["identifier"][0]},
        "created": request["created"],
        "request": {"identifier": ident("urn:noskhe:idempotency-key", key)},
        "outcome": "complete",
        "disposition": e.disposition,
        "insurer": {"identifier": ident(SYS_INSURER, e.coverages[0]["insurer"] if e.coverages else "NONE")},
        **({"insurance": insurance} if insurance else {}),
    }


def _pack(c: dict[str, Any]) -> str:
    return json.dumps(c, ensure_ascii=False, sort_keys=True)


def read_eligibility(res: dict[str, Any]) -> Eligibility:
    """An `Eligibility` (HID, insured, coverages, overlap, disposition; 9-1-2) from the exchange's
    CoverageEligibilityResponse; raises `FhirError` when it is not one or names no HID."""
    hid = find_ident(res.get("identifier"), SYS_HID)
    if res.get("resourceType") != "CoverageEligibilityResponse" or not hid:
        raise bad("expected a CoverageEligibilityResponse with an HID")
    coverages = []
    for ins in res.get("insurance", ()):
        e = find_ext(ins, "coverage")
        if e:
            coverages.append(json.loads(e["valueString"]))
    overlap = find_ext(res, "overlap")
    insured = find_ext(res, "insured")
    sex = find_ext(res, "patient-sex")
    born = find_ext(res, "patient-birth-date")
    return Eligibility(
        hid,
        bool(insured and insured["valueBoolean"]),
        coverages,
        bool(overlap and overlap["valueBoolean"]),
        res.get("disposition", ""),
        sex=str(sex.get("valueCode") or "") if sex else "",
        birth_date=str(born.get("valueDate") or "") if born else "",
    )
