"""The first run: with no store in the data directory, a wizard sets the workstation up instead of asking for
a passphrase that does not exist yet.

Pages, in order:

| page       | asks                                                                              |
|------------|-----------------------------------------------------------------------------------|
| facility   | the role (clinic or pharmacy), the facility's SIAM id (checked as typed), its name |
| tokens     | the PKCS#11 module (SoftHSM2, OpenSC for the national card, vendors' modules found |
|            | on the system, or a path), then the user's token and the facility's seal token,    |
|            | their labels read from that module                                                 |
| passphrase | the facility passphrase, twice                                                     |
| exchange   | the exchange's address, with a connection test                                     |

Finishing creates the workstation with `app.services.admin.init_workstation`, stores the choices with
`app.services.settings.configure` (exchange, tokens) and `configure_desktop` (the module), then opens it as
the unlock dialog would (`ui.common.unlock`). Reading a module's tokens, the connection test and the creation
run on a background thread; their results come back to the window by signal, so the window never freezes.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.errors import NoskheError
from app.identifiers import SiamId
from app.store.db import DB_NAME, KEY_NAME, ROLES
from ui.i18n import Words

if TYPE_CHECKING:
    from app.signing import Signer
    from app.workstation import Workstation

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
OPENSC_MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
#: where PKCS#11 modules are installed on Debian-like systems and by vendors' installers
MODULE_DIRS = (
    "/usr/lib",
    "/usr/lib64",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu/pkcs11",
    "/usr/lib/pkcs11",
    "/usr/local/lib",
    "/usr/local/lib64",
    "/opt/*/lib",
    "/opt/*/lib64",
)
#: modules that are not tokens: PKCS#11 debugging proxies
NOT_TOKENS = ("spy",)
MIN_PASSPHRASE = 8
ERROR_STYLE = "color: #b00020"
OK_STYLE = "color: #1b5e20"
NEW_PASSPHRASE = "store-new"


def needs_first_run(data_dir: Path) -> bool:
    """True when `data_dir` holds neither a store nor a key file: nothing to unlock yet. A key file or a
    database alone is a damaged store for the unlock dialog to report, never a reason to start afresh."""
    return not (Path(data_dir) / DB_NAME).exists() and not (Path(data_dir) / KEY_NAME).exists()


# ---- what the wizard finds and does (no widgets) ---------------------------------------------------------


@dataclass(frozen=True)
class ModuleChoice:
    """A PKCS#11 module offered: `kind` softhsm | opensc | vendor, its file's `path`."""

    kind: str
    path: str

    def label(self, words: Words) -> str:
        """How the module is named in the list, in the window's language."""
        names = {
            "softhsm": ("SoftHSM2 (توکن آزمایشی)", "SoftHSM2 (test tokens)"),
            "opensc": ("OpenSC (کارت ملی هوشمند)", "OpenSC (national ID card)"),
            "vendor": ("توکن سازنده", "Vendor token"),
        }
        fa, en = names.get(self.kind, names["vendor"])
        return f"{words.pick(fa, en)} — {self.path}"


def detect_modules(
    dirs: Sequence[str] = MODULE_DIRS, *, softhsm: str = SOFTHSM_MODULE, opensc: str = OPENSC_MODULE
) -> list[ModuleChoice]:
    """The PKCS#11 modules present: the one `$NOSKHE_PKCS11_MODULE` names, OpenSC (the national card) at its
    Debian path, every other `*pkcs11*.so` in `dirs` (glob patterns allowed), and SoftHSM2 (test tokens)
    last; one entry per real file, debugging proxies left out. An empty list when none is installed."""
    found: list[ModuleChoice] = []
    seen: set[str] = set()

    def add(kind: str, path: str) -> None:
        real = os.path.realpath(path)
        if os.path.isfile(path) and real not in seen:
            seen.add(real)
            found.append(ModuleChoice(kind, path))

    def kind_of(path: str) -> str:
        name = os.path.basename(path)
        return "softhsm" if "softhsm" in name else "opensc" if "opensc" in name else "vendor"

    configured = os.environ.get("NOSKHE_PKCS11_MODULE")
    if configured:  # what the clinic's IT person named (e.g. in /etc/environment) comes first
        add(kind_of(configured), configured)
    add("opensc", opensc)
    for pattern in dirs:
        for directory in sorted(glob.glob(pattern)):
            for path in sorted(glob.glob(os.path.join(directory, "*pkcs11*.so"))):
                name = os.path.basename(path)
                if any(word in name for word in NOT_TOKENS):
                    continue
                add(kind_of(path), path)
    add("softhsm", softhsm)  # the test tokens last: a clinic's card or token is the one to offer first
    return found


