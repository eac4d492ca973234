"""Real SoftHSM2 tokens with TEST identities, made once per test session by `smartcard.devtoken`.

Tokens whose PIN or session state a test changes are that test's alone (labels pin-*, rm-*, cli-*);
the demo tokens are logged in once and shared.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.signing import SignatureRole as R
from smartcard.config import SOFTHSM_MODULE

if not os.path.exists(SOFTHSM_MODULE):
    pytest.skip(
        f"SoftHSM2 module not installed at {SOFTHSM_MODULE} (apt install softhsm2)", allow_module_level=True
    )

from smartcard import devtoken
from smartcard.config import SmartcardConfig
from smartcard.devtoken import DevIdentity, national_code
from smartcard.tokens import Pkcs11Module, TokenThread
from smartcard.trustlist import TrustList

PINS = {
    "noskhe-gp": "111111",
    "noskhe-pharmacist": "222222",
    "noskhe-clinic": "333333",
    "noskhe-pharmacy": "444444",
}
PIN = "246810"  # every extra token's PIN
GP_CODE = national_code("001234567")


def _gp(label: str, **bend: object) -> DevIdentity:
    return DevIdentity(
        label, R.PRESCRIBER, "آزمایشی دکتر سارا احمدی", "Physician", "MC-123456", GP_CODE, pin=PIN, **bend
    )  # type: ignore[arg-type]


EXTRA = (
    *(_gp(f"pin-{i}") for i in range(1, 6)),
    *(_gp(f"rm-{i}") for i in range(1, 6)),
    _gp("cli-gp"),
    _gp("cli-pin"),
    _gp("pad-gp"),
    _gp("expired", valid_from_days=-400, valid_for_days=365),
    _gp("not-yet-valid", valid_from_days=10),
    _gp("revoked", revoked=True),
    _gp("untrusted", issuer="other"),
    _gp("encipher-only", usage="encipherment"),
)


@pytest.fixture(scope="session")
def devtokens(tmp_path_factory: pytest.TempPathFactory) -> devtoken.DevTokens:
    tokens = devtoken.init(tmp_path_factory.mktemp("devtokens"), devtoken.DEMO_IDENTITIES + EXTRA)
    saved = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(tokens.softhsm_conf)
    import pkcs11

    if SOFTHSM_MODULE in pkcs11._loaded:  # loaded earlier in this process: make it read our configuration
        TokenThread.for_path(SOFTHSM_MODULE).run(pkcs11._loaded[SOFTHSM_MODULE].reinitialize)
    yield tokens
    if saved is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = saved


@pytest.fixture(scope="session")
def module(devtokens: devtoken.DevTokens) -> Pkcs11Module:
    m = Pkcs11Module.load(SmartcardConfig(module_path=SOFTHSM_MODULE, pin_try_limit=3, poll_interval=0.1))
    yield m
    m.close()


@pytest.fixture(scope="session")
def trust(devtokens: devtoken.DevTokens) -> TrustList:
    return TrustList.from_file(devtokens.trust_list)


@pytest.fixture(scope="session")
def session_of(module: Pkcs11Module):
    """`session_of(label)`: the shared, logged-in session of a demo or extra token."""

    def get(label: str):
        s = module.session(label)
        s.login(PINS.get(label, PIN))
        return s

    return get


@pytest.fixture
def ca_dir(devtokens: devtoken.DevTokens) -> Path:
    return devtokens.directory


WRONG_PINS = ("999999", "000000", "135791", "not even the right PIN")


@pytest.fixture(autouse=True)
def _no_pin_in_any_log(caplog):
    """Every test here runs with all logging captured at DEBUG; no PIN, right or wrong, may be in it."""
    import logging

    caplog.set_level(logging.DEBUG)
    yield
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    text = "\n".join(logging.Formatter().format(r) for r in records)  # with any traceback
    for pin in (*PINS.values(), PIN, *WRONG_PINS):
        assert pin not in text, "a PIN reached the log"
