"""The FHIR mapping of services (7-6, 8-1), visits (9-1-7) and outcomes (9-2-8): valid R4 resources, exact
round trips (the exchange verifies signatures over what it rebuilds), old bundles still read."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from app.costs import CostSplit
from app.domain import IRAN_TZ, Coverage, Observation, Outcome, Prescriber, PrescriptionItem, Visit
from app.signing import SignatureRole
from sync import fhir
from sync.fhir.common import SYS_SERVICE_NATIONAL, WireSignature, resources
from tests.conftest import SIAM, make_patient, make_prescription

AT = dt.datetime(2026, 11, 30, 10, 15, 0, tzinfo=IRAN_TZ)
SIGS = [
    WireSignature(SignatureRole.PRESCRIBER, b"\x30\x03\x02\x01\x01", AT),
    WireSignature(SignatureRole.FACILITY, b"\x30\x03\x02\x01\x02", AT),
]


def _wire(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


def _validate_all(bundle: dict) -> None:
    fhir.validate(bundle)
    for e in bundle["entry"]:
        fhir.validate(e["resource"])


def _with_services():
    rx = make_prescription(n_items=1)
    lab = PrescriptionItem("801010", "شمارش کامل سلول‌های خون", 1, "ناشتا", cost=CostSplit(546000, 234000), service="lab")
    physio = PrescriptionItem("601010", "جلسه فیزیوتراپی", 10, "", cost=CostSplit(100, 200), service="physio")
    rx.items = [*rx.items, replace(lab, line=2), replace(physio, line=3)]
    rx.hid = "HID-1"
    return rx


def test_service_lines_travel_as_service_requests_and_come_back_exactly() -> None:
    rx = _with_services()
    bundle = _wire(fhir.prescription_bundle(rx, SIGS))
    _validate_all(bundle)
    assert len(resources(bundle, "MedicationRequest")) == 1
    srs = resources(bundle, "ServiceRequest")
    assert [sr["code"]["coding"][0]["code"] for sr in srs] == ["801010", "601010"]
    # the national (MOXA) code travels beside the catalog's own key
    assert {"system": SYS_SERVICE_NATIONAL, "code": "RVU-801010"} in srs[0]["code"]["coding"]
    back, sigs = fhir.bundle_to_prescription(bundle)
    assert back.document() == rx.document()
    assert [it.service for it in back.items] == [None, "lab", "physio"]
    assert len(sigs) == 2


def test_a_prescription_of_services_only_maps_too() -> None:
    rx = _with_services()
    rx.items = rx.items[1:]
    back, _ = fhir.bundle_to_prescription(_wire(fhir.prescription_bundle(rx, SIGS)))
    assert back.document() == rx.document() and back.id == rx.id


def test_a_drug_line_signs_the_bytes_it_signed_before_services_existed() -> None:
    rx = make_prescription(n_items=2)
    assert all("service" not in it for it in rx.document()["items"])
    back, _ = fhir.bundle_to_prescription(_wire(fhir.prescription_bundle(rx, SIGS)))
    assert back.document() == rx.document()


def test_visit_round_trip_is_exact() -> None:
    patient = replace(make_patient(), coverage=Coverage("IHIO", "IHIO-CS", "N-1", 70))
    v = Visit(
        patient,
        Prescriber("دکتر سارا رضایی", "123456", national_code="0012345679"),
        SIAM,
        "901100",
        "ویزیت پزشک عمومی",
        cost=CostSplit(1155000, 495000),
        visited_at=AT,
        hid="HID-9",
        provider_user_id=f"{SIAM}:0012345679",
        facility_national_id="10101010101",
    )
    bundle = _wire(fhir.visit_bundle(v, SIGS))
    _validate_all(bundle)
    back, sigs = fhir.bundle_to_visit(bundle)
    assert back.document() == v.document()
    assert [s.role for s in sigs] == [SignatureRole.PRESCRIBER, SignatureRole.FACILITY]
    assert fhir.visit_bundle(v, SIGS) == fhir.visit_bundle(v, SIGS)  # stable bytes for idempotent replays


def test_outcome_round_trip_is_exact() -> None:
    o = Outcome(
        "rx-1",
        2,
        "801010",
        "87654321",
        conclusion="طبیعی",
        observations=[Observation("Hb", "13.5", "g/dL", "718-7", "12-16"), Observation("WBC", "6800")],
        issued_at=AT,
    )
    bundle = _wire(fhir.outcome_bundle(o, SIGS[1:]))
    _validate_all(bundle)
    assert len(resources(bundle, "Observation")) == 2
    report = resources(bundle, "DiagnosticReport")[0]
    assert report["basedOn"][0]["identifier"]["value"] == "rx-1/2"
    back, sigs = fhir.bundle_to_outcome(bundle)
    assert back.document() == o.document() and len(sigs) == 1


def test_an_outcome_of_text_alone_maps() -> None:
    o = Outcome("rx-2", 1, "701010", "87654321", conclusion="No active lung lesion.", issued_at=AT)
    back, _ = fhir.bundle_to_outcome(_wire(fhir.outcome_bundle(o, SIGS[1:])))
    assert back.document() == o.document() and back.observations == []


def test_the_national_code_travels_beside_the_catalog_code_and_is_not_signed() -> None:
    rx = make_prescription(n_items=1)
    signed = rx.document()
    rx.items = [replace(rx.items[0], national_code="IRC6260001010028")]
    assert rx.document() == signed  # the mapping is reference data, not what the prescriber signs
    bundle = _wire(fhir.prescription_bundle(rx, SIGS))
    _validate_all(bundle)
    (mr,) = resources(bundle, "MedicationRequest")
    assert {"system": "urn:ir:moxa:drug", "code": "IRC6260001010028"} in mr["medicationCodeableConcept"]["coding"]
    back, _ = fhir.bundle_to_prescription(bundle)
    assert back.items[0].national_code == "IRC6260001010028" and back.document() == signed
