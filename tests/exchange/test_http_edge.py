"""The exchange's HTTP edge as an attacker meets it (raw sockets, answers within a timeout), retrieval scoped
by the caller's role, and worker processes that share tokens and the fault switch."""

from __future__ import annotations

import socket
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

from exchange import devworld
from exchange.wsgi import MAX_BODY
from sync.client import ExchangeRefused
from sync.drain import Backoff, Drainer
from tests.sync import harness

#: every abuse is answered within this many seconds
ANSWER_WITHIN = 5.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tokens):
    """`noskhe exchange serve` with two gunicorn workers (what production runs)."""
    ex = harness.ProcessExchange(
        tmp_path_factory.mktemp("edge") / "exchange", tokens.trust_list, extra=("--workers", "2")
    ).start()
    yield ex
    ex.stop()


@pytest.fixture(params=["gunicorn", "in-process"])
def server(request):
    """Each edge case against both servers of the one WSGI application."""
    if request.param == "gunicorn":
        return request.getfixturevalue("served")
    return request.getfixturevalue("exchange")


def raw(url: str, head: str, body: bytes = b"") -> tuple[int | None, float]:
    """Send `head` (request line and headers, CRLF-separated, no blank line) and `body` on a new connection;
    the answer's status (None: closed unanswered) and the seconds it took."""
    u = urllib.parse.urlsplit(url)
    start = time.monotonic()
    with socket.create_connection((u.hostname, u.port), timeout=ANSWER_WITHIN) as s:
        s.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
        got = b""
        try:
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except TimeoutError:
            pytest.fail(f"no answer within {ANSWER_WITHIN} s to {head.splitlines()[0]!r}")
    took = time.monotonic() - start
    return (int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/") else None), took


def post(length: str) -> str:
    return f"POST /batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}"


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "0x10", "12 34"])
def test_a_length_that_is_not_a_number_is_refused_400(server, length) -> None:
    status, took = raw(server.url, post(length), b"{}")
    assert status == 400 and took < ANSWER_WITHIN


def test_a_body_declared_larger_than_the_limit_is_refused_413_before_it_is_sent(server) -> None:
    for length in (str(10**12), str(MAX_BODY + 1), str(64 * 1024 * 1024)):
        status, took = raw(server.url, post(length))  # nothing of the body is ever sent
        assert status == 413 and took < ANSWER_WITHIN, length


def test_a_64_mib_body_is_refused_after_its_first_bytes(server) -> None:
    status, took = raw(server.url, post(str(64 * 1024 * 1024)), b"[" * 65536)
    assert status == 413 and took < ANSWER_WITHIN


@pytest.mark.parametrize("depth", [100_000, 1_000, 65])
def test_deeply_nested_json_is_refused_400_not_500(server, depth) -> None:
    body = b"[" * depth + b"]" * depth
    status, _ = raw(server.url, post(str(len(body))), body)
    assert status == 400


def test_nesting_inside_strings_is_not_counted(server) -> None:
    body = b'{"a": "' + b"[" * 500 + b'\\" ]]]"}'
    status, _ = raw(server.url, post(str(len(body))), body)
    assert status == 401  # it reached the exchange (no login), not refused at the edge


def test_the_exchange_still_answers_after_the_abuse(server) -> None:
    assert requests.get(server.url + "/metadata", timeout=ANSWER_WITHIN).status_code == 200


# ---- retrieval scoped by role --------------------------------------------------------------------------


def _drain(store, client):
    return Drainer(store, client, backoff=Backoff(0.01, 0.05), patience=1.0).drain()


@pytest.fixture
def registered(clinic, clinic_client, clinic_ws):
    (rx,) = harness.write_many(clinic_ws, 1)
    assert _drain(clinic, clinic_client).done == 1
    return clinic.get_prescription(rx.id)


@pytest.fixture
def pharmacy(tmp_path: Path, tokens, exchange):
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    yield ws.client
    ws.close()