def token_labels(module_path: str) -> list[str]:
    """The labels of the tokens present in the PKCS#11 module at `module_path` (`smartcard.tokens`), in
    slot order. Raises `ModuleUnavailable` (no such module, or it does not load) or a token error."""
    from smartcard.config import SmartcardConfig
    from smartcard.tokens import Pkcs11Module

    config = SmartcardConfig.from_env({**os.environ, "NOSKHE_PKCS11_MODULE": module_path})
    return [t.label for t in Pkcs11Module.load(config).tokens()]


def url_problem(url: str) -> tuple[str, str] | None:
    """Why `url` cannot be the exchange's address, as (en, fa); None when it can (or is empty: the
    workstation then works offline until one is set in Settings)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            "The exchange's address must start with https:// (or http://) and name a server.",
            "نشانی سامانهٔ تبادل باید با https://‎ (یا http://‎) آغاز شود و نام سرور را داشته باشد.",
        )
    return None


def probe_exchange(url: str, timeout: float = 3.0) -> bool:
    """Whether the exchange at `url` answers its unauthenticated metadata call within `timeout` seconds
    (`sync.client.ExchangeClient.probe`). Never raises for a network failure: False. Blocks: call it off
    the UI thread."""
    from sync.client import ExchangeClient

    # the metadata call signs nothing: no seal is needed (there is none yet)
    client = ExchangeClient(
        url,
        cast("Signer", None),
        siam="",
        timeout=(timeout, timeout),
        verify=os.environ.get("NOSKHE_EXCHANGE_CA") or True,
    )
    return client.probe(timeout)


@dataclass(frozen=True)
class FirstRunAnswers:
    """What the wizard gathered. `role` clinic | pharmacy; `facility` the SIAM id as typed (any digits);
    empty strings for what was left unset."""

    role: str
    facility: str
    facility_name: str
    module: str
    user_token: str
    facility_token: str
    passphrase: str
    exchange_url: str


def create_workstation(data_dir: Path, answers: FirstRunAnswers) -> dict[str, str]:
    """Create the workstation in `data_dir` from `answers` (`init_workstation`) and store its settings
    (`configure`, `configure_desktop`); returns every setting as stored. Raises `StoreError` (a store is
    already there, the role or SIAM id is invalid, the directory cannot be written) or `ConfigError`."""
    from app.prompter import FixedPrompter
    from app.services.admin import init_workstation
    from app.services.settings import configure, configure_desktop
    from app.workstation import Workstation

    init_workstation(
        data_dir,
        FixedPrompter(passphrases={NEW_PASSPHRASE: answers.passphrase}),
        role=answers.role,
        facility=answers.facility,
        facility_name=answers.facility_name,
    )
    with Workstation.open(data_dir, FixedPrompter(passphrases={"store": answers.passphrase})) as ws:
        stored = configure(
            ws,
            {
                "exchange.url": answers.exchange_url or None,
                "signing.user_token": answers.user_token or None,
                "signing.facility_token": answers.facility_token or None,
            },
        )
        return {**stored, **configure_desktop(ws, {"smartcard.module": answers.module or None})}


# ---- background work --------------------------------------------------------------------------------


class Background(QObject):
    """Runs one function at a time per call on a daemon thread; `done(tag, result, error)` arrives on the
    UI thread (a queued signal). `tag` lets the receiver drop answers it no longer waits for."""

    done = Signal(object, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def start(self, tag: object, work: Callable[[], object]) -> None:
        """Run `work()` off the UI thread; its result or exception comes back with `tag`."""

        def run() -> None:
            result: object = None
            error: BaseException | None = None
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - every failure is shown on the page, none is lost
                error = exc
            try:
                self.done.emit(tag, result, error)
            except RuntimeError:  # the wizard is gone
                pass

        threading.Thread(target=run, name="noskhe-first-run", daemon=True).start()


def _message(words: Words, exc: BaseException) -> str:
    if isinstance(exc, NoskheError):
        return exc.message(words.lang)
    return words.pick(f"خطا: {type(exc).__name__}", f"Error: {type(exc).__name__}: {exc}")


def _error_label() -> QLabel:
    label = QLabel(wordWrap=True)
    label.setStyleSheet(ERROR_STYLE)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


# ---- pages ----------------------------------------------------------------------------------------------


class FacilityPage(QWizardPage):
    """Role, SIAM id (Next stays disabled with the reason shown while it is not valid), facility name."""

    def __init__(self, words: Words) -> None:
        super().__init__()
        self.w = words
        self.setTitle(words.pick("مرکز", "Facility"))
        self.setSubTitle(
            words.pick(
                "این رایانه در کدام مرکز کار می‌کند؟ شناسهٔ سیام روی پروانهٔ مرکز آمده است.",
                "Which facility does this computer work for? The SIAM id is on the facility's licence.",
            )
        )
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(words.pick(*_ROLE_NAMES[role]), role)
        self.siam = QLineEdit()
        self.siam.setPlaceholderText(words.pick("۸ رقم", "8 digits"))
        self.name = QLineEdit()
        self.error = _error_label()
        form = QFormLayout(self)
        form.addRow(words.pick("نقش", "Role"), self.role)
        form.addRow(words.pick("شناسهٔ سیام مرکز", "Facility SIAM id"), self.siam)
        form.addRow(words.pick("نام مرکز", "Facility name"), self.name)
        form.addRow(self.error)
        self.siam.textChanged.connect(self._check)
        self._check()

    def siam_problem(self) -> str | None:
        """Why the SIAM id as typed is not valid, in the window's language; None when it is."""
        text = self.siam.text().strip()
        if not text:
            return ""  # nothing typed yet: not complete, nothing to scold
        try:
            SiamId.parse(text)
        except NoskheError as exc:
            return exc.message(self.w.lang)
        return None

    def _check(self) -> None:
        problem = self.siam_problem()
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # Qt's name
        """Next is enabled only with a valid SIAM id."""
        return self.siam_problem() is None

    @property
    def chosen_role(self) -> str:
        """`clinic` or `pharmacy`."""
        return str(self.role.currentData())


