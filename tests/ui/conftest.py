import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from exchange import devworld
from tests.sync import harness
from tests.sync.fixtures import tokens  # noqa: F401


@pytest.fixture
def clinic_store(tmp_path, tokens, monkeypatch):  # noqa: F811
    """A clinic's real SQLCipher store signing with the TEST GP's and clinic's PKCS#12 files.

    The GP's passphrase comes from the environment; the facility seal's is asked (`FacilityPassphraseDialog`)."""
    store = harness.new_store(tmp_path / "clinic", devworld.CLINIC, tokens)
    store.set_meta("signing.user_p12", str(tokens.p12(devworld.CLINIC.user_token)))
    store.set_meta("signing.facility_p12", str(tokens.p12(devworld.CLINIC.facility_token)))
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES[devworld.CLINIC.user_token])
    for name in ("NOSKHE_FACILITY_P12_PASSPHRASE", "NOSKHE_FACILITY_P12", "NOSKHE_TRUST_LIST"):
        monkeypatch.delenv(name, raising=False)
    yield store
    store.close()


@pytest.fixture
def seal_passphrase(monkeypatch):
    """What the replaced facility passphrase dialog answers; tests may change `answer[0]`."""
    from ui.prescribe import FacilityPassphraseDialog

    answer = [devworld.P12_PASSPHRASES[devworld.CLINIC.facility_token]]
    monkeypatch.setattr(FacilityPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: answer[0]))
    return answer
