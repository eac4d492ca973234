"""Facility authentication: a signed login buys a bearer token; anything else is refused."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import requests

from app.canonical import canonical_bytes
from sync.client import ExchangeRefused
from tests.sync import harness


def _claim(siam: str, nonce: str, when: dt.datetime | None = None) -> bytes:
    when = when or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return canonical_bytes({"siam": siam, "nonce": nonce, "issuedAt": when.isoformat()})


def _login(
    url: str,
    signer,
    siam: str,
    *,
    nonce: str = "n1",
    when: dt.datetime | None = None,
    body: bytes | None = None,
):
    claim = _claim(siam, nonce, when)
    cms = signer(claim) if callable(signer) else signer.sign(claim).cms
    return requests.post(
        url + "/auth/token",
        data=body or claim,
        timeout=10,
        headers={"X-Noskhe-Signature": base64.b64encode(cms).decode()},
    )


def _raw_p12_signer(tokens, label: str):
    """Signs with the key file whatever its certificate (our own signers refuse untrusted certificates)."""
    from pyhanko.sign.signers import SimpleSigner

    from exchange import devworld
    from smartcard.cms import sign_detached

    simple = SimpleSigner.load_pkcs12(
        str(tokens.p12(label)), passphrase=devworld.P12_PASSPHRASES[label].encode()
    )
    return lambda data: sign_detached(
        simple, data, signing_time=dt.datetime.now(dt.UTC).replace(microsecond=0)
    )


def test_unauthenticated_calls_are_refused(exchange) -> None:
    for method, path in (
        ("GET", "/prescriptions?hid=1"),
        ("POST", "/prescriptions"),
        ("POST", "/batch"),
        ("GET", "/reference/catalog"),
        ("GET", "/ttac/1234567890123456"),
    ):
        r = requests.request(method, exchange.url + path, json={}, timeout=10)
        assert r.status_code == 401, path
        assert r.json()["issue"][0]["details"]["coding"][0]["code"] == "unauthenticated"
    r = requests.get(
        exchange.url + "/prescriptions?hid=1", headers={"Authorization": "Bearer made-up"}, timeout=10
    )
    assert r.status_code == 401
    assert requests.get(exchange.url + "/metadata", timeout=10).status_code == 200  # the probe needs no login


def test_a_registered_facility_logs_in_once_per_nonce(exchange, tokens) -> None:
    seal = harness.signer(tokens, "noskhe-clinic")
    r = _login(exchange.url, seal, "10000001")
    assert r.status_code == 200 and r.json()["facility"] == "10000001"
    token = r.json()["access_token"]
    ok = requests.get(
        exchange.url + "/reference/rules", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert ok.status_code == 200
    assert (
        _login(exchange.url, seal, "10000001").json()["issue"][0]["details"]["coding"][0]["code"] == "replay"
    )


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("unknown-facility", 403, "unknown-facility"),
        ("untrusted-ca", 401, "bad-signature"),
        ("claims-another-siam", 401, "wrong-certificate"),
        ("personal-certificate", 401, "wrong-certificate"),
        ("clock-off", 401, "clock-skew"),
        ("body-changed", 401, "bad-signature"),
    ],
)
def test_logins_that_are_refused(exchange, tokens, case: str, status: int, code: str) -> None:
    label, siam, when, body, raw = "noskhe-clinic", "10000001", None, None, False
    if case == "unknown-facility":
        label, siam = "noskhe-stranger", "30000004"
    elif case == "untrusted-ca":
        label, raw = "noskhe-forger", True
    elif case == "claims-another-siam":
        siam = "20000002"
    elif case == "personal-certificate":
        label = "noskhe-gp"
    elif case == "clock-off":
        when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    elif case == "body-changed":
        body = _claim(siam, "another nonce")
    sign = _raw_p12_signer(tokens, label) if raw else harness.signer(tokens, label)
    r = _login(exchange.url, sign, siam, nonce=case, when=when, body=body)
    assert r.status_code == status
    assert r.json()["issue"][0]["details"]["coding"][0]["code"] == code


def test_the_client_logs_in_by_itself_and_again_after_a_restart_forgets_tokens(
    exchange, clinic, clinic_client
) -> None:
    assert clinic_client.reference("rules")["version"]
    with exchange.server.db.write() as c:  # the tokens forgotten, as after the exchange lost its database
        c.execute("DELETE FROM auth_tokens")
    assert clinic_client.reference("rules")["version"]


def test_a_client_of_an_unknown_facility_gets_a_clear_error(exchange, tokens, clinic) -> None:
    client = harness.client_for(clinic, exchange.url, harness.signer(tokens, "noskhe-stranger"))
    client.siam = "30000004"
    with pytest.raises(ExchangeRefused) as info:
        client.search("hid", "1")
    assert info.value.status == 403 and "not registered" in info.value.en