_ROLE_NAMES = {"clinic": ("مطب / درمانگاه", "Clinic"), "pharmacy": ("داروخانه", "Pharmacy")}


class TokensPage(QWizardPage):
    """The PKCS#11 module (found on the system, or a path typed) and, read from it in the background, the
    tokens present: the user's and the facility seal's."""

    def __init__(
        self,
        words: Words,
        background: Background,
        modules: Sequence[ModuleChoice],
        list_tokens: Callable[[str], list[str]],
    ) -> None:
        super().__init__()
        self.w, self.background, self.list_tokens = words, background, list_tokens
        self.setTitle(words.pick("توکن و کارت هوشمند", "Tokens and smart cards"))
        self.setSubTitle(
            words.pick(
                "ماژول کارت یا توکن را برگزینید و توکن خود را وصل کنید. می‌توانید این را بعداً در تنظیمات انجام دهید.",
                "Choose the card's or token's module and plug your token in. You can also do this later in"
                " Settings.",
            )
        )
        self.module = QComboBox()
        for choice in modules:
            self.module.addItem(choice.label(words), choice.path)
        self.module.addItem(words.pick("مسیر دیگر…", "Another path…"), "")
        self.path = QLineEdit()
        self.path.setPlaceholderText("/usr/lib/…/…pkcs11.so")
        self.refresh = QPushButton(words.pick("خواندن توکن‌ها", "Read tokens"))
        self.user_token = QComboBox(editable=True)
        self.facility_token = QComboBox(editable=True)
        self.status = QLabel(wordWrap=True)
        self.error = _error_label()
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.refresh)
        form = QFormLayout(self)
        form.addRow(words.pick("ماژول PKCS#11", "PKCS#11 module"), self.module)
        form.addRow(words.pick("مسیر ماژول", "Module path"), row)
        form.addRow(words.pick("توکن کاربر", "Your token"), self.user_token)
        form.addRow(words.pick("توکن مهر مرکز", "Facility seal token"), self.facility_token)
        form.addRow(self.status)
        form.addRow(self.error)
        self._asked = 0
        self.labels: list[str] = []
        self.module.currentIndexChanged.connect(self._module_chosen)
        self.refresh.clicked.connect(self.read_tokens)
        self.path.returnPressed.connect(self.read_tokens)
        background.done.connect(self._answered)
        if not modules:
            self.status.setText(
                words.pick(
                    "ماژولی پیدا نشد: برای کارت ملی OpenSC را نصب کنید (opensc-pkcs11) یا مسیر ماژول سازنده را بنویسید.",
                    "No module found: install OpenSC for the national card (opensc-pkcs11) or type your vendor"
                    " module's path.",
                )
            )
        self._module_chosen()

    def _module_chosen(self) -> None:
        path = str(self.module.currentData() or "")
        self.path.setText(path)
        if path:
            self.read_tokens()

    def read_tokens(self) -> None:
        """Read the labels of the tokens present in the module at the path shown, off the UI thread."""
        path = self.path.text().strip()
        self.error.clear()
        if not path:
            return
        self._asked += 1
        self.refresh.setEnabled(False)
        self.status.setText(self.w.pick("در حال خواندن توکن‌ها…", "Reading tokens…"))
        self.background.start(("tokens", self._asked), lambda: self.list_tokens(path))

    def _answered(self, tag: object, result: object, error: object) -> None:
        if not (isinstance(tag, tuple) and tag[0] == "tokens"):
            return
        if tag[1] != self._asked:
            return  # an older question: the module changed since
        self.refresh.setEnabled(True)
        if isinstance(error, BaseException):
            self.labels = []
            self.status.clear()
            self.error.setText(_message(self.w, error))
            return
        self.labels = list(cast("list[str]", result))
        for combo, keep in ((self.user_token, 0), (self.facility_token, 1)):
            typed = combo.currentText()
            combo.clear()
            combo.addItems(self.labels)
            if typed and typed in self.labels:
                combo.setCurrentText(typed)
            elif len(self.labels) > keep:
                combo.setCurrentIndex(keep)
            else:
                combo.setCurrentText(typed)
        if self.labels:
            self.status.setText(self.w.pick("توکن‌های وصل: ", "Tokens present: ") + "، ".join(self.labels))
        else:
            self.status.setText(self.w.pick("توکنی وصل نیست.", "No token is plugged in."))

    @property
    def busy(self) -> bool:
        """True while tokens are being read."""
        return not self.refresh.isEnabled()


