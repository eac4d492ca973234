"""Settings: where the exchange is (with a connection test), the PKCS#11 module (with a token test) and
which token or key file signs, the printers, the facility, the passphrase, the idle lock, the language.

What the workstation reads is stored with `app.services.settings.configure` (the same as
`noskhe sync config`), what only the window reads with `configure_desktop`. A new exchange address takes
effect at once (the sync restarts); a new token or key file at the next login.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.settings import DESKTOP_SETTINGS, configure, configure_desktop
from app.workstation import SETTINGS
from ui.common.operations import Changes, Op
from ui.common.taskman import Lane

if TYPE_CHECKING:
    from app.workstation import Workstation
    from ui.common.mainwindow import MainWindow

MODULE_ENV = "NOSKHE_PKCS11_MODULE"


# ---- operations -----------------------------------------------------------------------------------------


def save_settings(
    ws: Workstation, workstation: dict[str, str], desktop: dict[str, str]
) -> Op[dict[str, str]]:
    """Store both kinds of settings; returns them all as stored."""

    def work() -> dict[str, str]:
        return {**configure(ws, workstation), **configure_desktop(ws, desktop)}

    return Op(work, changes=Changes(settings=True))


def test_exchange(ws: Workstation, url: str) -> Op[str]:
    """Is the exchange at `url` there, and does it accept this facility's seal? Returns "answers" (it
    answers; the seal is not open yet) or "accepted" (it let the facility in). Raises what the exchange or
    the seal raise."""

    def work() -> str:
        from sync.client import ExchangeClient, unreachable

        client = ExchangeClient(
            url, ws.seal(), siam=ws.facility_siam, verify=os.environ.get("NOSKHE_EXCHANGE_CA") or True
        )
        if not client.probe():
            raise unreachable(url, TimeoutError())
        client.login()
        return "accepted"

    return Op(work, lane=Lane.NETWORK)


def test_module(path: str) -> Op[list[str]]:
    """Load the PKCS#11 module at `path` and list the labels of the tokens present. Raises
    `ModuleUnavailable` (named path) or a token error."""

    def work() -> list[str]:
        from smartcard.config import SmartcardConfig
        from smartcard.tokens import Pkcs11Module

        return [
            t.label
            for t in Pkcs11Module.load(SmartcardConfig.from_env({**os.environ, MODULE_ENV: path})).tokens()
        ]

    return Op(work, lane=Lane.NETWORK)


def change_passphrase(ws: Workstation, old: str, new: str) -> Op[None]:
    """Rewrap the store's key under a new facility passphrase (the data is not re-encrypted)."""
    from app.services.admin import change_passphrase as change

    return Op(lambda: change(ws.store.data_dir, old, lambda: new))


def check_passphrase(ws: Workstation, passphrase: str) -> Op[None]:
    """Check the facility passphrase against the store's key file (nothing is written). Raises
    `WrongPassphrase`."""
    from app.store import KEY_NAME
    from app.store.keyfile import KeyFile

    def work() -> None:
        KeyFile(ws.store.data_dir / KEY_NAME).unwrap(passphrase)

    return Op(work)


#: settings that decide where data goes and who signs: changed only by a logged-in manager (once there is
#: a users list), or with the facility passphrase (before there is one, with nobody logged in)
GUARDED = (*SETTINGS, "smartcard.module")


def apply_module_setting(ws: Workstation) -> None:
    """The stored PKCS#11 module path, for this process's token loading (the environment wins)."""
    path = ws.setting("smartcard.module")
    if path and not os.environ.get(MODULE_ENV):
        os.environ[MODULE_ENV] = path


# ---- the dialog -----------------------------------------------------------------------------------------


class SettingsDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_, self.host = window, window.host
        ws, w = self.host.ws, self.host.words
        self.setWindowTitle(w("settings"))
        self.setMinimumWidth(620)
        self.fields: dict[str, QLineEdit] = {key: QLineEdit() for key in SETTINGS}
        self.fields["smartcard.module"] = QLineEdit()
        self.fields["printing.a5_printer"] = QLineEdit()
        self.fields["printing.roll_printer"] = QLineEdit()
        for key, edit in self.fields.items():
            edit.setText(ws.store.meta(key) or "")
        self.idle = QSpinBox(minimum=0, maximum=1440, suffix=" " + w("minutes"))
        self.idle.setValue(int(float(ws.store.meta("ui.idle_lock_minutes") or 5)))
        self.lang = QComboBox()
        self.lang.addItem("فارسی", "fa")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(self.lang.findData(w.lang))
        self.exchange_result = QLabel(wordWrap=True)
        self.token_result = QLabel(wordWrap=True)
        self.passphrase_result = QLabel(wordWrap=True)
        self.old_pass, self.new_pass, self.again_pass = (
            QLineEdit(echoMode=QLineEdit.EchoMode.Password) for _ in range(3)
        )
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #b00020")
        #: the facility passphrase, asked when nobody is logged in and there is no users list yet
        self.guard_pass = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.guard_pass.setPlaceholderText(w("users_settings_passphrase"))

        tabs = QTabWidget()
        tabs.addTab(self._exchange_tab(), w("settings_exchange"))
        tabs.addTab(self._signing_tab(), w("settings_signing"))
        tabs.addTab(self._printers_tab(), w("settings_printers"))
        tabs.addTab(self._workstation_tab(), w("settings_workstation"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.guard_pass)
        layout.addWidget(self.error)
        self.guard_pass.setVisible(self._guard() == "passphrase")
        layout.addWidget(buttons)

    # ---- pages ------------------------------------------------------------------------------------

    def _exchange_tab(self) -> QWidget:
        w, page = self.host.words, QWidget()
        form = QFormLayout(page)
        self.test_exchange_button = QPushButton(w("test_connection"))
        self.test_exchange_button.clicked.connect(self.test_exchange)
        row = QHBoxLayout()
        row.addWidget(self.fields["exchange.url"], 1)
        row.addWidget(self.test_exchange_button)
        form.addRow(w("exchange_url"), row)
        form.addRow("", self.exchange_result)
        return page

    def _signing_tab(self) -> QWidget:
        w, page = self.host.words, QWidget()
        form = QFormLayout(page)
        self.test_token_button = QPushButton(w("test_token"))
        self.test_token_button.clicked.connect(self.test_token)
        self.fields["smartcard.module"].setPlaceholderText(
            os.environ.get(MODULE_ENV) or "/usr/lib/softhsm/libsofthsm2.so"
        )
        row = QHBoxLayout()
        row.addWidget(self.fields["smartcard.module"], 1)
        row.addWidget(self.test_token_button)
        form.addRow(w("pkcs11_module"), row)
        form.addRow("", self.token_result)
        for key in (
            "signing.user_token",
            "signing.user_p12",
            "signing.facility_token",
            "signing.facility_p12",
        ):
            form.addRow(w("setting_" + key.replace(".", "_")), self.fields[key])
        form.addRow("", QLabel(w("signing_next_login"), wordWrap=True))
        return page

    def _printers_tab(self) -> QWidget:
        from PySide6.QtPrintSupport import QPrinterInfo

        w, page = self.host.words, QWidget()
        form = QFormLayout(page)
        names = QPrinterInfo.availablePrinterNames()
        for key in ("printing.a5_printer", "printing.roll_printer"):
            self.fields[key].setPlaceholderText(w("default_printer"))
            form.addRow(w("setting_" + key.replace(".", "_")), self.fields[key])
        form.addRow("", QLabel(w("printers_found", names=", ".join(names) or "—"), wordWrap=True))
        return page

    def _workstation_tab(self) -> QWidget:
        w, page = self.host.words, QWidget()
        form = QFormLayout(page)
        facility = self.host.ws.store.facility()
        form.addRow(
            w("facility"),
            QLabel(
                f"{w.isolated(facility.name or '')} ({w.number(facility.siam_id)})"
                f" — {w('role_' + self.host.ws.role)}"
            ),
        )
        form.addRow(w("idle_lock"), self.idle)
        form.addRow(w("language"), self.lang)
        change = QPushButton(w("change_passphrase"))
        change.clicked.connect(self.change_passphrase)
        self.change_button = change
        form.addRow(w("old_passphrase"), self.old_pass)
        form.addRow(w("new_passphrase"), self.new_pass)
        form.addRow(w("again_passphrase"), self.again_pass)
        form.addRow("", change)
        form.addRow("", self.passphrase_result)
        return page

    # ---- tests ------------------------------------------------------------------------------------

    def test_exchange(self) -> None:
        w = self.host.words
        self.exchange_result.setText(w("testing"))
        self.test_exchange_button.setEnabled(False)

        def done(text: str) -> None:
            self.test_exchange_button.setEnabled(True)
            self.exchange_result.setStyleSheet("color: #2e7d32")
            self.exchange_result.setText(w("exchange_" + text))

        def failed(exc: Exception) -> None:
            self.test_exchange_button.setEnabled(True)
            self.exchange_result.setStyleSheet("color: #b00020")
            self.exchange_result.setText(w.message(exc))

        test_exchange(self.host.ws, self.fields["exchange.url"].text().strip()).success(done).failure(
            failed
        ).run(self.host)

    def test_token(self) -> None:
        w = self.host.words
        path = (
            self.fields["smartcard.module"].text().strip()
            or os.environ.get(MODULE_ENV)
            or "/usr/lib/softhsm/libsofthsm2.so"
        )
        self.token_result.setText(w("testing"))

        def done(labels: list[str]) -> None:
            self.token_result.setStyleSheet("color: #2e7d32" if labels else "color: #8a6d00")
            self.token_result.setText(
                w("tokens_found", labels=", ".join(labels)) if labels else w("no_token_present")
            )

        def failed(exc: Exception) -> None:
            self.token_result.setStyleSheet("color: #b00020")
            self.token_result.setText(w.message(exc))

        test_module(path).success(done).failure(failed).run(self.host)

    def change_passphrase(self) -> None:
        w = self.host.words
        if self._guard() == "manager":
            self.passphrase_result.setStyleSheet("color: #b00020")
            self.passphrase_result.setText(w("users_settings_need_manager"))
            return
        if self.new_pass.text() != self.again_pass.text() or not self.new_pass.text():
            self.passphrase_result.setStyleSheet("color: #b00020")
            self.passphrase_result.setText(w("passphrases_differ"))
            return

        def done(_none: None) -> None:
            for edit in (self.old_pass, self.new_pass, self.again_pass):
                edit.clear()
            self.passphrase_result.setStyleSheet("color: #2e7d32")
            self.passphrase_result.setText(w("passphrase_changed"))

        def failed(exc: Exception) -> None:
            self.passphrase_result.setStyleSheet("color: #b00020")
            self.passphrase_result.setText(w.message(exc))

        change_passphrase(self.host.ws, self.old_pass.text(), self.new_pass.text()).success(done).failure(
            failed
        ).run(self.host)

    # ---- saving -----------------------------------------------------------------------------------

    def _guard(self) -> str:
        """What changing a `GUARDED` setting needs now: `` (nothing more: a manager, or anyone logged in
        before there is a users list), `manager` (a users list and no manager logged in) or `passphrase`
        (no list, nobody logged in)."""
        from app.services import users

        ws, logged = self.host.ws, self.window_.session.state == "in"
        if users.has_roster(ws):
            return "" if logged and users.may(ws, users.USERS) else "manager"
        return "" if logged else "passphrase"

    def save(self) -> None:
        """Store the settings; a `GUARDED` one changed needs a manager or the facility passphrase first."""
        ws = self.host.ws
        changed = any(self.fields[k].text().strip() != (ws.store.meta(k) or "") for k in GUARDED)
        guard = self._guard() if changed else ""
        if guard == "manager":
            self.error.setText(self.host.words("users_settings_need_manager"))
            return
        if guard == "passphrase":
            if not self.guard_pass.text():
                self.guard_pass.show()
                self.guard_pass.setFocus()
                self.error.setText(self.host.words("users_settings_need_passphrase"))
                return
            self.save_button.setEnabled(False)
            check_passphrase(ws, self.guard_pass.text()).success(lambda _none: self._store()).failure(
                self._failed
            ).run(self.host)
            return
        self._store()

    def _store(self) -> None:
        ws = self.host.ws
        before = {key: ws.store.meta(key) or "" for key in (*SETTINGS, *DESKTOP_SETTINGS)}
        workstation = {key: self.fields[key].text().strip() for key in SETTINGS}
        desktop = {
            "ui.lang": self.lang.currentData(),
            "ui.idle_lock_minutes": str(self.idle.value()),
            "printing.a5_printer": self.fields["printing.a5_printer"].text().strip(),
            "printing.roll_printer": self.fields["printing.roll_printer"].text().strip(),
            "smartcard.module": self.fields["smartcard.module"].text().strip(),
        }
        self.save_button.setEnabled(False)
        save_settings(ws, workstation, desktop).success(lambda after: self._saved(before, after)).failure(
            self._failed
        ).run(self.host)

    def _saved(self, before: dict[str, str], after: dict[str, str]) -> None:
        window, host = self.window_, self.host
        window.session.set_idle_minutes(float(after["ui.idle_lock_minutes"] or 0))
        if after["smartcard.module"] and not os.environ.get(MODULE_ENV):
            os.environ[MODULE_ENV] = after["smartcard.module"]
        if after["exchange.url"] != before.get("exchange.url"):
            window.sync.stop()
            host.ws.forget_exchange()
            window.sync.start()
        if after["ui.lang"] != host.words.lang:
            host.set_language(after["ui.lang"])
        window.login.refresh()
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.save_button.setEnabled(True)
        self.error.setText(self.host.words.message(exc))

    @classmethod
    def show_for(cls, window: MainWindow) -> SettingsDialog:
        """Open the settings over `window` (window-modal, not blocking the program)."""
        dialog = cls(window)
        dialog.open()
        return dialog


__all__ = [
    "SettingsDialog",
    "apply_module_setting",
    "change_passphrase",
    "save_settings",
    "test_exchange",
    "test_module",
]
