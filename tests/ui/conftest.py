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


# ---- real SoftHSM2 tokens in this process ----------------------------------------------------------------

UI_PIN = "246810"
SEAL_SECRET = "ui-clinic-seal"


def _ui_identities():
    from app.signing import SignatureRole as R
    from smartcard.devtoken import DevIdentity, national_code

    gp = [
        DevIdentity(
            f"ui-gp-{i}",
            R.PRESCRIBER,
            "آزمایشی دکتر سارا احمدی",
            "Physician",
            "MC-123456",
            national_code("001234567"),
            pin=UI_PIN,
        )
        for i in range(1, 7)
    ]
    seal = DevIdentity(
        "ui-clinic", R.FACILITY, "آزمایشی درمانگاه نمونه", "Facility", "SIAM-10000001",
        on_token=False, p12_passphrase=SEAL_SECRET,
    )  # fmt: skip
    seal_token = DevIdentity(
        "ui-seal", R.FACILITY, "آزمایشی درمانگاه نمونه", "Facility", "SIAM-10000001", pin=UI_PIN
    )  # fmt: skip
    return (*gp, seal, seal_token)


@pytest.fixture(scope="session")
def ui_tokens(tmp_path_factory):
    """GP tokens `ui-gp-1`…`ui-gp-6` (PIN `UI_PIN`) on SoftHSM2, the clinic's seal as a key file and on
    token `ui-seal`, from one TEST CA. SoftHSM2 reads its configuration when it is initialised: point it at these tokens (and
    back at the end), re-initialising it if another test package loaded it first."""
    import shutil

    import pkcs11

    from smartcard import devtoken
    from smartcard.config import SOFTHSM_MODULE
    from smartcard.tokens import TokenThread

    if not os.path.exists(SOFTHSM_MODULE) or not shutil.which("softhsm2-util"):
        pytest.skip("SoftHSM2 is not installed (apt install softhsm2)")
    made = devtoken.init(tmp_path_factory.mktemp("ui-tokens"), _ui_identities())
    saved = os.environ.get("SOFTHSM2_CONF")

    def point_at(conf):
        if conf is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = conf
        if SOFTHSM_MODULE in pkcs11._loaded:
            TokenThread.for_path(SOFTHSM_MODULE).run(pkcs11._loaded[SOFTHSM_MODULE].reinitialize)

    point_at(str(made.softhsm_conf))
    yield made
    point_at(saved)


@pytest.fixture
def token_module(ui_tokens, monkeypatch):
    """The PKCS#11 module the workstation loads, over the real SoftHSM2 library with a switch to pull a
    token out (`faults.hidden.add(label)`, as in tests/smartcard); presence polled every 0.1 s."""
    from smartcard.config import SOFTHSM_MODULE, SmartcardConfig
    from smartcard.tokens import Pkcs11Module
    from tests.smartcard.faults import Faults, Faulty

    config = SmartcardConfig(module_path=SOFTHSM_MODULE, poll_interval=0.1, pin_try_limit=3)
    shared = Pkcs11Module.load(config)
    faults = Faults()
    module = Pkcs11Module(
        SOFTHSM_MODULE, lib=Faulty(shared.thread.run(lambda: shared.lib), faults), config=config
    )
    monkeypatch.setattr(Pkcs11Module, "load", classmethod(lambda cls, config=None: module))
    yield module, faults
    module.close()


@pytest.fixture
def token_ws(tmp_path, ui_tokens, monkeypatch):
    """`token_ws(label)`: a clinic whose GP signs with SoftHSM2 token `label` and whose seal is a key file
    (its passphrase answered by the replaced facility passphrase dialog)."""
    from app.store import Store
    from app.workstation import Workstation
    from smartcard.trustlist import TrustList
    from ui.common.prompter import FacilityPassphraseDialog, QtPrompter
    from ui.i18n import Words

    for name in ("NOSKHE_FACILITY_P12", "NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL", "NOSKHE_TOKEN_LABEL"):
        monkeypatch.delenv(name, raising=False)
    made = []

    def make(label):
        monkeypatch.setattr(FacilityPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: SEAL_SECRET))
        store = Store.create(
            tmp_path / label, harness.PASSPHRASE, role="clinic", facility=devworld.CLINIC.siam,
            facility_name=devworld.CLINIC.name, kdf_log2_n=10,
        )  # fmt: skip
        TrustList.from_file(ui_tokens.trust_list).save(store)
        store.set_meta("signing.user_token", label)
        store.set_meta("signing.facility_p12", str(ui_tokens.p12("ui-clinic")))
        ws = Workstation(store, QtPrompter(Words("fa")))
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close()