class PassphrasePage(QWizardPage):
    """The facility passphrase, twice; Next stays disabled until both agree and it is long enough."""

    def __init__(self, words: Words) -> None:
        super().__init__()
        self.w = words
        self.setTitle(words.pick("گذرواژهٔ مرکز", "Facility passphrase"))
        self.setSubTitle(
            words.pick(
                "داده‌های این رایانه با این گذرواژه رمز می‌شوند. بدون آن داده‌ها بازیابی نمی‌شوند.",
                "This computer's data is encrypted under this passphrase. Without it the data cannot be"
                " recovered.",
            )
        )
        self.first = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.second = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.error = _error_label()
        form = QFormLayout(self)
        form.addRow(words.pick("گذرواژه", "Passphrase"), self.first)
        form.addRow(words.pick("تکرار گذرواژه", "Again"), self.second)
        form.addRow(self.error)
        self.first.textChanged.connect(self._check)
        self.second.textChanged.connect(self._check)
        self._check()

    def problem(self) -> str | None:
        """Why the passphrase cannot be used yet ("" when nothing is typed); None when it can."""
        a, b = self.first.text(), self.second.text()
        if not a and not b:
            return ""
        if len(a) < MIN_PASSPHRASE:
            return self.w.pick(
                f"گذرواژه دست‌کم {MIN_PASSPHRASE} نویسه باشد.", f"Use at least {MIN_PASSPHRASE} characters."
            )
        if a != b:
            return self.w.pick("دو گذرواژه یکی نیستند.", "The two passphrases differ.")
        return None

    def _check(self) -> None:
        problem = self.problem()
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # Qt's name
        """Next is enabled once both fields agree and are long enough."""
        return self.problem() is None


