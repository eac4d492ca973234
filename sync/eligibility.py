"""Eligibility on the exchange (national rules, 9-1 step 2 and 9-2 step 4).

- At the clinic, before the GP writes: the patient's identity and insurance, the visit's HID, the coverage
  that pays and whether basic coverages overlap (`ask`, used by `sync.checking.ExchangeChecks`, which the
  use case `app.services.prescribing.write_prescription` asks through the workstation). Offline the
  admission stays pending and the question is queued ahead of the registration; its answer updates the
  prescription (`app.services.checking.adopt_eligibility`).
- At the pharmacy, at retrieval: the prescription must be the patient's whose code was asked for, or whose
  code the patient presents (`patient_mismatch`); one that is not is refused, not kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from app.domain import Patient, PatientId, Prescription
from app.ids import new_id
from app.services.checking import Admission, admission_from_answer
from sync import fhir

#: retrieval keys that name the patient (9-2 step 3) → the kind of patient id they name
PATIENT_KEYS = {
    "national-code": "national-code",
    "fida": "fida",
    "unique-id": "unique-id",
    "newborn": "newborn",
}


def ask(
    post: Callable[[str, Any, dict[str, str]], Any], patient: Patient, visit_at: dt.datetime, siam: str
) -> Admission:
    """Eligibility for `patient`'s visit at `visit_at` at facility `siam`: `post(path, body, headers)` sends
    the CoverageEligibilityRequest (a new idempotency key: a new visit, a new HID) and returns the answer's
    body. Returns the confirmed admission: the HID, the patient with the coverage found."""
    body = fhir.eligibility_request(patient, created=visit_at, provider_siam=siam)
    answer = fhir.read_eligibility(post("/eligibility", body, {"Idempotency-Key": new_id()}))
    return admission_from_answer(patient, answer.to_dict())


def _same_patient(found: PatientId, presented: PatientId) -> bool:
    if found == presented:
        return True
    # a newborn before registration is covered under the mother's national code (section 7)
    return (
        found.kind == "newborn"
        and presented.kind == "national-code"
        and found.value.split("-")[0] == presented.value
    )


def patient_mismatch(
    rx: Prescription, field: str, value: str, presented: PatientId | None = None
) -> tuple[str, str] | None:
    """Why a retrieved prescription is not the one asked for (9-2 step 4), or None when it is: retrieved
    by a patient key (`field` national-code, fida, unique-id, newborn), it must be that patient's; by HID
    or tracking code, it must carry that HID or code; and when the patient presents a code (`presented`),
    the prescription must be theirs (a newborn's may be presented under the mother's national code).
    Returns (English, Persian)."""
    pid = rx.patient.id
    if field in PATIENT_KEYS and (pid.kind, pid.value) != (PATIENT_KEYS[field], value):
        return (
            f"it is for patient {pid}, not the {field} {value} asked for",
            f"برای بیمار {pid} است، نه {value} که درخواست شد",
        )
    if field == "hid" and rx.hid != value:
        return (f"it carries HID {rx.hid}, not {value}", f"شناسه شباد آن {rx.hid} است، نه {value}")
    if field == "tracking" and rx.tracking_code != value:
        return (
            f"its tracking code is {rx.tracking_code}, not {value}",
            f"کد رهگیری آن {rx.tracking_code} است، نه {value}",
        )
    if presented is not None and not _same_patient(pid, presented):
        return (
            f"it is for patient {pid}, not for the patient who presented {presented}",
            f"برای بیمار {pid} است، نه بیماری که {presented} را ارائه کرد",
        )
    return None


__all__ = ["PATIENT_KEYS", "ask", "patient_mismatch"]
