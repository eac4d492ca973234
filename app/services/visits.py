"""The visit the GP gave (national rules 9-1 step 7) and the outcome of a performed service (9-2 step 8).

    v = register_visit(ws, patient, service_code="901100")     # signed, queued; never waits on the network
    o = register_outcome(ws, "RX-ID-or-tracking", "801010", conclusion="normal",
                         observations=[Observation("Hb", "13.5", "g/dL", reference_range="12-16")])
    outcomes_of(ws, rx_id)                                     # what is kept here of a prescription's lines

A visit is coded from the services catalog (`app.catalog.services`, kind `visit`), priced under the
patient's plans (`app.costs.service_cost`: the insurer's and the patient's shares in rials), signed by the
prescriber and the facility seal (`DocumentKind.VISIT`) and queued in the outbox (op `visit`, its own
chain) in one transaction, like a prescription; the exchange registers it once (the idempotency key), its
split is adopted when it answers, and it appears in the clinic's financial statement (9-1 step 8).

An outcome is the result of one service line of a prescription this workstation holds (a lab result, an
imaging report): a conclusion and observations, signed by this (performing) facility's seal
(`DocumentKind.OUTCOME`) and queued (op `outcome`, its own chain: a refusal never holds back the
prescription's dispensings) to the exchange, which keeps it as a FHIR
DiagnosticReport with its Observations.

Raises `NoskheError` (its subclasses `NotFound`, token errors) with a message in both languages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.catalog import service, services
from app.costs import service_cost
from app.domain import Observation, Outcome, Patient, Service, Visit, provider_user_id
from app.errors import NoskheError
from app.services.clock import Clock, system_clock
from app.services.pricing import plans_for
from app.signature_policy import DocumentKind, required_roles
from app.text import clean_free_text

if TYPE_CHECKING:
    from app.domain import Prescription
    from app.workstation import Workstation

#: the visit registered when the GP names none: a GP's outpatient visit
DEFAULT_VISIT = "901100"
#: the longest conclusion and observation value kept (signed and sent)
MAX_TEXT = 2000
MAX_OBSERVATIONS = 100


def visit_service(code: str | None) -> Service:
    """The visit or consultation service of `code` (default `DEFAULT_VISIT`). Raises `NoskheError` for a
    code the catalog does not know or that is not a visit, naming the visit codes it knows."""
    svc = service(code or DEFAULT_VISIT)
    if svc is None or svc.kind != "visit":
        known = ", ".join(c for c, s in services().items() if s.kind == "visit")
        raise NoskheError(
            f"{code} is not a visit or consultation service; known: {known}.",
            f"{code} کد ویزیت یا مشاوره نیست؛ کدهای موجود: {known}.",
        )
    return svc


def register_visit(
    ws: Workstation, patient: Patient, *, service_code: str | None = None, clock: Clock = system_clock
) -> Visit:
    """Register the visit the GP gave `patient` (9-1 step 7): coded (`visit_service`), priced under the
    patient's plans (eligibility asked as for a prescription: online the HID and coverage found, offline
    pending and the split an estimate), signed as prescriber + facility seal, saved and queued (op
    `visit`) in one transaction. Returns the visit, state `queued`. Raises `NoskheError` for an unknown
    code (before any token is asked) and the signers' errors (nothing is then saved)."""
    from app.services.checking import admit
    from app.services.prescribing import check_patient, prescriber_of, sign_with

    store = ws.store
    svc = visit_service(service_code)
    check_patient(store, patient)
    ws.signers()  # the tokens are asked now, before anything is saved
    prescriber = prescriber_of(ws)
    at = clock()
    admission = admit(ws, patient, at)
    if admission.confirmed:
        patient = admission.patient
    v = Visit(
        patient=patient,
        prescriber=prescriber,
        facility_siam=store.facility_siam,
        service_code=svc.code,
        service_name=svc.name_fa,
        cost=service_cost(svc.tariff, 1, svc.kind, plans_for(store, patient)),
        visited_at=at,
        hid=admission.hid,
        provider_user_id=provider_user_id(
            store.facility_siam, prescriber.national_code or prescriber.medical_council_number
        )
        or None,
        facility_national_id=store.facility().national_id or None,
    )
    signatures = sign_with(ws.signers(), v.document(), required_roles(DocumentKind.VISIT))
    v.state = "queued"

    def queue(_c: object) -> None:
        if admission.confirmed:
            store.patients.save(admission.patient)
        store.outbox.enqueue(op="visit", subject=f"visit:{v.id}", chain=f"visit:{v.id}", payload={"visit": v.to_dict()})

    store.visits.save(v, signatures, also=queue, action="visit.register")
    return v