class ExchangePage(QWizardPage):
    """The exchange's address and a connection test that runs in the background."""

    def __init__(self, words: Words, background: Background, probe: Callable[[str], bool]) -> None:
        super().__init__()
        self.w, self.background, self.probe = words, background, probe
        self.setTitle(words.pick("سامانهٔ تبادل", "Exchange"))
        self.setSubTitle(
            words.pick(
                "نشانی سامانهٔ تبادل نسخهٔ الکترونیک. بی‌نشانی، کارها در صف می‌مانند تا نشانی در تنظیمات داده شود.",
                "The e-prescription exchange's address. Without one, work stays queued until it is set in"
                " Settings.",
            )
        )
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://…")
        self.test_button = QPushButton(words.pick("آزمون اتصال", "Test connection"))
        self.result = QLabel(wordWrap=True)
        self.error = _error_label()
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(self.test_button)
        form = QFormLayout(self)
        form.addRow(words.pick("نشانی", "Address"), row)
        form.addRow(self.result)
        form.addRow(self.error)
        self._asked = 0
        self.outcome: bool | None = None
        self.url.textChanged.connect(self._check)
        self.test_button.clicked.connect(self.test_connection)
        background.done.connect(self._answered)
        self._check()

    def problem(self) -> str | None:
        """Why the address cannot be used, in the window's language; None when it can (or is empty)."""
        found = url_problem(self.url.text().strip())
        return self.w.pick(found[1], found[0]) if found else None

    def _check(self) -> None:
        problem = self.problem()
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
        self.test_button.setEnabled(bool(self.url.text().strip()) and problem is None and not self.testing)
        self._asked += 1  # a test of the old address no longer answers for this one
        self.outcome = None
        self.result.clear()
        self.completeChanged.emit()

    @property
    def testing(self) -> bool:
        """True while a connection test is under way."""
        return self.result.property("testing") is True

    def test_connection(self) -> None:
        """Ask the exchange at the address shown whether it answers, off the UI thread; the answer is
        shown when it comes (`outcome`: True, False, None while waiting)."""
        url = self.url.text().strip()
        if not url or self.problem():
            return
        self._asked += 1
        self.outcome = None
        self.result.setProperty("testing", True)
        self.result.setStyleSheet("")
        self.result.setText(self.w.pick("در حال آزمون اتصال…", "Testing the connection…"))
        self.test_button.setEnabled(False)
        self.background.start(("probe", self._asked), lambda: self.probe(url))

    def _answered(self, tag: object, result: object, error: object) -> None:
        if not (isinstance(tag, tuple) and tag[0] == "probe"):
            return
        self.result.setProperty("testing", False)
        self.test_button.setEnabled(bool(self.url.text().strip()) and self.problem() is None)
        if tag[1] != self._asked:
            return  # the address changed while it was tested
        self.outcome = error is None and bool(result)
        if self.outcome:
            self.result.setStyleSheet(OK_STYLE)
            self.result.setText(self.w.pick("سامانهٔ تبادل پاسخ داد.", "The exchange answered."))
        else:
            self.result.setStyleSheet(ERROR_STYLE)
            self.result.setText(
                self.w.pick(
                    "سامانهٔ تبادل پاسخ نداد. نشانی و شبکه را بررسی کنید؛ می‌توانید بی‌اتصال ادامه دهید.",
                    "The exchange did not answer. Check the address and the network; you can go on offline.",
                )
            )

    def isComplete(self) -> bool:  # Qt's name
        """Finish is enabled with a usable address or none."""
        return self.problem() is None


# ---- the wizard ---------------------------------------------------------------------------------------------


