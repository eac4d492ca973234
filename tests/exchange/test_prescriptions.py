"""Eligibility, registration (idempotent, verified), rules, edit, cancel and retrieval at the exchange."""

from __future__ import annotations

import copy

import pytest

from app.identifiers import Hid, TrackingCode
from app.services.outbox import Outbox, chain_of
from app.services.prescribing import ItemRequest, price_items, write_prescription
from exchange import devworld
from sync import fhir, messages
from sync.drain import Backoff, Drainer
from tests.sync import harness


def drain(store, client):
    return Drainer(store, client, backoff=Backoff(0.01, 0.05), patience=1.0).drain()


def _rows(store, rx):
    return Outbox(store).for_chain(chain_of(rx.id))


def _eligible(clinic, clinic_client, rx):
    """Run only the eligibility row, so the registration can be sent by hand."""
    elig = _rows(clinic, rx)[0]
    out = messages.build(clinic, elig)
    reply = clinic_client.call(out.method, out.path, body=out.body, headers=out.headers())
    assert reply.status == 200
    e = fhir.read_eligibility(reply.body)
    clinic.conn().execute("UPDATE prescriptions SET hid = ? WHERE id = ?", (e.hid, rx.id))
    return e


def test_eligibility_issues_a_valid_hid_per_visit_and_replays_it(
    exchange, clinic, clinic_client, clinic_ws
) -> None:
    with harness.exchange_down(exchange):  # written offline: its eligibility is queued
        (rx,) = harness.write_many(clinic_ws, 1)
    row = _rows(clinic, rx)[0]
    out = messages.build(clinic, row)
    first = clinic_client.call("POST", "/eligibility", body=out.body, headers=out.headers())
    again = clinic_client.call("POST", "/eligibility", body=out.body, headers=out.headers())
    other = clinic_client.call(
        "POST", "/eligibility", body=out.body, headers={"Idempotency-Key": "another visit"}
    )
    e1, e2, e3 = (fhir.read_eligibility(r.body) for r in (first, again, other))
    assert Hid.is_valid(e1.hid) and e1.hid == e2.hid and e3.hid != e1.hid
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert e1.insured and e1.coverages[0]["insurer_percent"] > 0


def test_eligibility_of_newborns_unknown_and_overlapping_people(clinic, clinic_client) -> None:
    import datetime as dt

    from app.domain import Patient, PatientId
    from exchange import seed

    people = [p for p in seed.persons() if p["kind"] == "national-code"]
    mother = next(p for p in people if p["coverages"])
    overlap = next(p for p in people if len(p["coverages"]) > 1)
    cases = {
        "newborn": (PatientId("newborn", mother["value"] + "-1"), True),
        "overlap": (PatientId("national-code", overlap["value"]), True),
        "unknown": (PatientId.parse("national-code", "0012345679"), False),
    }
    for name, (pid, insured) in cases.items():
        body = fhir.eligibility_request(
            Patient(pid, "x", "y"), created=dt.datetime.now(dt.UTC), provider_siam="10000001"
        )
        e = fhir.read_eligibility(
            clinic_client.call("POST", "/eligibility", body=body, headers={"Idempotency-Key": name}).body
        )
        assert e.insured is insured, name
        assert e.overlap is (name == "overlap")


def test_registration_returns_tracking_code_and_rule_ids_and_is_idempotent(
    exchange, clinic, clinic_client, clinic_ws
) -> None:
    with harness.exchange_down(exchange):  # written offline: its eligibility is queued
        (rx,) = harness.write_many(clinic_ws, 1)
    _eligible(clinic, clinic_client, rx)
    out = messages.build(clinic, _rows(clinic, rx)[1])
    first = clinic_client.call("POST", "/prescriptions", body=out.body, headers=out.headers())
    assert first.status == 201
    result = fhir.read_task(first.body)
    assert TrackingCode.is_valid(result["trackingCode"]) and result["ruleApprovalId"]
    assert set(result["itemRuleApprovalIds"]) == {"1", "2"}
    replay = clinic_client.call("POST", "/prescriptions", body=out.body, headers=out.headers())
    assert replay.status == 200 and fhir.read_task(replay.body) == result
    # a lost outbox (new key, same body) still gets the same registration, never a second one
    lost = clinic_client.call("POST", "/prescriptions", body=out.body, headers={"Idempotency-Key": "fresh"})
    assert fhir.read_task(lost.body)["trackingCode"] == result["trackingCode"]
    changed = copy.deepcopy(out.body)
    changed["entry"][0]["resource"]["name"][0]["family"] = "دیگر"
    reused = clinic_client.call("POST", "/prescriptions", body=changed, headers=out.headers())
    assert reused.status == 422 and reused.refusal().code == "key-reuse"
    other_key = clinic_client.call("POST", "/prescriptions", body=changed, headers={"Idempotency-Key": "k2"})
    assert other_key.status == 409 and other_key.refusal().code == "id-reuse"