def visits(ws: Workstation, *, patient: str | None = None, limit: int = 50) -> list[Visit]:
    """The visits registered here, newest first; only a patient's (any id form `PatientId.guess` reads, or
    `kind:value`) when given."""
    value = None
    if patient:
        from app.domain import PatientId

        value = patient.split(":", 1)[1] if ":" in patient else PatientId.guess(patient).value
    return ws.store.visits.recent(limit, value)


# ---- outcomes (9-2 step 8) -----------------------------------------------------------------------------


def observations_from(text: str | None = None, file: str | Path | None = None) -> list[Observation]:
    """The observations of an outcome: from a JSON file (a list of `{"name", "value", "unit"?, "code"?,
    "reference_range"?}`), else none (the result text is the conclusion). Raises `NoskheError` for a file
    that cannot be read or is not such a list, or more than `MAX_OBSERVATIONS`."""
    if file is None:
        return []
    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("observations", [])
        found = [Observation.from_dict({k: str(v) for k, v in o.items()}) for o in data]
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise NoskheError(
            f"The observations file {file} is not a JSON list of {{name, value, unit}}: {exc}.",
            f"پرونده {file} فهرست JSON نتایج (name، value، unit) نیست.",
        ) from None
    if len(found) > MAX_OBSERVATIONS or any(not o.name or not o.value for o in found):
        raise NoskheError(
            f"At most {MAX_OBSERVATIONS} observations, each with a name and a value.",
            f"حداکثر {MAX_OBSERVATIONS} نتیجه، هر یک با نام و مقدار.",
        )
    return found


def service_line(rx: Prescription, code: str) -> int:
    """The line of `rx` that orders service `code`. Raises `NoskheError` when it orders none."""
    for it in rx.items:
        if it.is_service and it.drug_code == code.strip():
            return it.line
    raise NoskheError(
        f"Prescription {rx.id} orders no service {code}.", f"نسخهٔ {rx.id} خدمت {code} را درخواست نکرده است."
    )


def register_outcome(
    ws: Workstation,
    rx_ref: str,
    service_code: str,
    *,
    conclusion: str = "",
    observations: Sequence[Observation] = (),
    clock: Clock = system_clock,
) -> Outcome:
    """Register the outcome of service `service_code` of prescription `rx_ref` (id or tracking code, held
    here: retrieved or imported) as this facility performed it (9-2 step 8): signed by the facility seal
    and queued (op `outcome`) in one transaction. Returns it, state `queued`. Raises `NotFound`,
    `NoskheError` for a service the prescription does not order, an empty or too long result."""
    from app.services.prescribing import sign_with
    from app.services.records import find_prescription

    rx = find_prescription(ws.store, rx_ref)
    line = service_line(rx, service_code)
    conclusion = clean_free_text(conclusion, multiline=True)  # invisible format characters removed
    if not conclusion and not observations:
        raise NoskheError("An outcome needs a result or observations.", "نتیجه یا مشاهدات خدمت را وارد کنید.")
    if len(conclusion) > MAX_TEXT or any(len(o.value) > MAX_TEXT for o in observations):
        raise NoskheError(f"A result is over {MAX_TEXT} characters.", f"نتیجه بیش از {MAX_TEXT} نویسه است.")
    o = Outcome(
        prescription_id=rx.id,
        line=line,
        service_code=service_code.strip(),
        facility_siam=ws.store.facility_siam,
        conclusion=conclusion,
        observations=list(observations),
        issued_at=clock(),
    )
    signatures = sign_with([ws.seal()], o.document(), required_roles(DocumentKind.OUTCOME))
    o.state = "queued"

    def queue(_c: object) -> None:
        ws.store.outbox.enqueue(
            op="outcome", subject=f"outcome:{o.id}", chain=f"outcome:{o.id}", payload={"outcome": o.to_dict()}
        )

    ws.store.visits.save_outcome(o, signatures, also=queue, action="outcome.register")
    return o


def outcomes_of(ws: Workstation, rx_id: str) -> list[dict[str, Any]]:
    """The outcomes of `rx_id`'s service lines this workstation knows: those registered here and those the
    exchange sent (`store.results`, kind `outcomes`), each `Outcome.to_dict()`'s form, by line."""
    here = {o.id: o.to_dict() for o in ws.store.visits.outcomes_of(rx_id)}
    fetched = ws.store.results.get(f"rx:{rx_id}", "outcomes") or {}
    for o in fetched.get("outcomes", []):
        here.setdefault(o["id"], o)
    return sorted(here.values(), key=lambda o: (o["line"], o["issued_at"]))


__all__ = [
    "DEFAULT_VISIT",
    "observations_from",
    "outcomes_of",
    "register_outcome",
    "register_visit",
    "service_line",
    "visit_service",
    "visits",
]
