"""The facility's users and shifts in the window: the manager's page (add a person, change a role,
deactivate), the shifts recorded as people log in, lock and quit, and the menu entries shown to those who
may use them.

Permissions are the services' (`app.services.users`): the page and the audit view are shown to managers
(or to anyone while there is no users list yet), and whatever a person may not do is refused by the
service with its one-line message, shown under the form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services import users
from ui.common.operations import Changes, Op
from ui.common.tables import fill, read_only_table, row_key

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from app.signing import SignerIdentity
    from app.store.users import FacilityUser
    from ui.common.host import Host
    from ui.common.mainwindow import MainWindow

ERROR_STYLE = "color: #b00020"
USER_COLUMNS = ("users_col_code", "users_col_name", "users_col_role", "users_col_licence", "users_col_state")
SHIFT_COLUMNS = (
    "shift_col_person",
    "shift_col_start",
    "shift_col_end",
    "shift_col_how",
    "shift_col_workstation",
)


def role_name(host: Host, role: str) -> str:
    """A role in the window's language."""
    fa, en = users.ROLE_NAMES.get(role, (role, role))
    return host.words.pick(fa, en)


class UsersPage(QWidget):
    """The users list with its form, and the latest shifts. `refresh()` reads both from the store."""

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.note = QLabel(wordWrap=True)
        self.table = read_only_table(len(USER_COLUMNS))
        self.code = QLineEdit()
        self.name = QLineEdit()
        self.role = QComboBox()
        # as wide as its longest role in the window's language (English "technician" was cut short)
        self.role.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.licence = QLineEdit()
        self.add_button = QPushButton()
        self.role_button = QPushButton()
        self.active_button = QPushButton()
        self.message = QLabel(wordWrap=True)
        self.shifts_title = QLabel()
        self.shifts = read_only_table(len(SHIFT_COLUMNS))
        form = QHBoxLayout()
        for widget in (self.code, self.name, self.role, self.licence, self.add_button):
            form.addWidget(widget)
        change = QHBoxLayout()
        change.addWidget(self.role_button)
        change.addWidget(self.active_button)
        change.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 2)
        layout.addLayout(form)
        layout.addLayout(change)
        layout.addWidget(self.message)
        layout.addWidget(self.shifts_title)
        layout.addWidget(self.shifts, 1)
        self.add_button.clicked.connect(self.add)
        self.role_button.clicked.connect(self.change_role)
        self.active_button.clicked.connect(self.toggle_active)
        self.table.itemSelectionChanged.connect(self._selected)
        host.language_changed.connect(self.retranslate)
        host.changes.changed.connect(self._on_changes)
        self._rows: list[FacilityUser] = []
        self.retranslate()

    def retranslate(self) -> None:
        w = self.host.words
        self.table.setHorizontalHeaderLabels([w(k) for k in USER_COLUMNS])
        self.shifts.setHorizontalHeaderLabels([w(k) for k in SHIFT_COLUMNS])
        self.code.setPlaceholderText(w("users_code_hint"))
        self.name.setPlaceholderText(w("users_name_hint"))
        self.licence.setPlaceholderText(w("users_licence_hint"))
        current = self.role.currentData()
        self.role.clear()
        for role in users.ROLES.get(self.host.ws.role, ()):
            self.role.addItem(role_name(self.host, role), role)
        if current is not None:
            self.role.setCurrentIndex(max(0, self.role.findData(current)))
        self.role.setMinimumWidth(self.role.sizeHint().width())  # never squeezed to "technicia"
        self.add_button.setText(w("users_add"))
        self.role_button.setText(w("users_set_role"))
        self.shifts_title.setText(w("users_shifts"))
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if changes.session or changes.settings:
            self.refresh()

    def refresh(self) -> None:
        """Read the users and the shifts again (a few rows: on this thread)."""
        w, ws = self.host.words, self.host.ws
        self._rows = users.roster(ws)
        self.note.setText(w("users_list_note") if self._rows else w("users_no_list"))
        fill(
            self.table,
            [
                [
                    w.number(u.national_code),
                    w.text(u.name),
                    role_name(self.host, u.role),
                    w.number(u.licence or "—"),
                    w("users_active") if u.active else w("users_inactive"),
                ]
                for u in self._rows
            ],
            [u.national_code for u in self._rows],
        )
        shifts = users.shifts(ws, limit=100)
        fill(
            self.shifts,
            [
                [
                    f"{w.isolated(s.name)} ({w.number(s.national_code)})"
                    if s.name
                    else w.number(s.national_code),
                    w.datetime(s.started_at),
                    w.datetime(s.ended_at) if s.ended_at else w("shift_open"),
                    w(f"shift_end_{s.ended_by}") if s.ended_by in _ENDS else w.text(s.ended_by),
                    w.text(s.workstation),
                ]
                for s in shifts
            ],
        )
        self._selected()

    def _selected(self) -> None:
        w = self.host.words
        user = self.selected()
        self.active_button.setText(
            w("users_activate") if user is not None and not user.active else w("users_deactivate")
        )
        self.role_button.setEnabled(user is not None)
        self.active_button.setEnabled(user is not None)

    def selected(self) -> FacilityUser | None:
        """The user picked in the list, or None."""
        code = row_key(self.table)
        return next((u for u in self._rows if u.national_code == code), None)

    # ---- changes (through the services, which check the manager's permission) ---------------------

    def add(self) -> None:
        """Add the person in the form (the first one added makes the person logged in the manager)."""
        ws, code, name = self.host.ws, self.code.text(), self.name.text()
        role, licence = str(self.role.currentData()), self.licence.text()
        self._run(
            lambda: users.add_user(ws, code, name, role, licence),
            lambda u: self.host.words("users_added", name=u.name, role=role_name(self.host, u.role)),
            clear=True,
        )

    def change_role(self) -> None:
        """Give the selected user the role chosen in the form."""
        user, role = self.selected(), str(self.role.currentData())
        if user is None:
            self._show(self.host.words("users_pick_one"), error=True)
            return
        ws = self.host.ws
        self._run(lambda: users.set_role(ws, user.national_code, role), self._changed_text)

    def toggle_active(self) -> None:
        """Deactivate the selected user (or activate again)."""
        user = self.selected()
        if user is None:
            self._show(self.host.words("users_pick_one"), error=True)
            return
        ws = self.host.ws
        self._run(lambda: users.set_active(ws, user.national_code, not user.active), self._changed_text)

    def _changed_text(self, u: FacilityUser) -> str:
        w = self.host.words
        state = w("users_active") if u.active else w("users_inactive")
        return w("users_changed", name=u.name, role=role_name(self.host, u.role), state=state)

    def _run(self, work: Any, text: Any, *, clear: bool = False) -> None:
        def done(result: Any) -> None:
            if not shiboken6.isValid(self):  # the tab was closed meanwhile
                return
            if clear:
                for field in (self.code, self.name, self.licence):
                    field.clear()
            self._show(text(result))

        self.message.clear()
        Op(work, changes=Changes(settings=True)).success(done).failure(
            lambda exc: self._show(self.host.words.message(exc), error=True)
        ).run(self.host)

    def _show(self, text: str, *, error: bool = False) -> None:
        if not shiboken6.isValid(self):
            return
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(text)