@pytest.fixture
def other_clinic(exchange, tokens, clinic):
    """A second clinic (the stranger's seal, its facility registered as a clinic)."""
    exchange.admin("POST", "/admin/facilities", {"siam": "30000004", "kind": "clinic", "name": "دیگر"})
    client = harness.client_for(clinic, exchange.url, harness.signer(tokens, "noskhe-stranger"))
    client.siam = "30000004"
    return client


def test_a_pharmacy_posting_a_clinics_registered_bundle_is_refused_403(exchange, registered, pharmacy) -> None:
    import json

    bundle = json.loads(
        exchange.server.db.one("SELECT bundle FROM prescriptions WHERE client_id = ?", (registered.id,))[0]
    )
    reply = pharmacy.call("POST", "/prescriptions", body=bundle, headers={"Idempotency-Key": "stolen"})
    assert reply.status == 403
    text = json.dumps(reply.body)
    assert registered.tracking_code not in text and registered.hid not in text


def test_a_clinic_finds_and_reads_only_its_own_prescriptions(
    exchange, registered, clinic_client, other_clinic, pharmacy
) -> None:
    nc = registered.patient.id.value
    assert clinic_client.search("national-code", nc)["total"] == 1
    assert clinic_client.status(registered.id)["trackingCode"] == registered.tracking_code
    assert other_clinic.search("national-code", nc)["total"] == 0
    assert other_clinic.search("tracking", registered.tracking_code)["total"] == 0
    for ref in (registered.id, registered.tracking_code):
        with pytest.raises(ExchangeRefused) as info:
            other_clinic.status(ref)
        assert info.value.status == 403
    assert other_clinic.statuses([registered.id]) == []
    assert [s["id"] for s in clinic_client.statuses([registered.id])] == [registered.id]


def test_a_pharmacy_retrieves_any_open_prescription_to_dispense_and_a_clinic_cannot_claim(
    registered, clinic_client, pharmacy
) -> None:
    assert pharmacy.search("tracking", registered.tracking_code)["total"] == 1
    assert pharmacy.status(registered.tracking_code)["id"] == registered.id
    with pytest.raises(ExchangeRefused) as info:
        clinic_client.claim(registered.id)
    assert info.value.status == 403
    assert pharmacy.claim(registered.id)["claim"]


# ---- worker processes share what they know ---------------------------------------------------------------


def test_two_workers_share_bearer_tokens_and_the_fault_switch(served, tmp_path: Path, tokens) -> None:
    ws = harness.new_workstation(tmp_path / "clinic", devworld.CLINIC, tokens, served.url)
    try:
        token = ws.client.login()
    finally:
        ws.close()
    auth = {"Authorization": f"Bearer {token}", "Connection": "close"}
    workers = set()
    for _ in range(200):  # a new connection each time: the kernel hands them to either worker
        r = requests.get(served.url + "/reference/rules", headers=auth, timeout=ANSWER_WITHIN)
        assert r.status_code == 200, r.text
        workers.add(r.headers["X-Exchange-Worker"])
        if len(workers) >= 2:
            break
    assert len(workers) == 2
    served.faults(outage=True)
    try:
        for _ in range(20):
            with pytest.raises(requests.ConnectionError):
                requests.get(served.url + "/metadata", headers={"Connection": "close"}, timeout=ANSWER_WITHIN)
    finally:
        served.faults(outage=False)
    assert requests.get(served.url + "/metadata", timeout=ANSWER_WITHIN).status_code == 200


def test_a_chunked_body_is_read_to_the_limit_only(server) -> None:
    head = "POST /batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
    status, took = raw(server.url, head, b"2\r\n{}\r\n0\r\n\r\n")
    # gunicorn decodes it (and the exchange asks for a login); the in-process server cannot, and says so
    assert status == (401 if isinstance(server, harness.ProcessExchange) else 411) and took < ANSWER_WITHIN
