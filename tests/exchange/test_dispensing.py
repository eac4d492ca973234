"""Claims, dispensings (partial, double), TTAC, reference data, statements, batches and faults."""

from __future__ import annotations

import pytest
import requests

from app.domain import DispensedPack
from app.services.dispensing import DispenseLine, record_dispensing
from exchange import devworld
from sync.client import ExchangeRefused, ExchangeUnavailable, Unreachable
from sync.drain import Backoff, Drainer
from sync.retrieve import retrieve
from tests.sync import harness


def drain(store, client):
    return Drainer(store, client, backoff=Backoff(0.01, 0.05), patience=1.0).drain()


class Pharmacy:
    def __init__(self, tmp_path, tokens, exchange, site):
        self.ws = harness.new_workstation(tmp_path / site.user_token, site, tokens, exchange.url)
        self.store = self.ws.store
        self.signers = self.ws.signers()
        self.client = self.ws.client
        self.pharmacist = devworld.PHARMACISTS[site.user_token]
        self.trust = self.ws.trust

    def fetch(self, rx):
        return retrieve(self.store, self.client, self.trust, field="tracking", value=rx.tracking_code)

    def dispense(self, rx_id, lines, claim=None, ttac_reason=None):
        # packs these tests do not scan need a reason (9-2-7)
        reason = ttac_reason or (None if all(ln.packs for ln in lines) else "test: packs not scanned")
        return record_dispensing(
            self.store,
            rx_id,
            pharmacist=self.pharmacist,
            lines=lines,
            signers=self.signers,
            claim=claim,
            ttac_reason=reason,
        )


@pytest.fixture
def registered(clinic, clinic_client, clinic_ws):
    (rx,) = harness.write_many(clinic_ws, 1)
    assert rx.hid  # eligibility was asked at admission, online, before the GP wrote (9-1 step 2)
    assert drain(clinic, clinic_client).done == 1
    return clinic.get_prescription(rx.id)


@pytest.fixture
def ph1(tmp_path, tokens, exchange):
    p = Pharmacy(tmp_path, tokens, exchange, devworld.PHARMACY)
    yield p
    p.ws.close()


@pytest.fixture
def ph2(tmp_path, tokens, exchange):
    p = Pharmacy(tmp_path, tokens, exchange, devworld.PHARMACY_2)
    yield p
    p.ws.close()


def _packs(exchange, rx, line, n=1, skip=0):
    drug = next(it.drug_code for it in rx.items if it.line == line)
    return tuple(DispensedPack(c) for c in exchange.ttac_codes(drug, n + skip)[skip:])


def test_retrieved_prescriptions_are_verified_and_kept(ph1, registered) -> None:
    got = ph1.fetch(registered)
    assert [r.id for r in got.prescriptions] == [registered.id] and not got.refused
    kept = ph1.store.get_prescription(registered.id)
    assert kept.state.value == "registered" and kept.hid == registered.hid
    assert {s.role.value for s in ph1.store.signatures(registered.id, 1)} == {"prescriber", "facility"}


def test_partial_then_full_dispensing_with_receipts(exchange, ph1, registered) -> None:
    ph1.fetch(registered)
    claim = ph1.client.claim(registered.tracking_code)["claim"]
    ph1.dispense(registered.id, [DispenseLine(1, packs=_packs(exchange, registered, 1))], claim)
    assert drain(ph1.store, ph1.client).done == 1
    assert ph1.store.get_prescription(registered.id).state.value == "partially_dispensed"
    ph1.dispense(registered.id, [DispenseLine(2, packs=_packs(exchange, registered, 2))], claim)
    assert drain(ph1.store, ph1.client).done == 1
    status = ph1.client.status(registered.tracking_code)
    assert (
        status["state"] == "dispensed"
        and status["dispensedLines"] == [1, 2]
        and len(status["dispensings"]) == 2
    )
    assert ph1.store.get_prescription(registered.id).state.value == "dispensed"
    st = ph1.client.statement()
    assert st["kind"] == "pharmacy" and st["totals"]["count"] == 2 and st["totals"]["insurer"] > 0


