import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from exchange import devworld
from tests.sync import harness
from tests.sync.fixtures import tokens  # noqa: F401


@pytest.fixture
def clinic_ws(tmp_path, tokens, monkeypatch):  # noqa: F811
    """A clinic's workstation over a real SQLCipher store, signing with the TEST GP's and clinic's PKCS#12
    files, its secrets asked by the desktop's prompter: the GP's key passphrase (`KeyPassphraseDialog`,
    answered here) and the facility seal's (`FacilityPassphraseDialog`, see `seal_passphrase`)."""
    from app.workstation import Workstation
    from ui.i18n import Words
    from ui.prompter import KeyPassphraseDialog, QtPrompter

    store = harness.new_store(tmp_path / "clinic", devworld.CLINIC, tokens)
    harness.sign_with_p12(store, devworld.CLINIC, tokens)
    gp = devworld.P12_PASSPHRASES[devworld.CLINIC.user_token]
    monkeypatch.setattr(KeyPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: gp))
    for name in ("NOSKHE_FACILITY_P12_PASSPHRASE", "NOSKHE_FACILITY_P12", "NOSKHE_TRUST_LIST"):
        monkeypatch.delenv(name, raising=False)
    ws = Workstation(store, QtPrompter(Words("fa")))
    yield ws
    ws.close()


@pytest.fixture
def clinic_store(clinic_ws):
    return clinic_ws.store


@pytest.fixture
def seal_passphrase(monkeypatch):
    """What the replaced facility passphrase dialog answers; tests may change `answer[0]`."""
    from ui.prompter import FacilityPassphraseDialog

    answer = [devworld.P12_PASSPHRASES[devworld.CLINIC.facility_token]]
    monkeypatch.setattr(FacilityPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: answer[0]))
    return answer


@pytest.fixture
def ws(store):
    """A workstation over the plain test store (`tests.conftest.store`); it asks nothing."""
    from app.prompter import FixedPrompter
    from app.workstation import Workstation

    return Workstation(store, FixedPrompter())
