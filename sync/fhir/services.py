"""A visit (9-1 step 7) and a service's outcome (9-2 step 8) on the wire, and back.

    visit:    Bundle(collection): Patient (+ Coverage), Practitioner, Organization,
              Encounter (identifier = the visit's id and its HID; serviceType = the visit's code),
              ChargeItem (the code, the insurer's and patient's shares), Provenance × (prescriber, facility)
    outcome:  Bundle(collection): Organization (the performing facility), DiagnosticReport (identifier =
              the outcome's id; basedOn = the prescription's service line; conclusion), Observation × results,
              Provenance (the performing facility's seal)

Exact like the prescription's mapping: `bundle_to_visit(visit_bundle(v, sigs))[0].document() ==
v.document()` and the same for outcomes, so the exchange verifies the signatures over what it rebuilt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from app.costs import CostSplit
from app.domain import Observation, Outcome, Visit
from app.signing import Signature
from sync.fhir.common import (
    NS,
    SYS_HID,
    SYS_OUTCOME,
    SYS_RX,
    SYS_RX_LINE,
    SYS_SERVICE,
    SYS_SERVICE_NATIONAL,
    SYS_SIAM,
    SYS_VISIT,
    WireSignature,
    bad,
    cost_ext,
    entry,
    ext,
    find_ext,
    find_ident,
    ident,
    one,
    provenance,
    read_cost,
    read_signatures,
    resources,
)
from sync.fhir.prescription import (
    coverage_resource,
    is_supplementary_resource,
    organization_resource,
    patient_resource,
    practitioner_resource,
    read_national_id,
    read_patient,
    read_prescriber,
    urn,
)


def _service_coding(code: str, name: str) -> list[dict[str, Any]]:
    from app.catalog import service

    coding: list[dict[str, Any]] = [{"system": SYS_SERVICE, "code": code, **({"display": name} if name else {})}]
    known = service(code)
    if known is not None and known.national_code:
        coding.append({"system": SYS_SERVICE_NATIONAL, "code": known.national_code})
    return coding


def _service_of(concept: dict[str, Any]) -> tuple[str, str]:
    c = next(c for c in concept["coding"] if c.get("system") == SYS_SERVICE)
    return str(c["code"]), str(c.get("display", ""))


# ---- the visit -------------------------------------------------------------------------------------------


def visit_bundle(v: Visit, signatures: Sequence[Signature | WireSignature]) -> dict[str, Any]:
    """The Bundle registering visit `v` (see the module's table) with its signatures."""
    refs = {k: urn("visit", v.id, k) for k in ("patient", "prescriber", "facility", "encounter", "charge")}
    entries = [
        entry(refs["patient"], patient_resource(v.patient)),
        entry(refs["prescriber"], practitioner_resource(v.prescriber)),
        entry(refs["facility"], organization_resource(v.facility_siam, v.facility_national_id)),
    ]
    for cov, extra in ((v.patient.coverage, False), (v.patient.supplementary, True)):
        if cov is not None:
            url = urn("visit", v.id, "coverage", str(extra))
            entries.append(entry(url, coverage_resource(cov, refs["patient"], supplementary=extra)))
    ids = [ident(SYS_VISIT, v.id)] + ([ident(SYS_HID, v.hid)] if v.hid else [])
    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "identifier": ids,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "serviceType": {"coding": _service_coding(v.service_code, v.service_name)},
        "subject": {"reference": refs["patient"]},
        "participant": [{"individual": {"reference": refs["prescriber"]}}],
        "period": {"start": v.visited_at.isoformat()},
        "serviceProvider": {"reference": refs["facility"]},
        "extension": [ext("facility", valueIdentifier=ident(SYS_SIAM, v.facility_siam))],
    }
    if v.provider_user_id:
        encounter["extension"].append(ext("provider-user-id", valueString=v.provider_user_id))
    charge = {
        "resourceType": "ChargeItem",
        "status": "billable",
        "code": {"coding": _service_coding(v.service_code, v.service_name)},
        "subject": {"reference": refs["patient"]},
        "context": {"reference": refs["encounter"]},
        "occurrenceDateTime": v.visited_at.isoformat(),
        "quantity": {"value": 1},
        "extension": [cost_ext(v.cost.to_dict())],
    }
    entries += [entry(refs["encounter"], encounter), entry(refs["charge"], charge)]
    for sig in signatures:
        who = refs["prescriber"] if sig.role.value == "prescriber" else refs["facility"]
        url = urn("visit", v.id, "sig", sig.role.value)
        entries.append(entry(url, provenance(sig, [refs["encounter"], refs["charge"]], who)))
    return {"resourceType": "Bundle", "identifier": ident(SYS_VISIT, v.id), "type": "collection", "entry": entries}