def test_a_second_pharmacy_gets_409_with_who_and_when(exchange, ph1, ph2, registered) -> None:
    ph1.fetch(registered)
    ph2.fetch(registered)
    claim = ph1.client.claim(registered.tracking_code)["claim"]
    with pytest.raises(ExchangeRefused) as held:
        ph2.client.claim(registered.tracking_code)
    assert held.value.status == 409 and held.value.code == "claimed"
    assert held.value.details["facility"] == devworld.PHARMACY.siam and held.value.details["at"]
    ph1.dispense(registered.id, [DispenseLine(1), DispenseLine(2)], claim)
    drain(ph1.store, ph1.client)
    with pytest.raises(ExchangeRefused) as done:
        ph2.client.claim(registered.tracking_code)
    assert done.value.code == "already-dispensed" and done.value.details["facility_name"]
    # the second pharmacy dispensed from paper anyway: its outbox brings back the conflict
    d = ph2.dispense(registered.id, [DispenseLine(1)])
    report = drain(ph2.store, ph2.client)
    assert report.conflicts == 1
    assert ph2.store.get_dispensing(d.id).state == "conflict"
    (row,) = (
        ph2.store.conn()
        .execute("SELECT reason_code, reason_en FROM outbox WHERE state = 'conflict'")
        .fetchall()
    )
    assert row[0] == "already-dispensed" and "داروخانه نمونه" in row[1]
    assert ph2.store.get_prescription(registered.id).state.value == "dispensed"
    # the pharmacy that dispensed sees who else tried, and when
    conflicts = ph1.client.status(registered.tracking_code)["conflicts"]
    assert [c["facility"] for c in conflicts] == [devworld.PHARMACY_2.siam] * 3
    assert {c["code"] for c in conflicts} == {"claimed", "already-dispensed"}


def test_released_claims_let_another_pharmacy_dispense(ph1, ph2, registered) -> None:
    ph1.fetch(registered)
    ph2.fetch(registered)
    secret = ph1.client.claim(registered.tracking_code)["claim"]
    assert ph1.client.release(registered.tracking_code, secret)["released"]
    ph2.client.claim(registered.tracking_code)
    ph2.dispense(registered.id, [DispenseLine(2)])
    assert drain(ph2.store, ph2.client).done == 1


def test_ttac_answers_genuine_unknown_dispensed_and_catches_reused_packs(
    exchange, ph1, ph2, clinic, clinic_client, clinic_ws
) -> None:
    a, b = harness.write_many(clinic_ws, 2)
    drain(clinic, clinic_client)
    a, b = clinic.get_prescription(a.id), clinic.get_prescription(b.id)
    ph1.fetch(a)
    ph2.fetch(b)
    shared = ({it.drug_code for it in a.items} & {it.drug_code for it in b.items}).pop()
    line_a = next(it.line for it in a.items if it.drug_code == shared)
    line_b = next(it.line for it in b.items if it.drug_code == shared)
    pack = _packs(exchange, a, line_a)[0]
    assert ph1.client.ttac(pack.authenticity_code)["status"] == "genuine"
    assert ph1.client.ttac("9999999999999998")["status"] == "unknown"
    ph1.dispense(a.id, [DispenseLine(line_a, packs=(pack,))])
    drain(ph1.store, ph1.client)
    info = ph1.client.ttac(pack.authenticity_code)
    assert info["status"] == "dispensed" and info["dispensedBy"] == devworld.PHARMACY.siam
    ph2.dispense(b.id, [DispenseLine(line_b, packs=(pack,))])  # the same physical pack, sold again
    assert drain(ph2.store, ph2.client).conflicts == 1
    assert (
        ph2.store.conn().execute("SELECT reason_code FROM outbox WHERE state = 'conflict'").fetchone()[0]
        == "pack-dispensed"
    )


def test_a_dispensing_before_the_prescription_arrives_waits(
    exchange, ph1, clinic, clinic_client, clinic_ws
) -> None:
    from app.services.dispensing import keep_prescription

    (rx,) = harness.write_many(clinic_ws, 1)
    keep_prescription(ph1.store, clinic.get_prescription(rx.id), clinic.signatures(rx.id, 1), source="paper")
    ph1.dispense(rx.id, [DispenseLine(1)])
    report = drain(ph1.store, ph1.client)
    assert (
        report.retried >= 1
        and report.remaining == 1
        and not ph1.store.conn()
        .execute("SELECT 1 FROM outbox WHERE state IN ('rejected', 'conflict', 'quarantined')")
        .fetchone()
    )
    drain(clinic, clinic_client)
    ph1.store.conn().execute("UPDATE outbox SET next_attempt_at = 0")
    assert drain(ph1.store, ph1.client).done == 1


