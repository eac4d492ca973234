"""A token pulled out: the session locks at once and nothing half-signed comes out.

SoftHSM2 never empties its slots, so removal is simulated over the real library (`faults.Faulty`).
"""

from __future__ import annotations

import time

import pkcs11
import pytest

from app.signing import SignatureRole as R
from smartcard.config import SOFTHSM_MODULE
from smartcard.documents import DocumentKind, sign_document
from smartcard.errors import LoginRequired, TokenError, TokenRemoved
from smartcard.signer import TokenSigner
from smartcard.tokens import Pkcs11Module
from tests.smartcard.conftest import PIN
from tests.smartcard.faults import Faults, Faulty


def _faulty(module: Pkcs11Module) -> tuple[Pkcs11Module, Faults]:
    faults = Faults()
    return Pkcs11Module(
        SOFTHSM_MODULE, lib=Faulty(module.thread.run(lambda: module.lib), faults), config=module.config
    ), faults


@pytest.mark.parametrize(
    "label,error", [("rm-1", pkcs11.DeviceRemoved), ("rm-2", pkcs11.SessionHandleInvalid)]
)
def test_removal_mid_signature_locks_and_signs_nothing(module, trust, label, error):
    wrapped, faults = _faulty(module)
    session = wrapped.session(label)
    session.login(PIN)
    events = []
    session.add_listener(lambda s, event, reason: events.append((event, reason)))
    signer = TokenSigner(session, R.PRESCRIBER, trust)
    assert signer.sign(b"before").cms
    faults.sign_error = error
    result = None
    with pytest.raises(TokenError) as err:
        result = signer.sign(b"during")
    assert result is None and isinstance(err.value, (TokenRemoved, LoginRequired))
    assert session.state.value == "locked" and ("locked", "removed") in events
    with pytest.raises(LoginRequired):  # the token is still there: the PIN must be entered again
        signer.sign(b"after")
    session.login(PIN)
    assert trust.verify(b"again", signer.sign(b"again").cms)
    wrapped.close()


def test_monitor_sees_the_token_go_and_come_back(module, trust):
    wrapped, faults = _faulty(module)
    session = wrapped.session("rm-3")
    session.login(PIN)  # starts the monitor (polling every 0.1 s here)
    events = []
    session.add_listener(lambda s, event, reason: events.append(event))
    faults.hidden.add("rm-3")
    _wait(lambda: session.state.value == "locked")
    assert "locked" in events and "absent" in events
    with pytest.raises(TokenRemoved):
        TokenSigner(session, R.PRESCRIBER, trust).sign(b"doc")
    with pytest.raises(TokenRemoved):
        session.login(PIN)
    faults.hidden.clear()
    _wait(lambda: "present" in events)
    with pytest.raises(LoginRequired):
        TokenSigner(session, R.PRESCRIBER, trust).sign(b"doc")
    session.login(PIN)
    assert TokenSigner(session, R.PRESCRIBER, trust).sign(b"doc").cms
    wrapped.close()


def test_a_prescription_interrupted_by_removal_gets_no_signature(module, trust, devtokens):
    from smartcard.p12 import P12Signer

    wrapped, faults = _faulty(module)
    session = wrapped.session("rm-4")
    session.login(PIN)
    facility = P12Signer(devtokens.p12("noskhe-clinic"), "demo-clinic", trust)
    faults.sign_error = pkcs11.DeviceRemoved
    signatures = None
    with pytest.raises(TokenError):
        signatures = sign_document(
            {"id": "rx-9"}, [TokenSigner(session, R.PRESCRIBER, trust), facility], DocumentKind.PRESCRIPTION
        )
    assert signatures is None
    wrapped.close()


def test_token_pulled_out_while_signing_a_prescription_keeps_it_unsigned_and_unqueued(
    module, trust, devtokens, store
):
    """The whole path a GP takes: the draft survives, nothing is queued, and it signs once the PIN is back."""
    from app.domain import Prescriber
    from app.lifecycle import RxState
    from app.services.outbox import Outbox
    from app.prompter import FixedPrompter
    from app.services.prescribing import ItemRequest, sign_and_queue, write_prescription
    from app.workstation import Workstation
    from smartcard.p12 import P12Signer
    from tests.conftest import make_patient

    wrapped, faults = _faulty(module)
    session = wrapped.session("rm-5")
    session.login(PIN)
    signers = [
        TokenSigner(session, R.PRESCRIBER, trust),
        P12Signer(devtokens.p12("noskhe-clinic"), "demo-clinic", trust),
    ]
    ws = Workstation(store, FixedPrompter())
    ws.use_signers(*signers)
    faults.sign_error = pkcs11.DeviceRemoved
    with pytest.raises(TokenError):
        write_prescription(
            ws,
            patient=make_patient(),
            prescriber=Prescriber("دکتر سارا احمدی", "123456"),
            items=[ItemRequest("101002", 10, "هر ۸ ساعت")],
        )
    (draft,) = store.find_prescriptions()
    assert draft.state is RxState.DRAFT and store.prescription_signatures(draft.id) == []
    assert sum(Outbox(store).counts().values()) == 0
    faults.sign_error = None
    session.login(PIN)  # the token is back and the PIN entered again
    signed = sign_and_queue(ws, draft, action="prescription.sign")
    assert signed.state is RxState.QUEUED and len(store.prescription_signatures(draft.id)) == 2
    assert Outbox(store).counts().get("pending", 0) >= 1
    wrapped.close()


def _wait(condition, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)
