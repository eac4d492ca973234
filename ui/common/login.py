"""The login and lock screen, in place of the work: the facility, who is (or was) logged in, the token or
key file, one field for its PIN or passphrase. Wrong PINs say how many tries are left (the token's own
count, or Noskhe's limit). With nothing configured to sign with, it says so and leads to Settings; the
window can still be used to look things up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.text import to_ascii_digits
from ui.common.session import credential_of
from ui.i18n import isolate_path

if TYPE_CHECKING:
    from ui.common.host import Host
    from ui.common.session import UserSession

ERROR_STYLE = "color: #b00020"


class LoginScreen(QWidget):
    """`settings_requested` and `browse_requested` (go on without signing) come from its buttons."""

    settings_requested = Signal()
    browse_requested = Signal()
    switch_requested = Signal()  # another person at a locked window

    def __init__(self, host: Host, session: UserSession) -> None:
        super().__init__()
        self.host, self.session = host, session
        self.title = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 18pt; font-weight: bold")
        self.facility = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.who = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.prompt = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.secret.setMaximumWidth(320)
        self.login_button = QPushButton()
        self.login_button.setDefault(True)
        self.error = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.settings_button = QPushButton()
        self.browse_button = QPushButton()
        self.switch_button = QPushButton()
        form = QHBoxLayout()
        form.addStretch()
        form.addWidget(self.secret)
        form.addWidget(self.login_button)
        form.addStretch()
        extra = QHBoxLayout()
        extra.addStretch()
        extra.addWidget(self.settings_button)
        extra.addWidget(self.browse_button)
        extra.addWidget(self.switch_button)
        extra.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for widget in (self.title, self.facility, self.who, self.prompt):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(extra)
        layout.addStretch(3)
        self.setFocusProxy(self.secret)
        self.secret.returnPressed.connect(self.submit)
        self.login_button.clicked.connect(self.submit)
        self.settings_button.clicked.connect(self.settings_requested)
        self.browse_button.clicked.connect(self.browse_requested)
        self.switch_button.clicked.connect(self.switch_requested)
        session.changed.connect(self.refresh)
        session.login_failed.connect(self.show_error)
        host.language_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Words for the session's state: logging in, or unlocking (who, and why it locked)."""
        w, s = self.host.words, self.session
        facility = self.host.ws.store.facility()
        self.facility.setText(
            f"{w('facility')}: {w.isolated(facility.name or '')} ({w.number(facility.siam_id)})"
        )
        cred = credential_of(self.host.ws)
        locked = s.state == "locked"
        self.title.setText(w("lock_title") if locked else w("login_title"))
        if locked and s.identity is not None:
            self.who.setText(
                w(
                    "locked_who",
                    name=w.isolated(s.identity.name),
                    why=w("lock_reason_" + (s.reason or "manual")),
                )
            )
        else:
            self.who.setText("")
        if cred is None:
            self.prompt.setText(w("login_not_configured"))
        elif cred[0] == "token" and cred[1] == "*":  # each person's own token
            self.prompt.setText(w("users_login_own_token"))
        elif cred[0] == "token":
            self.prompt.setText(w("login_token_prompt", label=cred[1]))
        else:
            self.prompt.setText(w("login_key_prompt", path=isolate_path(cred[1])))
        usable = cred is not None and not s.busy
        came_back = usable and not self.secret.isEnabled()
        self.secret.setEnabled(usable)
        if came_back and s.state != "in" and self.isVisible():
            self.secret.setFocus()  # a wrong PIN: the field again, ready for the next try
        self.login_button.setEnabled(usable)
        self.login_button.setText(w("unlock") if locked else w("login"))
        self.settings_button.setText(w("settings") + "…")
        self.browse_button.setText(w("browse_without_signing"))
        self.browse_button.setVisible(cred is None and not locked)
        self.settings_button.setVisible(not locked)
        self.switch_button.setText(w("users_switch_person"))
        self.switch_button.setVisible(locked and not s.busy)
        if s.state == "in":
            self.error.clear()

    def submit(self) -> None:
        if not self.login_button.isEnabled():
            return
        secret = self.secret.text()
        cred = credential_of(self.host.ws)
        if cred is not None and cred[0] == "token":
            secret = to_ascii_digits(secret)  # a PIN typed with the Persian layout on: ۱۲۳۴ is 1234
        self.secret.clear()  # the PIN is not kept, not even in the field
        self.error.clear()
        self.session.log_in(secret)

    def show_error(self, text: str) -> None:
        """A failed try: why, and the focus back in the PIN field (enabled again once the try ends)."""
        self.error.setText(text)
        self.secret.setFocus()


__all__ = ["LoginScreen"]