def _tamper_quantity(body):
    mr = next(e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "MedicationRequest")
    mr["dispenseRequest"]["quantity"]["value"] += 1


@pytest.mark.parametrize(
    "case, code",
    [
        ("tampered", "signature-tampered"),
        ("no-facility-seal", "missing-signature"),
        ("other-facility-named", "facility-mismatch"),
        ("prescriber-named-differently", "signature-tampered"),
        ("no-hid", "hid-missing"),
        ("no-key", "idempotency-key-missing"),
    ],
)
def test_registrations_the_exchange_refuses(exchange, clinic, clinic_client, clinic_ws, case, code) -> None:
    with harness.exchange_down(exchange):  # written offline: its eligibility is queued
        (rx,) = harness.write_many(clinic_ws, 1)
    if case != "no-hid":
        _eligible(clinic, clinic_client, rx)
    out = messages.build(clinic, _rows(clinic, rx)[1])
    body, headers = copy.deepcopy(out.body), out.headers()
    if case == "tampered":
        _tamper_quantity(body)
    elif case == "no-facility-seal":
        body["entry"] = [
            e
            for e in body["entry"]
            if not (
                e["resource"]["resourceType"] == "Provenance"
                and e["resource"]["signature"][0]["type"][0]["code"] == "facility"
            )
        ]
    elif case == "other-facility-named":
        for e in body["entry"]:
            if e["resource"]["resourceType"] == "MedicationRequest":
                e["resource"]["extension"][1]["valueIdentifier"]["value"] = "20000002"
    elif case == "prescriber-named-differently":
        next(e for e in body["entry"] if e["resource"]["resourceType"] == "Practitioner")["resource"][
            "identifier"
        ][0]["value"] = "654321"
    elif case == "no-key":
        headers = {}
    reply = clinic_client.call("POST", "/prescriptions", body=body, headers=headers)
    assert reply.status in (400, 422), reply.body
    assert reply.refusal().code == code


def test_a_prescription_naming_another_prescriber_is_refused(clinic, clinic_client, clinic_ws) -> None:
    from app.domain import Prescriber

    write_prescription(
        clinic_ws,
        patient=harness.patients(1)[0],
        prescriber=Prescriber("دکتر دیگر", "654321"),
        items=[ItemRequest("101002", 10)],
    )
    report = drain(clinic, clinic_client)
    assert report.rejected == 1
    (row,) = Outbox(clinic).attention()
    assert row.reason_code == "signer-mismatch" and "654321" in row.reason_en


def test_rules_warn_and_reject(exchange, clinic, clinic_client, clinic_ws) -> None:
    from app.domain import Prescription
    from app.services.checking import RulesRejected
    from app.services.prescribing import PRESCRIPTION_ROLES, sign_with

    patient = harness.patients(1)[0]
    # a rejection stops the signature before the token signs: nothing is queued, the draft is kept
    with pytest.raises(RulesRejected) as refused:
        write_prescription(
            clinic_ws, patient=patient, prescriber=devworld.GP, items=[ItemRequest("101002", 600)]
        )
    assert refused.value.details["source"] == "exchange" and not refused.value.details["overridable"]
    assert clinic.get_prescription(refused.value.details["draft_id"]).state.value == "draft"
    assert not Outbox(clinic).for_chain(chain_of(refused.value.details["draft_id"]))
    warned = write_prescription(
        clinic_ws,
        patient=patient,
        prescriber=devworld.GP,
        items=[ItemRequest("104064", 30, ""), ItemRequest("103011", 150, "")],
    )
    report = drain(clinic, clinic_client)
    assert report.rejected == 0 and report.done == 1
    row = (
        clinic.conn()
        .execute(
            "SELECT data FROM exchange_results WHERE subject = ? AND kind = 'registration'",
            (f"rx:{warned.id}",),
        )
        .fetchone()
    )
    levels = {(f["code"], f["level"]) for f in __import__("json").loads(row[0])["findings"]}
    assert ("interaction", "warning") in levels and ("quantity", "warning") in levels
    # the exchange itself refuses a signed prescription its rules reject (one not checked before signing)
    big = Prescription(
        patient,
        devworld.GP,
        clinic.facility_siam,
        price_items(clinic, patient, [ItemRequest("101002", 600)]),
        prescribed_at=warned.prescribed_at,
        hid=warned.hid,
    )
    body = fhir.prescription_bundle(big, sign_with(clinic_ws.signers(), big.document(), PRESCRIPTION_ROLES))
    reply = clinic_client.call("POST", "/prescriptions", body=body, headers={"Idempotency-Key": big.id})
    assert reply.status == 422 and reply.refusal().code == "rules-rejected"
    assert any(
        f["code"] == "quantity" and f["level"] == "rejection" for f in reply.refusal().details["findings"]
    )
    # offline, the local engine on the cached rule set refuses it the same way
    with harness.exchange_down(exchange), pytest.raises(RulesRejected) as local:
        write_prescription(
            clinic_ws, patient=patient, prescriber=devworld.GP, items=[ItemRequest("101002", 600)]
        )
    assert local.value.details["source"] == "local"
    assert local.value.details["findings"] == refused.value.details["findings"]


