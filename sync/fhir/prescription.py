"""A prescription on the wire: a FHIR R4 `collection` Bundle, and back.

    Patient (+ Coverage)  Practitioner (prescriber)  Organization (facility, SIAM)  Encounter (the visit: HID)
    MedicationRequest × items   (groupIdentifier = the client's prescription id, meta.versionId = version)
    ServiceRequest × service lines (lab, imaging, physiotherapy; requisition = the prescription id; the
                                    catalog's code and the national (MOXA) code; category = the kind)
    Provenance × signatures     (prescriber, facility: CMS over canonical bytes of Prescription.document())

The mapping is exact: `bundle_to_prescription(prescription_bundle(rx)).document() == rx.document()`, which
is what lets the exchange verify the signatures. Full URLs derive from the prescription id, so the same
prescription always gives the same bytes (idempotent replays compare bodies).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from app.domain import Coverage, Patient, PatientId, Prescriber, Prescription, PrescriptionItem, Sex
from app.signing import Signature
from sync.fhir.common import (
    SYS_DRUG,
    SYS_DRUG_NATIONAL,
    SYS_HID,
    SYS_INSURER,
    SYS_LEGAL_ID,
    SYS_MC,
    SYS_NC,
    SYS_RULE,
    SYS_RX,
    SYS_RX_LINE,
    SYS_SERVICE,
    SYS_SERVICE_NATIONAL,
    SYS_SIAM,
    WireSignature,
    bad,
    cost_ext,
    entry,
    ext,
    find_ext,
    find_ident,
    ident,
    legal_exts,
    one,
    provenance,
    read_cost,
    read_legal_exts,
    read_signatures,
    resources,
)

_NS = uuid.UUID("6f1d8e0a-3c57-4b8e-9a4e-5d1b2c7e9f10")


def urn(*parts: str) -> str:
    """A stable `urn:uuid:` (UUID 5) for a Bundle entry named by `parts`: the same parts, the same URN."""
    return f"urn:uuid:{uuid.uuid5(_NS, '/'.join(parts))}"


def patient_system(kind: str) -> str:
    """The identifier system of a patient id kind (section 7: `national-code`, `fida`, `unique-id`,
    `newborn`…): `urn:ir:<kind>`."""
    return f"urn:ir:{kind}"


# ---- people and places -----------------------------------------------------------------------------------


def patient_resource(p: Patient) -> dict[str, Any]:
    """`p` as a FHIR Patient with the legal data elements it has (section 7): id, name, phone, sex,
    birth date (ISO date)."""
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [ident(patient_system(p.id.kind), p.id.value)],
    }
    name: dict[str, Any] = {}
    if p.last_name:
        name["family"] = p.last_name
    if p.first_name:
        name["given"] = [p.first_name]
    if name:
        res["name"] = [name]
    if p.phone:
        res["telecom"] = [{"system": "phone", "value": p.phone}]
    if p.sex:
        res["gender"] = p.sex.value
    if p.birth_date:
        res["birthDate"] = p.birth_date.isoformat()
    return res


def coverage_resource(cov: Coverage, patient_ref: str, *, supplementary: bool = False) -> dict[str, Any]:
    """A Coverage of the patient: the basic one, or (`supplementary`) a supplementary plan, which comes
    second (`order` 2) and pays part of what is left to the patient."""
    res: dict[str, Any] = {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": patient_ref},
        "payor": [{"identifier": ident(SYS_INSURER, cov.insurer_code)}],
        "extension": [ext("insurer-percent", valueInteger=cov.insurer_percent)],
    }
    if supplementary:
        res["type"] = {"text": "supplementary"}
        res["order"] = 2
    if cov.scheme:
        res["class"] = [{"type": {"text": "scheme"}, "value": cov.scheme}]
    if cov.insurance_number:
        res["subscriberId"] = cov.insurance_number
    if cov.valid_until:
        res["period"] = {"end": cov.valid_until.isoformat()}
    return res


def _read_coverage(cov: dict[str, Any]) -> Coverage:
    pct = find_ext(cov, "insurer-percent")
    return Coverage(
        insurer_code=cov["payor"][0]["identifier"]["value"],
        scheme=next((c["value"] for c in cov.get("class", ()) if c.get("type", {}).get("text") == "scheme"), ""),
        insurance_number=cov.get("subscriberId", ""),
        insurer_percent=int(pct["valueInteger"]) if pct else 0,
        valid_until=dt.date.fromisoformat(cov["period"]["end"]) if cov.get("period", {}).get("end") else None,
    )


def is_supplementary_resource(cov: dict[str, Any]) -> bool:
    """Whether a Coverage resource is the patient's supplementary plan (see `coverage_resource`)."""
    return (cov.get("type") or {}).get("text") == "supplementary"


