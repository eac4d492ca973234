"""The FHIR wire model: valid R4 resources, exact round trips (signatures depend on it), stable bytes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.domain import (
    CostSplit,
    Coverage,
    DispensedPack,
    Dispensing,
    DispensingItem,
    Patient,
    PatientId,
    Pharmacist,
    Prescriber,
    Sex,
)
from app.signing import SignatureRole
from sync import fhir
from sync.fhir.common import WireSignature
from tests.conftest import make_prescription

SIG = WireSignature(
    SignatureRole.PRESCRIBER, b"\x30\x03\x02\x01\x01", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
)


def _wire(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


@pytest.mark.parametrize(
    "variant", ["plain", "full", "no-hid-notes", "foreign", "newborn", "no-specialty", "legal", "armed-forces"]
)
def test_prescription_round_trip_is_exact(variant: str) -> None:
    patient = None
    if variant == "full":
        patient = Patient(
            PatientId.parse("national-code", "0012345679"),
            "",
            "رضایی",
            birth_date=dt.date(1990, 1, 2),
            sex=Sex.MALE,
            phone="09120000000",
            coverage=Coverage("IHIO", "IHIO-RUR", "N-1", 70, dt.date(2030, 1, 1)),
        )
    elif variant == "foreign":
        patient = Patient(
            PatientId.parse("fida", "123456789012"), "Ahmad", "Karimi", coverage=Coverage("NONE")
        )
    elif variant == "newborn":
        patient = Patient(PatientId.parse("newborn", "0012345679-2"), "نوزاد", "احمدی", sex=Sex.FEMALE)
    elif variant == "armed-forces":
        patient = Patient(PatientId.parse("armed-forces-newborn", "12345678"), "نوزاد", "کریمی")
    rx = make_prescription(patient, n_items=3 if variant == "full" else 1)
    if variant == "legal":  # section 7: provider user id, the provider's national id, start and end of service
        rx.provider_user_id, rx.facility_national_id = "10000001:0012345679", "10380284790"
        rx.service_start = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
        rx.service_end = dt.datetime(2026, 11, 30, 9, 12, 30, tzinfo=dt.UTC)
        rx.prescriber = Prescriber("دکتر", "42", "متخصص داخلی", "0012345679", "09121234567")
    if variant != "no-hid-notes":
        rx.notes = "یادداشت پزشک"
        rx.hid = "1000000000000007"
    if variant == "no-specialty":
        rx.prescriber = Prescriber("دکتر", "42", "", "", "")
    bundle = fhir.prescription_bundle(rx, [SIG])
    fhir.validate(bundle)
    back, sigs = fhir.bundle_to_prescription(_wire(bundle))
    assert back.document() == rx.document()
    assert back.hid == rx.hid
    assert sigs == [SIG]
    if variant == "legal":
        doc = back.document()
        assert doc["providerUserId"] == "10000001:0012345679" and doc["facilityNationalId"] == "10380284790"
        assert doc["serviceStart"] == "2026-11-30T09:00:00+00:00" and doc["serviceEnd"].endswith("09:12:30+00:00")
        assert doc["prescriber"]["specialty"] == "متخصص داخلی"


def test_a_document_signed_before_the_legal_fields_keeps_its_bytes() -> None:
    """Section 7's new elements are optional: a prescription or dispensing without them has the document
    (and so the signature) it had before they existed, and reads back without them."""
    rx = make_prescription()
    doc = rx.document()
    assert not {"providerUserId", "facilityNationalId", "serviceStart", "serviceEnd"} & set(doc)
    back = type(rx).from_dict(json.loads(json.dumps(rx.to_dict())))
    assert back.document() == doc and back.service_start is None
    d = Dispensing("01ABCDEFGHJKMNPQRSTVWXYZ01", Pharmacist("x", "98765"), "20000002", [DispensingItem(1, "1", 1)])
    assert not {"provider_user_id", "facility_national_id", "service_start", "service_end"} & set(d.document())


def test_same_prescription_gives_same_bytes() -> None:
    rx = make_prescription()
    a = json.dumps(fhir.prescription_bundle(rx, [SIG]), sort_keys=True)
    b = json.dumps(fhir.prescription_bundle(rx, [SIG]), sort_keys=True)
    assert a == b


def test_a_changed_resource_changes_the_signed_document() -> None:
    rx = make_prescription()
    bundle = _wire(fhir.prescription_bundle(rx, [SIG]))
    mr = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest")
    mr["dispenseRequest"]["quantity"]["value"] += 10
    back, _ = fhir.bundle_to_prescription(bundle)
    assert back.document() != rx.document()


def test_dispensing_round_trip_is_exact() -> None:
    d = Dispensing(
        prescription_id="01ABCDEFGHJKMNPQRSTVWXYZ01",
        pharmacist=Pharmacist("دکتر رضا", "98765", "0023456781"),
        facility_siam="20000002",
        items=[
            DispensingItem(
                1,
                "101002",
                20,
                (DispensedPack("1234567890123456", "6260000010020", "B1", "2027-01"),),
                CostSplit(700, 300),
            ),
            DispensingItem(2, "103011", 5, (), CostSplit(0, 100)),
        ],
        hid="1000000000000007",
        tracking_code="100000000007",
        payment_id="PAY-1",
        pos_terminal_id="POS9",
        provider_user_id="20000002:0023456781",
        facility_national_id="10101888555",
        service_start=dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC),
        service_end=dt.datetime(2026, 11, 30, 9, 3, tzinfo=dt.UTC),
    )
    bundle = fhir.dispensing_bundle(d, [SIG])
    fhir.validate(bundle)
    back, sigs = fhir.bundle_to_dispensing(_wire(bundle))
    assert back.document() == d.document()
    assert back.service_end == d.service_end and back.facility_national_id == "10101888555"
    assert sigs == [SIG]


def test_cancellation_round_trip() -> None:
    doc = {
        "resourceType": "NoskheCancellation",
        "prescription": "01ABC",
        "version": 2,
        "cancelledAt": "2026-01-02T10:00:00+03:30",
        "prescriber": "123456",
    }
    bundle = fhir.cancel_bundle(doc, SIG)
    fhir.validate(bundle)
    assert fhir.bundle_to_cancel(_wire(bundle)) == (doc, [SIG])


def test_eligibility_request_and_response() -> None:
    patient = Patient(PatientId.parse("national-code", "0012345679"), "مریم", "احمدی")
    req = fhir.eligibility_request(
        patient, created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), provider_siam="10000001"
    )
    fhir.validate(req)
    e = fhir.Eligibility(
        "1000000000000007", True, [{"insurer": "IHIO", "insurer_percent": 70}], False, "insured"
    )
    resp = fhir.eligibility_response(req, e, "key-1")
    fhir.validate(resp)
    assert fhir.read_eligibility(_wire(resp)) == e


def test_malformed_messages_are_refused_with_a_reason() -> None:
    with pytest.raises(fhir.FhirError):
        fhir.validate({"resourceType": "MedicationRequest", "status": "bogus"})
    with pytest.raises(fhir.FhirError):
        fhir.bundle_to_prescription({"resourceType": "Bundle", "type": "collection", "entry": []})


def test_outcomes_carry_both_languages_and_details() -> None:
    body = fhir.outcome(409, "already-dispensed", "Dispensed.", "پیچیده شد.", {"at": "t", "lines": [1]})
    fhir.validate(body)
    o = fhir.read_outcome(_wire(body))
    assert (o.code, o.en, o.fa, o.details) == (
        "already-dispensed",
        "Dispensed.",
        "پیچیده شد.",
        {"at": "t", "lines": [1]},
    )
    t = fhir.task("completed", "k", "urn:x", "1", {"trackingCode": "1", "ids": {"1": "2"}})
    fhir.validate(t)
    assert fhir.read_task(_wire(t)) == {"trackingCode": "1", "ids": {"1": "2"}}
