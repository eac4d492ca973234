"""Faults a tester found after issue 13's fixes: slow request bodies at the exchange, disk full while
prescribing, a revocation learned through OCSP kept offline, reference data fetched before the first sync,
and the smaller messages and file modes (issue 15)."""

from __future__ import annotations

import socket
import time
import urllib.parse

import pytest

from exchange.wsgi import BODY_IDLE
from tests.sync import harness
from tests.sync.fixtures import exchange, tokens  # noqa: F401


def _slow_post(url: str) -> socket.socket:
    """A POST that declares 100 bytes of body and sends one."""
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=BODY_IDLE + 10)
    s.sendall(
        b"POST /prescriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n"
        b"Content-Type: application/fhir+json\r\nContent-Length: 100\r\n\r\n{"
    )
    return s


def _status(s: socket.socket) -> int | None:
    got = b""
    while b"\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/") else None


def _metadata_seconds(url: str) -> float:
    u = urllib.parse.urlsplit(url)
    start = time.monotonic()
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(b"GET /metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _status(s) == 200
    return time.monotonic() - start


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tokens):  # noqa: F811
    ex = harness.ProcessExchange(
        tmp_path_factory.mktemp("slow") / "exchange", tokens.trust_list, extra=("--workers", "2")
    ).start()
    yield ex
    ex.stop()


def test_slow_bodies_do_not_stall_the_exchange_and_are_answered_408(served) -> None:
    slow = [_slow_post(served.url) for _ in range(8)]
    try:
        time.sleep(0.5)
        for _ in range(3):
            assert _metadata_seconds(served.url) < 2.0
        start = time.monotonic()
        assert [_status(s) for s in slow] == [408] * 8
        assert time.monotonic() - start < BODY_IDLE + 5
    finally:
        for s in slow:
            s.close()
    assert _metadata_seconds(served.url) < 2.0


def test_the_in_process_server_times_a_slow_body_out_too(exchange) -> None:  # noqa: F811
    s = _slow_post(exchange.url)
    try:
        start = time.monotonic()
        assert _status(s) == 408
        assert time.monotonic() - start < BODY_IDLE + 5
    finally:
        s.close()