def test_retrieve_by_each_key_returns_only_open_prescriptions(
    exchange, clinic, clinic_client, clinic_ws
) -> None:
    a, b = harness.write_many(clinic_ws, 2)
    drain(clinic, clinic_client)
    a, b = clinic.get_prescription(a.id), clinic.get_prescription(b.id)
    for field, value in (
        ("national-code", a.patient.id.value),
        ("hid", a.hid),
        ("tracking", a.tracking_code),
    ):
        found = clinic_client.search(field, value)
        assert [e["resource"]["identifier"]["value"] for e in found["entry"]] == [a.id], field
    with exchange.server.db.write() as c:
        c.execute("UPDATE prescriptions SET state = 'dispensed' WHERE client_id = ?", (a.id,))
    assert clinic_client.search("tracking", a.tracking_code)["total"] == 0
    assert exchange.server.db.one("SELECT count(*) FROM access_log")[0] == 4


def test_edit_and_cancel_reach_the_exchange_in_order(clinic, clinic_client, clinic_ws) -> None:
    from app.services.prescribing import cancel_prescription, edit_prescription

    (rx,) = harness.write_many(clinic_ws, 1)
    edit_prescription(clinic_ws, rx.id, items=[ItemRequest("103011", 3, "شب")])
    cancel_prescription(clinic_ws, rx.id)
    report = drain(clinic, clinic_client)
    assert report.by_op == {"register": 1, "edit": 1, "cancel": 1}  # its HID came at admission
    status = clinic_client.status(clinic.get_prescription(rx.id).tracking_code)
    assert status["state"] == "cancelled" and status["version"] == 2


def test_a_suspended_prescriber_is_refused(clinic, clinic_client, tokens) -> None:
    from app.domain import Prescriber

    suspended = harness.signer(tokens, "noskhe-gp-suspended")
    who = suspended.identity()
    write_prescription(
        harness.workstation_over(clinic, suspended, harness.signer(tokens, "noskhe-clinic")),
        patient=harness.patients(1)[0],
        items=[ItemRequest("101002", 10)],
        prescriber=Prescriber(who.name, who.medical_council_number, national_code=who.national_code),
    )
    assert drain(clinic, clinic_client).rejected == 1
    assert Outbox(clinic).attention()[0].reason_code == "prescriber-suspended"


def test_rules_can_be_asked_before_signing(clinic, clinic_client) -> None:
    from app.domain import Prescription
    from app.services.prescribing import price_items

    patient = harness.patients(1)[0]
    draft = Prescription(
        patient,
        devworld.GP,
        clinic.facility_siam,
        price_items(clinic, patient, [ItemRequest("104064", 30), ItemRequest("103011", 600)]),
    )
    answer = clinic_client.rules_check(fhir.prescription_bundle(draft, []))
    assert answer["rejected"] is True
    levels = {(f["code"], f["level"], f.get("line")) for f in answer["findings"]}
    assert ("quantity", "rejection", 2) in levels and ("interaction", "warning", 2) in levels
    assert set(answer["costs"]) == {"1", "2"} and answer["total"]["insurer"] + answer["total"]["patient"] > 0
