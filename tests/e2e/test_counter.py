"""At the counters, against a real exchange process: double dispensing, late edits, refused requests.

Each site is a `Workstation` (`tests.sync.harness.new_workstation`: PKCS#12 signers from its settings) and
the pharmacies use the counter's use cases (`sync.retrieve`, `sync.counter`) as the CLI does."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from app.services.dispensing import DispenseLine
from app.services.outbox import Outbox
from app.services.prescribing import edit_prescription
from app.workstation import Workstation
from exchange import devworld
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness


@pytest.fixture
def world(tmp_path, tokens, exchange_process):
    ex = exchange_process.start()
    sites = harness.three_sites(tmp_path, tokens, ex.url)
    yield ex, sites
    for ws in sites.values():
        ws.close()


def drain(ws: Workstation):
    return ws.sync.drainer.drain()


def _registered(sites):
    clinic = sites["clinic"]
    (rx,) = harness.write_many(clinic, 1)
    assert rx.hid  # eligibility was asked online at admission (9-1 step 2): only the registration is queued
    assert drain(clinic).done == 1
    return clinic.store.get_prescription(rx.id)


def _dispense(ws: Workstation, rx, lines):
    """Dispensed at the counter without the network (`noskhe dispense RX --offline`): no claim."""
    return dispense(ws, ref=rx.id, lines=lines, offline=True, ttac_reason="packs not scanned").dispensing


def test_double_dispensing_at_two_pharmacies_the_second_sees_the_conflict(world) -> None:
    ex, sites = world
    rx = _registered(sites)
    first, second = sites["noskhe-pharmacy"], sites["noskhe-pharmacy-2"]
    for ws in (first, second):
        got = retrieve_prescriptions(ws, key="national-code", value=rx.patient.id.value)
        assert [r.id for r in got.prescriptions] == [rx.id]
    # both counters dispense the same prescription while neither has synced (paper, no claim)
    d1 = _dispense(first, rx, [DispenseLine(1), DispenseLine(2)])
    d2 = _dispense(second, rx, [DispenseLine(1), DispenseLine(2)])
    assert d1.pharmacist.licence == "98765" and d2.pharmacist.licence == "87654"  # from their certificates
    assert drain(first).done == 1
    report = drain(second)
    assert report.conflicts == 1 and report.done == 0
    assert first.store.get_dispensing(d1.id).state == "registered"
    assert second.store.get_dispensing(d2.id).state == "conflict"
    (row,) = Outbox(second.store).attention()
    assert row.state == "conflict" and row.reason_code == "already-dispensed"
    assert "داروخانه نمونه" in row.reason_en and row.result["details"]["at"]
    assert second.store.get_prescription(rx.id).state.value == "dispensed"
    status = first.client.status(rx.tracking_code)
    assert [d["facility"] for d in status["dispensings"]] == [devworld.PHARMACY.siam]
    assert ex.stats()["dispensings"] == 1


def test_edit_after_dispensing_is_refused_and_shown_at_the_clinic(world) -> None:
    _, sites = world
    rx = _registered(sites)
    pharmacy = sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    _dispense(pharmacy, rx, [DispenseLine(1)])
    assert drain(pharmacy).done == 1
    clinic = sites["clinic"]
    edited = edit_prescription(clinic, rx.id, notes="دوز تغییر کرد")
    assert edited.version == 2 and edited.state.value == "queued"  # allowed locally: the clinic did not know
    report = drain(clinic)
    assert report.conflicts == 1
    shown = clinic.store.get_prescription(rx.id)
    assert shown.state.value == "partially_dispensed" and shown.version == 1 and shown.dispensed_lines == [1]
    (row,) = Outbox(clinic.store).attention()
    assert row.op == "edit" and row.reason_code == "already-dispensed" and "Edit refused" in row.reason_en
    assert row.action_en and row.action_fa


def test_unauthenticated_requests_are_refused(world) -> None:
    ex, _ = world
    for method, path in (
        ("POST", "/prescriptions"),
        ("POST", "/dispensings"),
        ("GET", "/prescriptions?hid=1"),
        ("POST", "/batch"),
        ("GET", "/statement"),
    ):
        assert requests.request(method, ex.url + path, json={}, timeout=10).status_code == 401
    bogus = requests.post(
        ex.url + "/auth/token",
        data=b'{"siam":"10000001"}',
        timeout=10,
        headers={"X-Noskhe-Signature": base64.b64encode(b"not a signature").decode()},
    )
    assert bogus.status_code == 401


def test_a_tampered_signature_is_refused_by_the_exchange(world) -> None:
    _, sites = world
    store = sites["clinic"].store
    a, b = harness.write_many(sites["clinic"], 2)
    # flip one bit in the prescriber's signature value of `a`, and change what `b` says after signing
    cms = bytearray(store.signatures(a.id, 1)[1].cms)
    cms[-5] ^= 0x01
    store.conn().execute(
        "UPDATE signatures SET cms = ? WHERE subject = ? AND role = 'prescriber'", (bytes(cms), a.id)
    )
    row = next(r for r in Outbox(store).for_chain(f"rx:{b.id}") if r.op == "register")
    payload = row.payload
    payload["rx"]["items"][0]["quantity"] += 5
    store.conn().execute("UPDATE outbox SET payload = ? WHERE id = ?", (json.dumps(payload), row.id))
    report = drain(sites["clinic"])
    assert report.rejected == 2
    codes = {r.subject_id: r.reason_code for r in Outbox(store).attention()}
    assert codes == {a.id: "signature-bad-signature", b.id: "signature-tampered"}
    assert store.get_prescription(a.id).state.value == "rejected"


def test_over_tls_the_client_checks_the_exchange_and_logs_in(tmp_path, tokens, monkeypatch) -> None:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exchange.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "tls.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "tls.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ex = harness.ProcessExchange(
        tmp_path / "exchange",
        tokens.trust_list,
        extra=("--tls-cert", str(tmp_path / "tls.pem"), "--tls-key", str(tmp_path / "tls.key")),
    )
    ex.start()
    try:
        assert ex.url.startswith("https://")
        monkeypatch.delenv("NOSKHE_EXCHANGE_CA", raising=False)
        with harness.new_workstation(tmp_path / "clinic", devworld.CLINIC, tokens, ex.url) as untrusting:
            assert not untrusting.client.probe()  # a self-signed exchange is not trusted by default
        monkeypatch.setenv("NOSKHE_EXCHANGE_CA", str(tmp_path / "tls.pem"))
        with harness.open_workstation(tmp_path / "clinic", devworld.CLINIC) as ws:
            (rx,) = harness.write_many(ws, 1)
            assert rx.hid and ws.sync.drainer.drain().done == 1  # eligibility asked over TLS at admission
    finally:
        ex.stop()