def test_reference_data_with_versions_and_not_modified(ph1) -> None:
    catalog = ph1.client.reference("catalog")
    assert catalog["version"] and len(catalog["data"]["drugs"]) > 600
    assert all(d["price"] > 0 for d in catalog["data"]["drugs"])
    assert ph1.client.reference("catalog", have=catalog["version"]) is None
    trust = ph1.client.reference("trustlist")["data"]
    assert trust["format"] == "noskhe-trust-list/1"


def test_batches_answer_each_entry_and_refuse_oversize(clinic, clinic_client, clinic_ws) -> None:
    harness.write_many(clinic_ws, 3)  # online: their HIDs came at admission, three registrations are queued
    report = Drainer(clinic, clinic_client, batch_size=10, backoff=Backoff(0.01, 0.05)).drain()
    assert report.done == 3 and report.requests == 1
    big = {"resourceType": "Bundle", "type": "batch", "entry": [{}] * 101}
    assert clinic_client.call("POST", "/batch", body=big).status == 413


def test_fault_switch_latency_errors_outage(exchange, clinic_client) -> None:
    import time

    exchange.faults(latency_ms=150)
    t = time.monotonic()
    assert clinic_client.probe()
    assert time.monotonic() - t >= 0.15
    exchange.faults(latency_ms=0, error_rate=1.0)
    with pytest.raises(ExchangeUnavailable):  # even the login
        clinic_client.call("GET", "/reference/rules")
    exchange.faults(error_rate=0.0)
    clinic_client.login()
    exchange.faults(error_rate=1.0)
    assert clinic_client.call("GET", "/reference/rules").status in (500, 503)
    exchange.faults(error_rate=0.0, outage=True)
    assert not clinic_client.probe()
    with pytest.raises(Unreachable):
        clinic_client.call("GET", "/reference/rules")
    exchange.faults(outage=False, drop_rate=1.0)
    with pytest.raises(Unreachable):
        clinic_client.call("GET", "/reference/rules")
    exchange.faults(drop_rate=0.0)
    assert clinic_client.call("GET", "/reference/rules").status == 200
    assert requests.get(exchange.url + "/admin/faults", timeout=5).status_code == 401


def test_cancel_after_dispensing_is_refused_and_the_clinic_shows_it(
    clinic, clinic_client, clinic_ws, ph1, registered
) -> None:
    from app.services.outbox import Outbox
    from app.services.prescribing import cancel_prescription

    ph1.fetch(registered)
    ph1.dispense(registered.id, [DispenseLine(2)])
    drain(ph1.store, ph1.client)
    cancel_prescription(clinic_ws, registered.id)
    assert drain(clinic, clinic_client).conflicts == 1
    assert clinic.get_prescription(registered.id).state.value == "partially_dispensed"
    assert Outbox(clinic).attention()[0].reason_en.startswith("Cancellation refused")


def test_rules_before_dispensing_refuse_an_expired_pack_and_extra_units(exchange, ph1, registered) -> None:
    from app.services.outbox import Outbox
    from exchange.seed import PACKS_PER_DRUG, pack_code

    ph1.fetch(registered)
    item = registered.items[0]
    expired = DispensedPack(pack_code(item.drug_code, PACKS_PER_DRUG - 1))
    assert ph1.client.ttac(expired.authenticity_code)["status"] == "expired"
    ph1.dispense(registered.id, [DispenseLine(item.line, packs=(expired,))])
    assert drain(ph1.store, ph1.client).rejected == 1
    (row,) = Outbox(ph1.store).attention()
    findings = row.result["details"]["findings"]
    assert row.reason_code == "rules-rejected" and [f["code"] for f in findings] == ["expired-pack"]
    assert ph1.store.get_prescription(registered.id).state.value == "registered"  # the line is free again