def bundle_to_visit(bundle: dict[str, Any]) -> tuple[Visit, list[WireSignature]]:
    """The visit (state draft: the receiver decides) and the signatures `bundle` carries. Raises
    `FhirError` for a Bundle that is not a visit's."""
    try:
        enc = one(bundle, "Encounter")
        charge = one(bundle, "ChargeItem")
        covs = resources(bundle, "Coverage")
        basic = [c for c in covs if not is_supplementary_resource(c)]
        extra = [c for c in covs if is_supplementary_resource(c)]
        code, name = _service_of(enc["serviceType"])
        user = find_ext(enc, "provider-user-id")
        v = Visit(
            patient=read_patient(one(bundle, "Patient"), basic[0] if basic else None, extra[0] if extra else None),
            prescriber=read_prescriber(one(bundle, "Practitioner")),
            facility_siam=find_ext(enc, "facility")["valueIdentifier"]["value"],  # type: ignore[index]
            service_code=code,
            service_name=name,
            cost=CostSplit.from_dict(read_cost(charge)),
            id=str(find_ident(enc.get("identifier"), SYS_VISIT)),
            visited_at=dt.datetime.fromisoformat(enc["period"]["start"]),
            hid=find_ident(enc.get("identifier"), SYS_HID),
            provider_user_id=user["valueString"] if user else None,
            facility_national_id=read_national_id(bundle),
        )
    except (KeyError, TypeError, ValueError, IndexError, StopIteration):
        raise bad("the visit's parts are missing") from None
    if not find_ident(enc.get("identifier"), SYS_VISIT):
        raise bad("the visit has no id")
    return v, read_signatures(bundle)


# ---- the outcome -----------------------------------------------------------------------------------------


def _observation(o: Observation, subject: dict[str, Any]) -> dict[str, Any]:
    code: dict[str, Any] = {"text": o.name}
    if o.code:
        code["coding"] = [{"system": "http://loinc.org", "code": o.code}]
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": code,
        "valueString": o.value,
        **subject,
    }
    if o.unit:
        res["extension"] = [ext("unit", valueString=o.unit)]
    if o.reference_range:
        res["referenceRange"] = [{"text": o.reference_range}]
    return res


def _read_observation(res: dict[str, Any]) -> Observation:
    unit = find_ext(res, "unit")
    return Observation(
        name=res["code"]["text"],
        value=res["valueString"],
        unit=unit["valueString"] if unit else "",
        code=(res["code"].get("coding") or [{}])[0].get("code", ""),
        reference_range=(res.get("referenceRange") or [{}])[0].get("text", ""),
    )


def outcome_bundle(o: Outcome, signatures: Sequence[Signature | WireSignature]) -> dict[str, Any]:
    """The Bundle registering outcome `o` of a prescription's service line (a FHIR DiagnosticReport with
    its Observations, 9-2 step 8) with the performing facility's signature."""
    refs = {"facility": urn("outcome", o.id, "facility"), "report": urn("outcome", o.id, "report")}
    obs_urls = [urn("outcome", o.id, "observation", str(n)) for n in range(len(o.observations))]
    subject = {"basedOn": [{"identifier": ident(SYS_RX_LINE, f"{o.prescription_id}/{o.line}")}]}
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "identifier": [ident(SYS_OUTCOME, o.id), ident(SYS_RX, o.prescription_id)],
        **subject,
        "status": "final",
        "code": {"coding": _service_coding(o.service_code, "")},
        "issued": o.issued_at.isoformat(),
        "performer": [{"reference": refs["facility"]}],
        "extension": [ext("facility", valueIdentifier=ident(SYS_SIAM, o.facility_siam))],
    }
    if o.conclusion:
        report["conclusion"] = o.conclusion
    if obs_urls:
        report["result"] = [{"reference": u} for u in obs_urls]
    entries = [entry(refs["facility"], organization_resource(o.facility_siam)), entry(refs["report"], report)]
    entries += [entry(u, _observation(x, subject)) for u, x in zip(obs_urls, o.observations)]
    for sig in signatures:
        url = urn("outcome", o.id, "sig", sig.role.value)
        entries.append(entry(url, provenance(sig, [refs["report"], *obs_urls], refs["facility"])))
    return {"resourceType": "Bundle", "identifier": ident(SYS_OUTCOME, o.id), "type": "collection", "entry": entries}


def bundle_to_outcome(bundle: dict[str, Any]) -> tuple[Outcome, list[WireSignature]]:
    """The outcome and the signatures `bundle` carries; the Observations in the order the report lists
    them. Raises `FhirError` for a Bundle that is not an outcome's."""
    try:
        report = one(bundle, "DiagnosticReport")
        by_url = {e.get("fullUrl"): e["resource"] for e in bundle.get("entry", ())}
        line_ref = find_ident([b["identifier"] for b in report["basedOn"]], SYS_RX_LINE)
        rx_id, line = str(line_ref).rsplit("/", 1)
        code, _ = _service_of(report["code"])
        out = Outcome(
            prescription_id=rx_id,
            line=int(line),
            service_code=code,
            facility_siam=find_ext(report, "facility")["valueIdentifier"]["value"],  # type: ignore[index]
            conclusion=report.get("conclusion", ""),
            observations=[_read_observation(by_url[r["reference"]]) for r in report.get("result", ())],
            id=str(find_ident(report.get("identifier"), SYS_OUTCOME)),
            issued_at=dt.datetime.fromisoformat(report["issued"]),
        )
    except (KeyError, TypeError, ValueError, IndexError, StopIteration, AttributeError):
        raise bad("the outcome's parts are missing") from None
    return out, read_signatures(bundle)


__all__ = ["NS", "bundle_to_outcome", "bundle_to_visit", "outcome_bundle", "visit_bundle"]