class FirstRunWizard(QWizard):
    """Sets up a new workstation in `data_dir`; `workstation` is the opened one after Finish.

    `modules`, `list_tokens` and `probe` replace the module detection, the token reading and the connection
    test (defaults: `detect_modules()`, `token_labels`, `probe_exchange`)."""

    created = Signal()

    def __init__(
        self,
        data_dir: Path,
        words: Words,
        parent: QWidget | None = None,
        *,
        modules: Sequence[ModuleChoice] | None = None,
        list_tokens: Callable[[str], list[str]] = token_labels,
        probe: Callable[[str], bool] = probe_exchange,
    ) -> None:
        super().__init__(parent)
        self.data_dir, self.w = Path(data_dir), words
        self.workstation: Workstation | None = None
        self.background = Background(self)
        self.setWindowTitle(words.pick("راه‌اندازی نسخه", "Setting up Noskhe"))
        self.setMinimumWidth(620)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.NextButton, words.pick("بعدی", "Next"))
        self.setButtonText(QWizard.WizardButton.BackButton, words.pick("قبلی", "Back"))
        self.setButtonText(QWizard.WizardButton.FinishButton, words.pick("ساختن", "Create"))
        self.setButtonText(QWizard.WizardButton.CancelButton, words.pick("انصراف", "Cancel"))
        self.facility = FacilityPage(words)
        self.tokens = TokensPage(
            words, self.background, detect_modules() if modules is None else modules, list_tokens
        )
        self.passphrase = PassphrasePage(words)
        self.exchange = ExchangePage(words, self.background, probe)
        self.finish_error = _error_label()
        cast(QFormLayout, self.exchange.layout()).addRow(self.finish_error)
        for page in (self.facility, self.tokens, self.passphrase, self.exchange):
            self.addPage(page)
        self.background.done.connect(self._created)
        self._creating = False

    def answers(self) -> FirstRunAnswers:
        """What the pages hold now."""
        return FirstRunAnswers(
            role=self.facility.chosen_role,
            facility=self.facility.siam.text().strip(),
            facility_name=self.facility.name.text().strip(),
            module=self.tokens.path.text().strip(),
            user_token=self.tokens.user_token.currentText().strip(),
            facility_token=self.tokens.facility_token.currentText().strip(),
            passphrase=self.passphrase.first.text(),
            exchange_url=self.exchange.url.text().strip(),
        )

    def accept(self) -> None:
        """Finish: create the workstation off the UI thread; the wizard closes once it is open."""
        if self._creating:
            return
        self._creating = True
        self.finish_error.clear()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)
        answers = self.answers()
        self.setCursor(Qt.CursorShape.BusyCursor)
        self.background.start("create", lambda: create_workstation(self.data_dir, answers))

    def _created(self, tag: object, result: object, error: object) -> None:
        if tag != "create":
            return
        self._creating = False
        self.unsetCursor()
        self.button(QWizard.WizardButton.BackButton).setEnabled(True)
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        if isinstance(error, BaseException):
            self.finish_error.setText(_message(self.w, error))
            return
        try:
            self.workstation = self._open(self.answers().passphrase)
        except NoskheError as exc:
            self.finish_error.setText(exc.message(self.w.lang))
            return
        self.passphrase.first.clear()
        self.passphrase.second.clear()
        self.created.emit()
        super().accept()

    def _open(self, passphrase: str) -> Workstation:
        from app.workstation import Workstation
        from ui.common.prompter import QtPrompter

        prompter = QtPrompter(self.w)
        prompter.answer_next("store", passphrase)
        try:
            return Workstation.open(self.data_dir, prompter)
        finally:
            prompter.answer_next("store", None)

    @property
    def busy(self) -> bool:
        """True while the workstation is being created."""
        return self._creating

    @classmethod
    def ask(cls, data_dir: Path, words: Words, **options: Any) -> Workstation | None:
        """The new workstation, opened, or None if the user gave up. Tests replace this classmethod."""
        wizard = cls(data_dir, words, **options)
        return wizard.workstation if wizard.exec() == QWizard.DialogCode.Accepted else None


__all__ = [
    "FirstRunAnswers",
    "FirstRunWizard",
    "ModuleChoice",
    "create_workstation",
    "detect_modules",
    "needs_first_run",
    "probe_exchange",
    "token_labels",
    "url_problem",
]