def read_patient(
    res: dict[str, Any], cov: dict[str, Any] | None, supplementary: dict[str, Any] | None = None
) -> Patient:
    """A `Patient` from a FHIR Patient and its Coverage resources (None when absent). Raises `FhirError`
    when the patient has no identifier."""
    try:
        system, value = res["identifier"][0]["system"], res["identifier"][0]["value"]
        pid = PatientId(system.removeprefix("urn:ir:"), value)
    except (KeyError, IndexError):
        raise bad("the patient has no identifier") from None
    name = (res.get("name") or [{}])[0]
    coverage = _read_coverage(cov) if cov is not None else None
    return Patient(
        id=pid,
        first_name=(name.get("given") or [""])[0],
        last_name=name.get("family", ""),
        birth_date=dt.date.fromisoformat(res["birthDate"]) if res.get("birthDate") else None,
        sex=Sex(res["gender"]) if res.get("gender") else None,
        phone=next((t["value"] for t in res.get("telecom", ()) if t.get("system") == "phone"), ""),
        coverage=coverage,
        supplementary=_read_coverage(supplementary) if supplementary is not None else None,
    )


def practitioner_resource(p: Prescriber) -> dict[str, Any]:
    """The prescriber as a FHIR Practitioner (section 7): medical council number, national code, name,
    phone, specialty (or a `no-specialty` extension)."""
    res: dict[str, Any] = {
        "resourceType": "Practitioner",
        "identifier": [ident(SYS_MC, p.medical_council_number)],
        "name": [{"text": p.name}],
    }
    if p.national_code:
        res["identifier"].append(ident(SYS_NC, p.national_code))
    if p.phone:
        res["telecom"] = [{"system": "phone", "value": p.phone}]
    res["qualification"] = [{"code": {"text": p.specialty}}] if p.specialty else []
    if not p.specialty:
        del res["qualification"]
        res["extension"] = [ext("no-specialty", valueBoolean=True)]
    return res


def read_prescriber(res: dict[str, Any]) -> Prescriber:
    """A `Prescriber` from `practitioner_resource`'s Practitioner (missing fields empty)."""
    quals = res.get("qualification") or []
    return Prescriber(
        name=(res.get("name") or [{}])[0].get("text", ""),
        medical_council_number=find_ident(res.get("identifier"), SYS_MC) or "",
        specialty=quals[0]["code"]["text"]
        if quals
        else ("" if find_ext(res, "no-specialty") else Prescriber.specialty),
        national_code=find_ident(res.get("identifier"), SYS_NC) or "",
        phone=next((t["value"] for t in res.get("telecom", ()) if t.get("system") == "phone"), ""),
    )


def organization_resource(siam: str, national_id: str | None = None) -> dict[str, Any]:
    """The facility as a FHIR Organization identified by its SIAM id (section 8) and, when known, the
    provider's national id (section 7-9 note 1, `SYS_LEGAL_ID`)."""
    ids = [ident(SYS_SIAM, siam)]
    if national_id:
        ids.append(ident(SYS_LEGAL_ID, national_id))
    return {"resourceType": "Organization", "identifier": ids, "active": True}


