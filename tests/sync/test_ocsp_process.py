"""The OCSP responder of `noskhe exchange serve` as its own process on loopback: started with the dev CA's key
found beside the trust list, a certificate revoked with `noskhe exchange revoke`, the verdict read back over
HTTP (POST and GET) — and when the process is gone, the CRL decides."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding

from app.certificate_status import StatusSource, Verdict
from smartcard.ocsp import build_request, read_response
from smartcard.status import StatusChecker
from smartcard.trustlist import TrustList
from sync.ocsp import OcspClient
from tests.sync import harness


@pytest.fixture
def served(tmp_path, tokens):
    ex = harness.ProcessExchange(tmp_path / "exchange", tokens.trust_list).start()
    yield ex
    ex.stop()


def test_the_served_exchange_answers_ocsp_and_revokes_from_the_command_line(served, tokens, tmp_path) -> None:
    trust = TrustList.from_file(tokens.trust_list)
    gp, pharmacist = tokens.certificates["noskhe-gp"], tokens.certificates["noskhe-pharmacist"]
    checker = StatusChecker(OcspClient.for_exchange(served.url), remember=dt.timedelta(0))
    assert (checker.status(gp, trust).verdict, checker.status(gp, trust).source) == (
        Verdict.GOOD,
        StatusSource.OCSP,
    )

    pem = tmp_path / "gp.pem"
    pem.write_bytes(gp.public_bytes(Encoding.PEM))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "exchange",
            "revoke",
            "--data",
            str(served.data),
            "--certificate",
            str(pem),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(harness.ROOT)},
        check=False,
    )
    assert done.returncode == 0 and "revoked at the exchange's OCSP responder" in done.stdout, done.stderr
    revoked = checker.status(gp, trust)
    assert (revoked.verdict, revoked.source) == (Verdict.REVOKED, StatusSource.OCSP)
    assert checker.status(pharmacist, trust).verdict is Verdict.GOOD

    request, _ = build_request(gp, tokens.ca_cert)  # RFC 6960 A.1: the request in the URL, no nonce
    answer = requests.get(served.url + "/ocsp/" + base64.b64encode(request).decode(), timeout=5)
    assert answer.headers["Content-Type"] == "application/ocsp-response"
    got = read_response(answer.content, gp, tokens.ca_cert, nonce=None, now=revoked.at)  # type: ignore[arg-type]
    assert got.verdict is Verdict.REVOKED

    served.stop()  # the exchange and its responder are gone: the CRL decides, and says why
    offline = checker.status(gp, trust)
    assert (offline.verdict, offline.source) == (
        Verdict.GOOD,
        StatusSource.CRL,
    ) and "did not answer" in offline.note
