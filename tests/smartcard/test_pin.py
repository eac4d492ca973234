"""Wrong PINs: tries left, lock-out, and a PIN that never shows up anywhere.

Measured on SoftHSM2 2.6.1: after a wrong PIN it sets CKF_USER_PIN_COUNT_LOW (cleared by a good login), it
never sets FINAL_TRY or LOCKED and never locks. So the lock-out tested on it is Noskhe's own (stop at the
configured limit); the token-reported FINAL_TRY and LOCKED states are simulated over the real library.
"""

from __future__ import annotations

import logging
import pickle

import pytest
from pkcs11 import TokenFlag

from app.signing import SignatureRole
from smartcard.config import SOFTHSM_MODULE
from smartcard.errors import PinLocked, WrongPin
from smartcard.pins import Pin
from smartcard.signer import TokenSigner
from smartcard.tokens import Pkcs11Module
from tests.smartcard.conftest import PIN
from tests.smartcard.faults import Faults, Faulty

BAD = "999999"


def test_wrong_pin_says_how_many_tries_are_left(module):
    session = module.session("pin-1")
    with pytest.raises(WrongPin) as err:
        session.login(BAD)
    d = err.value.details
    assert d["tries_left"] == 2 and d["failures"] == 1 and d["limit"] == 3
    assert d["token_reports"] == "count-low"  # what SoftHSM2 sets after any failure
    assert "2 left" in err.value.en and "configured limit" in err.value.en
    assert session.state.value == "locked"


def test_noskhe_stops_at_the_limit_and_never_retries(module):
    session = module.session("pin-2")
    for _ in range(2):
        with pytest.raises(WrongPin):
            session.login(BAD)
    with pytest.raises(PinLocked) as err:
        session.login(BAD)
    assert err.value.details["by"] == "noskhe" and "restart" in err.value.en
    with pytest.raises(PinLocked):  # even the right PIN is not tried any more
        session.login(PIN)
    assert session.state.value == "locked"


def test_a_good_login_resets_the_count(module):
    session = module.session("pin-3")
    with pytest.raises(WrongPin):
        session.login(BAD)
    session.login(PIN)
    assert module.find_token("pin-3").pin_state() == "ok"
    session.lock()
    with pytest.raises(WrongPin) as err:
        session.login(BAD)
    assert err.value.details["failures"] == 1
    session.login(PIN)
    session.lock()


def _wrapped(module, flags: int) -> Pkcs11Module:
    faults = Faults()
    faults.extra_flags = flags
    return Pkcs11Module(
        SOFTHSM_MODULE, lib=Faulty(module.thread.run(lambda: module.lib), faults), config=module.config
    )


def test_token_reporting_final_try(module):
    from smartcard import pins

    session = _wrapped(module, TokenFlag.USER_PIN_FINAL_TRY).session("pin-4")
    with pytest.raises(PinLocked) as refused:  # the last try is not made without a confirmation
        session.login(BAD)
    assert refused.value.details["last_try"] and "one try left" in refused.value.en
    pins.allow_last_try(session.serial)
    with pytest.raises(WrongPin) as err:
        session.login(BAD)
    assert err.value.details["tries_left"] == 1 and "ONE try left" in err.value.en
    pins.forget_failures(session.serial)


def test_token_reporting_locked_is_refused_before_trying(module):
    faults = Faults()
    faults.extra_flags = TokenFlag.USER_PIN_LOCKED
    wrapped = Pkcs11Module(
        SOFTHSM_MODULE, lib=Faulty(module.thread.run(lambda: module.lib), faults), config=module.config
    )
    with pytest.raises(PinLocked) as err:
        wrapped.session("pin-4").login(PIN)
    assert err.value.details["by"] == "token" and "PUK" in err.value.en
    assert faults.opens == []


def test_pin_never_appears_in_logs_errors_or_reprs(module, trust, caplog):
    secret, wrong = PIN, "135791"
    caplog.set_level(logging.DEBUG)
    session = module.session("pin-5")
    with pytest.raises(WrongPin) as err:
        session.login(wrong)
    texts = [str(err.value), repr(err.value), err.value.fa, repr(err.value.details)]
    session.login(secret)
    sig = TokenSigner(session, SignatureRole.PRESCRIBER, trust).sign(b"doc")
    texts += [repr(session), repr(sig), repr(Pin(secret)), str(Pin(secret)), caplog.text]
    assert "logging in to token" in caplog.text  # the log did record the logins
    for text in texts:
        assert secret not in text and wrong not in text
    with pytest.raises(TypeError):
        pickle.dumps(Pin(secret))
    session.lock()
