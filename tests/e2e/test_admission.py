"""Eligibility at admission and the patient's code at the counter (issue 9, point 3; 9-1-2, 9-2-3, 9-2-4).

Against the exchange process on loopback, with SQLCipher stores and PKCS#12 signers: online, the HID, the
insurer and scheme, a supplementary plan and an overlap of basic insurers are asked before the GP writes,
and the prescription is priced and signed under them; offline the admission is pending, the question is
queued, and its answer updates the prescription and the patient when it comes; at the pharmacy a
prescription that is not the patient's whose code was asked for, or presented, is refused."""

from __future__ import annotations

import pytest

from app.domain import Patient, PatientId
from app.services.outbox import Outbox, chain_of
from app.services.prescribing import ItemRequest, write_prescription
from exchange import devworld, seed
from sync.drain import Backoff
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness

ITEMS = [ItemRequest("101002", 21, "هر ۸ ساعت")]


@pytest.fixture
def world(tmp_path, tokens, exchange_process):
    ex = exchange_process.start()
    clinic = harness.new_workstation(
        tmp_path / "clinic", devworld.CLINIC, tokens, ex.url, engine_options={"backoff": Backoff(0.01, 0.05)}
    )
    pharmacy = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, ex.url)
    clinic.sync.refresh()
    yield ex, clinic, pharmacy
    clinic.close()
    pharmacy.close()


def person(pick) -> dict:
    return next(p for p in seed.persons() if p["kind"] == "national-code" and pick(p))


def typed(p: dict) -> Patient:
    return Patient(PatientId("national-code", p["value"]), p["first_name"], p["last_name"])


def test_online_the_hid_and_the_cover_come_before_the_gp_writes(world) -> None:
    ex, clinic, _ = world
    two = person(lambda p: p["coverages"] == ["IKRF", "IHIO-RUR"] and p["supplementary"])
    rx = write_prescription(clinic, patient=typed(two), items=ITEMS)
    # signed with the HID and under the cover found: the first basic insurer, the supplementary plan
    assert rx.hid and rx.state.value == "queued"
    assert rx.patient.coverage.insurer_code == "IKRF" and rx.patient.supplementary.insurer_code == "SUPP-T"
    assert [r.op for r in Outbox(clinic.store).for_chain(chain_of(rx.id))] == ["register"]
    e = clinic.store.results.get(f"rx:{rx.id}", "eligibility")
    assert e["status"] == "confirmed" and e["overlap"] is True and e["basic"] == "IKRF"
    assert {c["kind"] for c in e["coverages"]} == {"basic", "supplementary"}
    # the cover is kept with the patient, for the next visit
    kept = clinic.store.get_patient(PatientId("national-code", two["value"]))
    assert kept.coverage.insurer_code == "IKRF" and kept.supplementary.insurer_code == "SUPP-T"
    assert ex.stats()["hids"] == 1
    assert clinic.sync.run().done == 1
    registered = clinic.store.get_prescription(rx.id)
    reg = clinic.store.results.get(f"rx:{rx.id}", "registration")
    assert registered.hid == rx.hid and reg["cost"] == rx.cost.to_dict()  # priced alike at the exchange


def test_offline_the_admission_is_pending_then_answered_and_the_prescription_updated(world) -> None:
    ex, clinic, _ = world
    rural = person(lambda p: p["coverages"] == ["IHIO-RUR"] and not p["supplementary"])
    with harness.exchange_down(ex):
        rx = write_prescription(clinic, patient=typed(rural), items=ITEMS)
    assert rx.hid is None and rx.patient.coverage is None
    assert clinic.store.results.get(f"rx:{rx.id}", "eligibility")["status"] == "pending"
    assert [r.op for r in Outbox(clinic.store).for_chain(chain_of(rx.id))] == ["eligibility", "register"]
    clinic.sync.probe()
    assert clinic.sync.run().done == 2
    updated = clinic.store.get_prescription(rx.id)
    e = clinic.store.results.get(f"rx:{rx.id}", "eligibility")
    assert updated.hid and e["status"] == "confirmed" and e["basic"] == "IHIO-RUR" and e["coverage_changed"]
    kept = clinic.store.get_patient(PatientId("national-code", rural["value"]))
    assert kept.coverage.scheme == "IHIO-RUR"
    # the next visit is written under the cover eligibility found, even offline
    with harness.exchange_down(ex):
        again = write_prescription(clinic, patient=kept, items=ITEMS)
    assert again.patient.coverage.scheme == "IHIO-RUR" and again.cost.insurer > 0


def test_the_pharmacy_refuses_a_prescription_that_is_not_the_patients(world) -> None:
    _, clinic, pharmacy = world
    a, b = (person(lambda p, i=i: p["coverages"] and seed.persons().index(p) == i) for i in (0, 2))
    rx = write_prescription(clinic, patient=typed(a), items=ITEMS)
    clinic.sync.run()
    rx = clinic.store.get_prescription(rx.id)
    wrong = retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code, patient=b["value"])
    assert wrong.prescriptions == [] and [r["reason"] for r in wrong.refused] == ["patient-mismatch"]
    assert "not for the patient" in wrong.refused[0]["en"] and pharmacy.store.find_prescriptions() == []
    right = retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code, patient=a["value"])
    assert [r.id for r in right.prescriptions] == [rx.id] and not right.refused
    by_hid = retrieve_prescriptions(pharmacy, key="hid", value=rx.hid, patient=f"national-code:{a['value']}")
    assert [r.id for r in by_hid.prescriptions] == [rx.id]