def read_national_id(bundle: dict[str, Any]) -> str | None:
    """The provider's national id on the Bundle's Organization, or None (none, or not one Organization)."""
    orgs = resources(bundle, "Organization")
    return find_ident(orgs[0].get("identifier"), SYS_LEGAL_ID) if len(orgs) == 1 else None


def encounter_resource(hid: str, patient_ref: str) -> dict[str, Any]:
    """The visit as a finished ambulatory Encounter identified by its HID (9-1-2; mandatory on every
    registered service, 9-2-6), for the patient at `patient_ref`."""
    return {
        "resourceType": "Encounter",
        "identifier": [ident(SYS_HID, hid)],
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": patient_ref},
    }


# ---- the prescription ------------------------------------------------------------------------------------


def _medication_request(
    rx: Prescription, it: PrescriptionItem, refs: dict[str, str], first: bool
) -> dict[str, Any]:
    ids = [ident(SYS_RX_LINE, f"{rx.id}/{it.line}")]
    if it.rule_approval_id:
        ids.append(ident(SYS_RULE, it.rule_approval_id))
    coding: dict[str, Any] = {"system": SYS_DRUG, "code": it.drug_code}
    if it.drug_name:
        coding["display"] = it.drug_name
    codings = [coding]
    if it.national_code and not it.is_service:  # the national coding (MOXA, 8-10) beside the catalog's key
        codings.append({"system": SYS_DRUG_NATIONAL, "code": it.national_code})
    res: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "meta": {"versionId": str(rx.version)},
        "extension": [
            cost_ext(it.cost.to_dict()),
            ext("facility", valueIdentifier=ident(SYS_SIAM, rx.facility_siam)),
        ],
        "identifier": ids,
        "status": "active",
        "intent": "order",
        "groupIdentifier": ident(SYS_RX, rx.id),
        "medicationCodeableConcept": {"coding": codings},
        "subject": {"reference": refs["patient"]},
        "requester": {"reference": refs["practitioner"]},
        "authoredOn": rx.prescribed_at.isoformat(),
        "dispenseRequest": {"quantity": {"value": it.quantity}, "numberOfRepeatsAllowed": it.repeats},
    }
    if "encounter" in refs:
        res["encounter"] = {"reference": refs["encounter"]}
    if "coverage" in refs:
        res["insurance"] = [{"reference": refs["coverage"]}]
    if "supplementary" in refs:
        res.setdefault("insurance", []).append({"reference": refs["supplementary"]})
    if it.days:
        res["dispenseRequest"]["expectedSupplyDuration"] = {
            "value": it.days,
            "unit": "d",
            "system": "http://unitsofmeasure.org",
            "code": "d",
        }
    if it.instructions:
        res["dosageInstruction"] = [{"text": it.instructions}]
    if it.no_substitution:  # the prescriber forbids another product of the drug's group
        res["substitution"] = {"allowedBoolean": False}
    if first and rx.notes:
        res["note"] = [{"text": rx.notes}]
    if first and rx.override_reason:  # why the prescriber signs despite an overridable rejection
        res["extension"].append(ext("override-reason", valueString=rx.override_reason))
    if first:  # section 7: provider user id, start and end of the service (only those set)
        res["extension"] += legal_exts(rx.document())
    return res


