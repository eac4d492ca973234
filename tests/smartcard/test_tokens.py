"""Modules and tokens: loading, listing, one thread for all token I/O, PIN pads."""

from __future__ import annotations

import threading

import pytest

from smartcard.config import SOFTHSM_MODULE, SmartcardConfig
from smartcard.errors import ModuleUnavailable, PinRequired, TokenNotFound
from smartcard.tokens import Pkcs11Module
from tests.smartcard.conftest import PIN
from tests.smartcard.faults import Faults, Faulty


def test_lists_the_development_tokens(module):
    tokens = {t.label: t for t in module.tokens()}
    assert {"noskhe-gp", "noskhe-pharmacist", "noskhe-clinic", "noskhe-pharmacy"} <= set(tokens)
    gp = tokens["noskhe-gp"]
    assert gp.login_required and not gp.pin_pad and gp.serial and gp.manufacturer == "SoftHSM project"


def test_missing_module_is_a_clear_error(tmp_path):
    with pytest.raises(ModuleUnavailable, match="not found") as err:
        Pkcs11Module(str(tmp_path / "nowhere.so"))
    assert "NOSKHE_PKCS11_MODULE" in err.value.en


def test_broken_module_is_a_clear_error(tmp_path):
    fake = tmp_path / "broken.so"
    fake.write_bytes(b"this is not a shared library")
    with pytest.raises(ModuleUnavailable, match="could not be loaded"):
        Pkcs11Module(str(fake))


def test_config_from_env_defaults_and_errors():
    cfg = SmartcardConfig.from_env({})
    assert cfg.module_path == SOFTHSM_MODULE and cfg.pin_try_limit == 3
    assert (
        SmartcardConfig.from_env({"NOSKHE_PKCS11_MODULE": "/x/opensc-pkcs11.so"}).module_path
        == "/x/opensc-pkcs11.so"
    )
    from app.errors import ConfigError

    with pytest.raises(ConfigError):
        SmartcardConfig.from_env({"NOSKHE_PIN_TRY_LIMIT": "three"})


def test_unknown_token_label(module):
    with pytest.raises(TokenNotFound, match="no-such-token"):
        module.session("no-such-token")


def test_several_tokens_need_a_label(module):
    with pytest.raises(TokenNotFound, match="Several tokens"):
        module.find_token()


def test_every_token_call_runs_on_the_token_thread(module, devtokens, trust):
    from app.signing import SignatureRole
    from smartcard.signer import TokenSigner

    faults = Faults()
    wrapped = Pkcs11Module(
        SOFTHSM_MODULE, lib=Faulty(module.thread.run(lambda: module.lib), faults), config=module.config
    )
    session = wrapped.session("rm-5")
    session.login(PIN)
    done = []
    threads = [
        threading.Thread(
            target=lambda: done.append(TokenSigner(session, SignatureRole.PRESCRIBER, trust).sign(b"x"))
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 3
    names = {name for name, _ in faults.calls}
    assert {"get_slots", "open", "get_objects", "sign"} <= names
    assert {ident for _, ident in faults.calls} == {wrapped.thread._ident}
    with pytest.raises(AssertionError):
        wrapped.lib  # noqa: B018 — touching the library off the token thread is refused
    wrapped.close()


def test_pin_pad_logs_in_without_a_pin(module):
    faults = Faults()
    faults.pin_pad_pin = PIN  # what the user "types" on the reader
    wrapped = Pkcs11Module(
        SOFTHSM_MODULE, lib=Faulty(module.thread.run(lambda: module.lib), faults), config=module.config
    )
    session = wrapped.session("pad-gp")
    assert session.info.pin_pad
    session.login(None)
    assert faults.opens == ["pad"] and session.state.value == "ready"
    wrapped.close()


def test_no_pin_and_no_pin_pad(module):
    with pytest.raises(PinRequired):
        module.session("pin-5").login(None)


def test_a_second_login_in_the_process_is_refused_not_waved_through(module, session_of):
    from smartcard.errors import TokenError

    session_of("noskhe-gp")  # the shared module holds the process's login on this token
    other = Pkcs11Module(
        SOFTHSM_MODULE, lib=Faulty(module.thread.run(lambda: module.lib), Faults()), config=module.config
    )
    with pytest.raises(TokenError, match="already logged in"):
        other.session("noskhe-gp").login("not even the right PIN")
    assert session_of("noskhe-gp").state.value == "ready"
