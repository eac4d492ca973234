"""The workstation asks through its prompter, and only when it must: the facility passphrase once at opening,
nothing for reading, the signing keys' passphrases or the tokens' PINs when something is signed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.errors import NoskheError
from app.prompter import FixedPrompter
from app.services.prescribing import ItemRequest, edit_prescription, write_prescription
from app.services.records import list_prescriptions, show_prescription
from app.signing import SignatureRole
from app.workstation import Workstation
from exchange import devworld
from tests.sync import harness
from tests.sync.fixtures import tokens  # noqa: F401

ITEMS = [ItemRequest("101002", 10, "هر ۸ ساعت")]


@pytest.fixture
def clinic_dir(tmp_path, tokens, monkeypatch):  # noqa: F811
    """A clinic's data directory whose settings name the TEST PKCS#12 files; the environment holds wrong
    secrets, so anything read from it instead of the prompter fails."""
    for name in ("NOSKHE_FACILITY_P12", "NOSKHE_TRUST_LIST", "NOSKHE_TOKEN_LABEL", "NOSKHE_FACILITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NOSKHE_PASSPHRASE", "NOSKHE_USER_P12_PASSPHRASE", "NOSKHE_FACILITY_P12_PASSPHRASE"):
        monkeypatch.setenv(name, "not this one")
    harness.new_workstation(tmp_path / "clinic", devworld.CLINIC, tokens).close()
    return tmp_path / "clinic"


def test_opening_asks_the_facility_passphrase_once_and_reading_asks_nothing_more(clinic_dir) -> None:
    with harness.open_workstation(clinic_dir, devworld.CLINIC) as ws:
        (rx,) = harness.write_many(ws, 1)
    prompter = harness.prompter_for(devworld.CLINIC)
    with Workstation.open(clinic_dir, prompter) as ws:
        assert prompter.asked == [("passphrase", "store")]
        assert [r.id for r in list_prescriptions(ws)] == [rx.id]
        record = show_prescription(ws, rx.id)
        assert record.prescription.id == rx.id and [r.op for r in record.outbox] == ["eligibility", "register"]
        assert ws.trust.ca_certificates and ws.role == "clinic"
        assert prompter.asked == [("passphrase", "store")]


def test_a_wrong_facility_passphrase_opens_nothing(clinic_dir) -> None:
    from app.errors import StoreError

    with pytest.raises(StoreError):
        Workstation.open(clinic_dir, FixedPrompter(passphrases={"store": "wrong passphrase"}))


def test_signing_asks_the_key_passphrases_through_the_prompter_once(clinic_dir) -> None:
    prompter = harness.prompter_for(devworld.CLINIC)
    with Workstation.open(clinic_dir, prompter) as ws:
        rx = write_prescription(ws, patient=harness.patients(1)[0], items=ITEMS)  # the prescriber: the GP's key
        assert rx.prescriber.medical_council_number == devworld.GP.medical_council_number
        asked = [("passphrase", "store"), ("passphrase", "user-p12"), ("passphrase", "facility-p12")]
        assert prompter.asked == asked
        edit_prescription(ws, rx.id, notes="v2")  # the keys stay open for the workstation's life
        assert prompter.asked == asked
        assert len(ws.store.signatures(rx.id, 2)) == 2  # version 2, prescriber and seal


def test_a_refused_seal_passphrase_saves_nothing(clinic_dir) -> None:
    prompter = harness.prompter_for(devworld.CLINIC)
    prompter.passphrases["facility-p12"] = "not the seal's"
    with Workstation.open(clinic_dir, prompter) as ws:
        with pytest.raises(NoskheError):
            write_prescription(ws, patient=harness.patients(1)[0], items=ITEMS)
        assert ws.store.find_prescriptions() == []
        prompter.passphrases["facility-p12"] = devworld.P12_PASSPHRASES[devworld.CLINIC.facility_token]
        assert write_prescription(ws, patient=harness.patients(1)[0], items=ITEMS).state.value == "queued"


def test_an_unknown_drug_is_refused_before_any_key_is_asked(clinic_dir) -> None:
    prompter = harness.prompter_for(devworld.CLINIC)
    with Workstation.open(clinic_dir, prompter) as ws:
        with pytest.raises(NoskheError):
            write_prescription(ws, patient=harness.patients(1)[0], items=[ItemRequest("000000", 1)])
    assert prompter.asked == [("passphrase", "store")]


def test_a_seal_on_a_token_is_logged_in_with_the_pin_the_prompter_gives(clinic_dir, monkeypatch) -> None:
    """The facility seal's PIN (purpose `facility`) comes from the prompter, not `$NOSKHE_FACILITY_PIN`."""
    import smartcard.signer
    import smartcard.tokens

    logins: list[str | None] = []
    session = SimpleNamespace(
        state=SimpleNamespace(value="locked"), info=SimpleNamespace(pin_pad=False), login=logins.append
    )
    monkeypatch.setattr(
        smartcard.tokens.Pkcs11Module,
        "load",
        classmethod(lambda cls, config: SimpleNamespace(session=lambda label: session)),
    )
    monkeypatch.setattr(smartcard.signer, "TokenSigner", lambda s, role, trust, **kw: SimpleNamespace(role=role))
    monkeypatch.setenv("NOSKHE_FACILITY_PIN", "999999")

    class Asked(FixedPrompter):
        purposes: list[str] = []

        def pin(self, token_label: str, *, pin_pad: bool, purpose: str = "user") -> str | None:
            self.purposes.append(purpose)
            return super().pin(token_label, pin_pad=pin_pad, purpose=purpose)

    prompter = Asked(pins={"clinic-seal": "123456"}, passphrases={"store": harness.PASSPHRASE})
    with Workstation.open(clinic_dir, prompter) as ws:
        ws.store.set_meta("signing.facility_p12", "")
        ws.store.set_meta("signing.facility_token", "clinic-seal")
        assert ws.seal().role is SignatureRole.FACILITY
        ws.seal()  # kept: not asked twice
    assert logins == ["123456"] and prompter.purposes == ["facility"]
    assert ("pin", "clinic-seal") in prompter.asked


