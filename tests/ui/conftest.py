"""The desktop under pytest-qt, offscreen: real SQLCipher stores, real PKCS#12 signers over the TEST
identities (`exchange.devworld`), the reference exchange in a thread when a test needs it.

- `clinic_ws`: a clinic's workstation whose secrets are asked by the desktop's prompter; the GP logs in with
  the key file's passphrase (`GP_SECRET`) on the login screen, the facility seal's passphrase is answered by
  the replaced `FacilityPassphraseDialog` (`seal_passphrase`).
- `open_window(ws)`: the main window over it (closed and its lanes stopped at the end of the test).
- `logged_in(window)`: the GP logged in through the login screen.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from exchange import devworld
from tests.sync import harness
from tests.sync.fixtures import exchange, tokens  # noqa: F401

GP_SECRET = devworld.P12_PASSPHRASES[devworld.CLINIC.user_token]


@pytest.fixture
def clinic_ws(tmp_path, tokens, monkeypatch):  # noqa: F811
    from app.workstation import Workstation
    from ui.common.prompter import KeyPassphraseDialog, QtPrompter
    from ui.i18n import Words

    store = harness.new_store(tmp_path / "clinic", devworld.CLINIC, tokens)
    harness.sign_with_p12(store, devworld.CLINIC, tokens)
    monkeypatch.setattr(KeyPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: GP_SECRET))
    for name in (
        "NOSKHE_FACILITY_P12_PASSPHRASE",
        "NOSKHE_FACILITY_P12",
        "NOSKHE_TRUST_LIST",
        "NOSKHE_EXCHANGE_URL",
    ):
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
    from ui.common.prompter import FacilityPassphraseDialog

    answer = [devworld.P12_PASSPHRASES[devworld.CLINIC.facility_token]]
    monkeypatch.setattr(FacilityPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: answer[0]))
    return answer


@pytest.fixture
def ws(store):
    """A workstation over the plain test store (`tests.conftest.store`); it asks nothing."""
    from app.prompter import FixedPrompter
    from app.workstation import Workstation

    return Workstation(store, FixedPrompter())


@pytest.fixture(autouse=True)
def no_real_secret_dialogs(monkeypatch):
    """A secret dialog no test answers is closed at once (a real one would wait for a person)."""
    monkeypatch.setattr("ui.common.prompter._ask_secret", lambda *a: None)


@pytest.fixture
def open_window(qtbot, monkeypatch, seal_passphrase):
    """`open_window(ws, lang="fa")`: the main window, shown; its lanes are stopped after the test."""
    from ui.clinic.editor import PrescriptionEditor
    from ui.common.mainwindow import MainWindow
    from ui.i18n import Words
    from ui.main import setup_application

    monkeypatch.setattr(MainWindow, "confirm_quit", lambda self: True)
    monkeypatch.setattr(PrescriptionEditor, "confirm_discard", lambda self: True)
    made = []

    def make(ws, lang="fa"):
        setup_application(lang)
        window = MainWindow(ws, Words(lang))
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.shutdown()


@pytest.fixture
def logged_in(qtbot, seal_passphrase):
    """`logged_in(window, secret=GP_SECRET)`: log in on the login screen and wait for the seal."""

    def login(window, secret=GP_SECRET):
        window.login.secret.setText(secret)
        window.login.submit()
        qtbot.waitUntil(lambda: window.session.state == "in", timeout=15000)
        qtbot.waitUntil(lambda: window.session.seal_open, timeout=15000)
        return window

    return login