def _service_request(
    rx: Prescription, it: PrescriptionItem, refs: dict[str, str], first: bool
) -> dict[str, Any]:
    """A service line (7-6, 8-1) as a ServiceRequest carrying what `_medication_request` carries for a drug:
    the line and rule ids, the cost, the facility, the time, the requester and, on the first line, the
    notes, the override reason and the legal elements."""
    from app.catalog import service

    res = _medication_request(rx, it, refs, first)
    coding: list[dict[str, Any]] = [{"system": SYS_SERVICE, "code": it.drug_code}]
    if it.drug_name:
        coding[0]["display"] = it.drug_name
    known = service(it.drug_code)
    national = it.national_code or (known.national_code if known is not None else None)
    if national:  # the national coding (MOXA, 8-10) beside the catalog's
        coding.append({"system": SYS_SERVICE_NATIONAL, "code": national})
    out: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "meta": res["meta"],
        "extension": res["extension"],
        "identifier": res["identifier"],
        "requisition": res["groupIdentifier"],
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": SYS_SERVICE + "-kind", "code": it.service}]}],
        "code": {"coding": coding},
        "quantityQuantity": {"value": it.quantity},
        "subject": res["subject"],
        "authoredOn": res["authoredOn"],
        "requester": res["requester"],
    }
    for key in ("encounter", "insurance", "note"):
        if key in res:
            out[key] = res[key]
    if it.instructions:
        out["patientInstruction"] = it.instructions
    return out


def prescription_bundle(rx: Prescription, signatures: Sequence[Signature | WireSignature]) -> dict[str, Any]:
    """The Bundle for `rx` as it is now (its HID included when known) with its signatures."""
    refs = {
        "patient": urn(rx.id, "patient"),
        "practitioner": urn(rx.id, "prescriber"),
        "organization": urn(rx.id, "facility"),
    }
    entries = [
        entry(refs["patient"], patient_resource(rx.patient)),
        entry(refs["practitioner"], practitioner_resource(rx.prescriber)),
        entry(refs["organization"], organization_resource(rx.facility_siam, rx.facility_national_id)),
    ]
    if rx.patient.coverage is not None:
        refs["coverage"] = urn(rx.id, "coverage")
        entries.append(entry(refs["coverage"], coverage_resource(rx.patient.coverage, refs["patient"])))
    if rx.patient.supplementary is not None:
        refs["supplementary"] = urn(rx.id, "coverage", "supplementary")
        entries.append(
            entry(
                refs["supplementary"],
                coverage_resource(rx.patient.supplementary, refs["patient"], supplementary=True),
            )
        )
    if rx.hid:
        refs["encounter"] = urn(rx.id, "encounter", rx.hid)
        entries.append(entry(refs["encounter"], encounter_resource(rx.hid, refs["patient"])))
    targets = []
    for n, it in enumerate(rx.items):
        url = urn(rx.id, str(rx.version), "item", str(it.line))
        targets.append(url)
        line = _service_request if it.is_service else _medication_request
        entries.append(entry(url, line(rx, it, refs, n == 0)))
    for sig in signatures:
        who = refs["practitioner"] if sig.role.value == "prescriber" else refs["organization"]
        entries.append(
            entry(urn(rx.id, str(rx.version), "sig", sig.role.value), provenance(sig, targets, who))
        )
    return {
        "resourceType": "Bundle",
        "identifier": ident(SYS_RX, rx.id),
        "type": "collection",
        "entry": entries,
    }


def _days(request: dict[str, Any]) -> int | None:
    duration = request.get("expectedSupplyDuration")
    return int(duration["value"]) if duration else None


def _read_item(mr: dict[str, Any]) -> PrescriptionItem:
    try:
        line = int(find_ident(mr.get("identifier"), SYS_RX_LINE).rsplit("/", 1)[1])  # type: ignore[union-attr]
        codings = mr["medicationCodeableConcept"]["coding"]
        coding = codings[0]
        return PrescriptionItem.from_dict(
            {
                "national_code": next((c["code"] for c in codings if c.get("system") == SYS_DRUG_NATIONAL), None),
                "drug_code": coding["code"],
                "drug_name": coding.get("display", ""),
                "quantity": int(mr["dispenseRequest"]["quantity"]["value"]),
                "instructions": (mr.get("dosageInstruction") or [{}])[0].get("text", ""),
                "repeats": int(mr["dispenseRequest"].get("numberOfRepeatsAllowed", 0)),
                "cost": read_cost(mr),
                "rule_approval_id": find_ident(mr.get("identifier"), SYS_RULE),
                "line": line,
                "days": _days(mr["dispenseRequest"]),
                "no_substitution": (mr.get("substitution") or {}).get("allowedBoolean") is False or None,
            }
        )
    except (KeyError, IndexError, AttributeError, TypeError, ValueError):
        raise bad("a MedicationRequest is incomplete") from None