def test_a_locked_token_is_logged_in_again_through_the_prompter(clinic_dir, monkeypatch) -> None:
    """The desktop's idle lock or a pulled-out token locks the session the workstation keeps: the next
    signature asks the PIN again through the prompter instead of failing for the rest of the day."""
    import smartcard.signer
    import smartcard.tokens

    logins: list[str | None] = []

    def login(pin: str | None) -> None:
        logins.append(pin)
        session.state.value = "ready"

    session = SimpleNamespace(
        label="gp-token", state=SimpleNamespace(value="locked"), info=SimpleNamespace(pin_pad=False), login=login
    )
    monkeypatch.setattr(
        smartcard.tokens.Pkcs11Module,
        "load",
        classmethod(lambda cls, config: SimpleNamespace(session=lambda label: session)),
    )
    monkeypatch.setattr(
        smartcard.signer,
        "TokenSigner",
        lambda s, role, trust, **kw: SimpleNamespace(role=role, session=s, trust=trust),
    )
    prompter = FixedPrompter(pins={"gp-token": "1234"}, passphrases={"store": harness.PASSPHRASE})
    with Workstation.open(clinic_dir, prompter) as ws:
        ws.store.set_meta("signing.user_p12", "")
        ws.store.set_meta("signing.user_token", "gp-token")
        first = ws.user_signer()
        assert ws.user_signer() is first and logins == ["1234"]  # logged in: not asked again
        session.state.value = "locked"  # idle lock, or the token was pulled out and put back
        assert ws.user_signer() is first
        assert logins == ["1234", "1234"]
        assert [a for a in prompter.asked if a[0] == "pin"] == [("pin", "gp-token"), ("pin", "gp-token")]
        # a refreshed trust list reaches the signer already open
        old = first.trust
        ws.forget_trust()
        assert first.trust is not old and first.trust is ws.trust