_ENDS = ("manual", "idle", "removed", "quit", "logout", "?")


class ShiftRecorder(QObject):
    """Writes a shift's start when a person logs in or unlocks, and its end when the window locks (the
    reason: manual, idle, token removed) or closes (`close()`, reason `quit`)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.on_shift: SignerIdentity | None = None
        self.closed = False
        self.session.changed.connect(self._changed)

    def _changed(self) -> None:
        if self.closed:
            return
        s, ws = self.session, self.window.host.ws
        if s.state == "in" and s.identity is not None and self.on_shift is None:
            who = self.on_shift = s.identity
            Op(lambda: users.start_shift(ws, who), changes=Changes(settings=True)).failure(
                lambda _exc: None
            ).run(self.window.host)
        elif s.state != "in" and self.on_shift is not None and not s.busy:
            who, self.on_shift = self.on_shift, None
            reason = s.reason or "logout"
            Op(lambda: users.end_shift(ws, who, reason), changes=Changes(settings=True)).failure(
                lambda _exc: None
            ).run(self.window.host)

    def close(self) -> None:
        """The window closes: end the open shift now (on this thread, before the lanes stop)."""
        self.closed = True
        if self.on_shift is not None:
            who, self.on_shift = self.on_shift, None
            try:
                users.end_shift(self.window.host.ws, who, "quit")
            except Exception:  # noqa: BLE001, S110 — closing must not fail on a disk or store problem
                pass


def _is_a(kind: type[QWidget]) -> Any:
    return lambda page: isinstance(page, kind)


class UsersMenu(QObject):
    """The View menu's entries for the users page and the audit log, shown to whoever may use them
    (`users.may`: managers, or anyone before there is a users list), and the shift recorder."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.shifts = ShiftRecorder(window)
        self.users_action: QAction = window.action(
            "users_page", self.open_users, "Ctrl+Shift+U", menu="menu_view"
        )
        self.audit_action: QAction = window.action(
            "audit_page", self.open_audit, "Ctrl+Shift+A", menu="menu_view"
        )
        self.log_out_action: QAction = window.action(
            "users_log_out", self.log_out, "Ctrl+Shift+L", menu="menu_file"
        )
        window.login.switch_requested.connect(self.switch_person)
        window.session.changed.connect(self.update)
        # after the window's own title and status bar words (queued): the role beside the person's name
        window.session.changed.connect(self.show_role, Qt.ConnectionType.QueuedConnection)
        window.host.language_changed.connect(self.show_role, Qt.ConnectionType.QueuedConnection)
        window.host.changes.changed.connect(self._on_changes)
        self.update()

    def update(self) -> None:
        """Show the entries to those who may use them (and close the pages of those who may not)."""
        ws = self.window.host.ws
        self.log_out_action.setEnabled(self.window.session.state == "in")
        manage, audit = users.may(ws, users.USERS), users.may(ws, users.AUDIT)
        self.users_action.setVisible(manage)
        self.audit_action.setVisible(audit)
        from ui.common.audit_view import AuditView

        kinds: tuple[tuple[type[QWidget], bool], ...] = ((UsersPage, manage), (AuditView, audit))
        for kind, allowed in kinds:
            found = self.window.find_page(_is_a(kind))
            if found is not None and not allowed:
                self.window.close_page(found)

    def _on_changes(self, _changes: Changes) -> None:
        self.update()
        self.show_role()

    def show_role(self) -> None:
        """The status bar names the person logged in with their role here, when the facility keeps a list."""
        session, ws = self.window.session, self.window.host.ws
        if session.state != "in" or session.identity is None or not shiboken6.isValid(self.window.user_label):
            return
        user = users.user_of(ws, users.logged_in(ws))
        if user is not None:
            w = self.window.host.words
            self.window.user_label.setText(
                f"{w('user_label', name=w.isolated(session.identity.name))} — {role_name(self.window.host, user.role)}"
            )

    def open_users(self) -> UsersPage:
        """The users page (one tab)."""
        found = self.window.find_page(lambda p: isinstance(p, UsersPage))
        if found is None:
            found = self.window.add_page(UsersPage(self.window.host), "users_page")
        self.window.show_page(found)
        return found  # type: ignore[return-value]

    def open_audit(self) -> Any:
        """The audit log view (one tab)."""
        from ui.common.audit_view import AuditView

        found = self.window.find_page(lambda p: isinstance(p, AuditView))
        if found is None:
            found = self.window.add_page(AuditView(self.window.host), "audit_page")
        self.window.show_page(found)
        return found

    def log_out(self) -> bool:
        """End the shift: refused while unsigned work is open; else the pages opened are closed and the
        window waits for anyone's login. Returns whether it logged out."""
        window = self.window
        if window.desk.pages_with_work():
            window.statusBar().showMessage(window.host.words("users_log_out_has_work"), 10000)
            return False
        self._close_pages()
        window.session.log_out("logout")
        return True

    def switch_person(self) -> bool:
        """Another person at a locked window: the locked person's session ends (the shift ended at the
        lock) unless they left unsigned work open, which only they may sign or close."""
        window, session = self.window, self.window.session
        if window.desk.pages_with_work():
            name = session.identity.name if session.identity is not None else ""
            window.login.show_error(window.host.words("users_switch_has_work", name=name))
            return False
        self._close_pages()
        session.log_out("logout")
        return True

    def _close_pages(self) -> None:
        for page in self.window.pages():
            if self.window._closable.get(id(page), True):
                self.window.close_page(page)

    def close(self) -> None:
        """The window closes: the open shift ends."""
        self.shifts.close()


__all__ = ["ShiftRecorder", "UsersMenu", "UsersPage", "role_name"]