def _read_service(sr: dict[str, Any]) -> PrescriptionItem:
    try:
        line = int(find_ident(sr.get("identifier"), SYS_RX_LINE).rsplit("/", 1)[1])  # type: ignore[union-attr]
        coding = next(c for c in sr["code"]["coding"] if c.get("system") == SYS_SERVICE)
        national = next((c["code"] for c in sr["code"]["coding"] if c.get("system") == SYS_SERVICE_NATIONAL), None)
        return PrescriptionItem.from_dict(
            {
                "national_code": national,
                "drug_code": coding["code"],
                "drug_name": coding.get("display", ""),
                "quantity": int(sr["quantityQuantity"]["value"]),
                "instructions": sr.get("patientInstruction", ""),
                "cost": read_cost(sr),
                "rule_approval_id": find_ident(sr.get("identifier"), SYS_RULE),
                "line": line,
                "service": sr["category"][0]["coding"][0]["code"],
            }
        )
    except (KeyError, IndexError, AttributeError, TypeError, ValueError, StopIteration):
        raise bad("a ServiceRequest is incomplete") from None


def bundle_to_prescription(bundle: dict[str, Any]) -> tuple[Prescription, list[WireSignature]]:
    """The prescription (state DRAFT: the receiver decides) and the signatures the Bundle carries: its
    drug lines (MedicationRequest) and service lines (ServiceRequest), the first of them in the Bundle
    carrying what is common."""
    lines = [
        e["resource"]
        for e in bundle.get("entry", ())
        if e.get("resource", {}).get("resourceType") in ("MedicationRequest", "ServiceRequest")
    ]
    if not lines:
        raise bad("a prescription without MedicationRequest")
    first = lines[0]
    basic = [c for c in resources(bundle, "Coverage") if not is_supplementary_resource(c)]
    extra = [c for c in resources(bundle, "Coverage") if is_supplementary_resource(c)]
    encs = resources(bundle, "Encounter")
    override = find_ext(first, "override-reason")
    legal = read_legal_exts(first)
    try:
        facility = find_ext(first, "facility")["valueIdentifier"]["value"]  # type: ignore[index]
        rx = Prescription(
            patient=read_patient(
                one(bundle, "Patient"), basic[0] if basic else None, extra[0] if extra else None
            ),
            prescriber=read_prescriber(one(bundle, "Practitioner")),
            facility_siam=facility,
            items=sorted(
                (_read_service(m) if m["resourceType"] == "ServiceRequest" else _read_item(m) for m in lines),
                key=lambda i: i.line,
            ),
            notes=(first.get("note") or [{}])[0].get("text", ""),
            id=(first.get("groupIdentifier") or first["requisition"])["value"],
            version=int(first["meta"]["versionId"]),
            prescribed_at=dt.datetime.fromisoformat(first["authoredOn"]),
            hid=find_ident(encs[0].get("identifier"), SYS_HID) if encs else None,
            override_reason=override["valueString"] if override else "",
            provider_user_id=legal["provider_user_id"],
            facility_national_id=read_national_id(bundle),
            service_start=dt.datetime.fromisoformat(legal["service_start"]) if legal["service_start"] else None,
            service_end=dt.datetime.fromisoformat(legal["service_end"]) if legal["service_end"] else None,
        )
    except (KeyError, TypeError, ValueError):
        raise bad("the prescription's common parts are missing") from None
    return rx, read_signatures(bundle)
