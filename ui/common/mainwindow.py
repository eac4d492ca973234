"""The workstation's one window: its pages in tabs, its menus, the status bar — and the login and lock
screen in place of the pages while nobody is logged in.

The window makes the `Host` (workstation, words, lanes, change hub, progress), the user's session
(`ui.common.session`), the sync schedules (`ui.common.sync`) and the scanner detector, then hands itself to
its role's desk (`ui.clinic.ClinicDesk` or `ui.pharmacy.PharmacyDesk`), which adds its own pages and
actions. Pages are widgets; one that has a `close_requested` signal closes itself (after asking, if it
holds unsigned work); one with a `tab_title` names its tab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from ui.common.host import Host
from ui.common.login import LoginScreen
from ui.common.prompter import QtPrompter
from ui.common.scanner import ScanDetector, read_scan
from ui.common.session import UserSession
from ui.common.status import SyncLight
from ui.common.sync import SyncController
from ui.common.syncpanel import SyncPanel

if TYPE_CHECKING:
    from app.workstation import Workstation
    from ui.i18n import Words

MENUS = ("menu_file", "menu_rx", "menu_sync", "menu_view")


def _literal(text: str) -> str:
    """`text` as a tab or menu title shows it: an `&` in a word (\"Counter list & history\") stays an
    `&`, not the mark of a shortcut letter."""
    return text.replace("&", "&&")


class MainWindow(QMainWindow):
    """The window over an open workstation. Closing it stops the schedules and waits for running work;
    the workstation itself is closed by whoever opened it."""

    #: the restricted pages and actions were shown or hidden again (`apply_access`)
    access_changed = Signal()

    def __init__(self, ws: Workstation, words: Words) -> None:
        super().__init__()
        self.host = host = Host(ws, words, self)
        if isinstance(ws.prompter, QtPrompter):
            ws.prompter.parent = self  # PIN and passphrase dialogs over this window
            ws.prompter.attach()
            ws.prompter.on_pin_pad = lambda label: self.statusBar().showMessage(
                words("pin_pad", label=label), 15000
            )
        self.sync = SyncController(host)
        host.sync = self.sync
        self.session = UserSession(host, ws.prompter)
        idle = self.setting("ui.idle_lock_minutes")
        if idle:
            self.session.set_idle_minutes(float(idle))
        self.browsing = False  # working without a login (nothing configured to sign with)
        #: (action, permission, pages): shown only to those who may (`restrict`)
        self._restricted: list[tuple[QAction, str, tuple[QWidget, ...]]] = []
        self._refusals: list[tuple[QAction, QShortcut]] = []
        self._hidden: list[QWidget] = []
        self._focus: QWidget | None = None

        self.tabs = QTabWidget(documentMode=True, tabsClosable=True, movable=True)
        self.tabs.tabCloseRequested.connect(lambda i: self.close_page(self.tabs.widget(i)))
        self.login = LoginScreen(host, self.session)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.login)
        self.setCentralWidget(self.stack)
        self._closable: dict[int, bool] = {}
        self._title_keys: dict[int, str] = {}
        self._actions: list[tuple[QAction, str]] = []
        self.menus: dict[str, QMenu] = {key: self.menuBar().addMenu("") for key in MENUS}
        self.toolbar = self.addToolBar("")
        self.toolbar.setObjectName("main-toolbar")

        self.light = SyncLight(host, self.sync)
        self.user_label = QLabel()
        self.facility_label = QLabel()
        self.statusBar().addWidget(self.light, 1)
        self.statusBar().addPermanentWidget(host.progress)
        self.statusBar().addPermanentWidget(self.user_label)
        self.statusBar().addPermanentWidget(self.facility_label)

        self.settings_action = self.action("settings", self.open_settings, "Ctrl+,", menu="menu_file")
        self.lock_action = self.action(
            "lock", lambda: self.session.lock("manual"), "Ctrl+L", menu="menu_file"
        )
        self.quit_action = self.action("quit", self.close, "Ctrl+Q", menu="menu_file")
        self.sync_action = self.action(
            "sync_now", lambda: self.sync.drain(progress=True), "F5", menu="menu_sync"
        )
        self.panel_action = self.action("sync_panel", self.open_sync_panel, "F9", menu="menu_sync")
        self.refresh_action = self.action(
            "refresh_reference", self.sync.refresh, "Ctrl+Shift+R", menu="menu_sync"
        )
        self.light.clicked.connect(self.open_sync_panel)

        from ui.clinic import ClinicDesk
        from ui.pharmacy import PharmacyDesk

        self.desk: Any = ClinicDesk(self) if ws.role == "clinic" else PharmacyDesk(self)
        from ui.common.users import UsersMenu

        self.users = UsersMenu(self)  # users, shifts and the audit log, for managers
        for act in (self.users.users_action, self.users.audit_action):
            self.refuse_when_hidden(act)  # its shortcut says why it does nothing
        self.menus["menu_rx"].menuAction().setVisible(bool(self.menus["menu_rx"].actions()))
        self.tabs.setCurrentIndex(0)

        self.scanner = ScanDetector(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.scanner)
        self.scanner.scanned.connect(self.route_scan)

        self.session.changed.connect(self._session_changed)
        self.session.seal_ready.connect(self.sync.start)
        self.login.browse_requested.connect(self.browse)
        self.login.settings_requested.connect(self.open_settings)
        host.language_changed.connect(self.retranslate)
        host.changes.changed.connect(lambda _changes: self.apply_access())  # a role changed
        self.resize(1100, 720)
        self.retranslate()
        self._session_changed()

    # ---- settings and words -----------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        """A desktop setting (`app.services.settings.DESKTOP_SETTINGS`), or None."""
        return self.host.ws.setting(key)

    def action(self, key: str, slot: Callable[[], Any], shortcut: Any, *, menu: str) -> QAction:
        """A menu entry named by words `key`, with its shortcut (a main action always has both)."""
        act = QAction(self.host.words(key), self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda _checked=False: slot())
        self.menus[menu].addAction(act)
        self._actions.append((act, key))
        return act

    def retranslate(self) -> None:
        w = self.host.words
        direction = Qt.LayoutDirection.RightToLeft if w.rtl else Qt.LayoutDirection.LeftToRight
        self.setLayoutDirection(direction)
        for bar in (self.statusBar(), self.menuBar(), self.toolbar):
            bar.setLayoutDirection(direction)  # each bar follows every switch, back and forth
        self.statusBar().clearMessage()  # a message in the other language
        for key, menu in self.menus.items():
            menu.setTitle(w(key))
        self.toolbar.setWindowTitle(w("toolbar"))
        for act, key in self._actions:
            act.setText(_literal(w(key)))
        for page in self.pages():
            self._retitle(page)
        facility = self.host.ws.store.facility()
        self.facility_label.setText(
            f"{w('facility')}: {w.isolated(facility.name or '')} ({w.number(facility.siam_id)})"
        )
        self._update_title()

    def _update_title(self) -> None:
        w, who = self.host.words, self.session.identity
        parts = [w("app_title")]
        if who is not None:
            parts.append(who.name)
        facility = self.host.ws.store.facility()
        if facility.name:
            parts.append(facility.name)
        self.setWindowTitle(" — ".join(parts))
        self.user_label.setText(w("user_label", name=w.isolated(who.name)) if who else w("nobody_logged_in"))

    # ---- pages ------------------------------------------------------------------------------------

    def add_page(self, page: QWidget, title_key: str, *, closable: bool = True) -> QWidget:
        index = self.tabs.addTab(page, "")
        self._closable[id(page)] = closable
        self._title_keys[id(page)] = title_key
        if not closable:
            for side in (
                self.tabs.tabBar().ButtonPosition.LeftSide,
                self.tabs.tabBar().ButtonPosition.RightSide,
            ):
                self.tabs.tabBar().setTabButton(index, side, None)  # type: ignore[arg-type]
        signal = getattr(page, "close_requested", None)
        if signal is not None:
            signal.connect(lambda p=page: self._remove(p))
        retitled = getattr(page, "title_changed", None)
        if retitled is not None:
            retitled.connect(lambda p=page: self._retitle(p))
        self._retitle(page)
        if closable:
            self.tabs.setCurrentWidget(page)
        return page

    def _retitle(self, page: QWidget) -> None:
        index = self.tabs.indexOf(page)
        if index >= 0:
            title = getattr(page, "tab_title", None)
            self.tabs.setTabText(
                index,
                _literal(title if isinstance(title, str) else self.host.words(self._title_keys[id(page)])),
            )

    def pages(self) -> list[QWidget]:
        return [p for p in (self.tabs.widget(i) for i in range(self.tabs.count())) if p is not None]

    def find_page(self, predicate: Callable[[QWidget], bool]) -> QWidget | None:
        return next((p for p in self.pages() if predicate(p)), None)

    def show_page(self, page: QWidget) -> None:
        self.tabs.setCurrentWidget(page)
        page.setFocus()

    def current_page(self) -> QWidget | None:
        return self.tabs.currentWidget()

    def close_page(self, page: QWidget | None) -> None:
        """Close `page` as its own close button would (an editor asks first when it holds work)."""
        if page is None or not self._closable.get(id(page), True):
            return
        ask = getattr(page, "request_close", None)
        if ask is not None:
            ask()
        else:
            self._remove(page)

    def _remove(self, page: QWidget) -> None:
        index = self.tabs.indexOf(page)
        if index >= 0:
            self.tabs.removeTab(index)
            page.deleteLater()

    def open_sync_panel(self) -> SyncPanel:
        existing = self.find_page(lambda p: isinstance(p, SyncPanel))
        if existing is not None:
            self.show_page(existing)
            return existing  # type: ignore[return-value]
        panel = SyncPanel(self.host, self.sync)
        panel.open_requested.connect(self.desk.open_prescription)
        self.add_page(panel, "sync_panel")
        return panel

    def open_settings(self) -> Any:
        from ui.common.settings import SettingsDialog

        return SettingsDialog.show_for(self)

    # ---- who may use what -------------------------------------------------------------------------

    def restrict(self, action: QAction, permission: str, *pages: QWidget) -> None:
        """`action` and `pages` only for whoever may `permission` (`app.services.users.may`: the person
        logged in, by their role on the facility's users list): for anyone else — a role changed, another
        person logged in — the pages' tabs are hidden and what they showed is forgotten (their `forget()`),
        and the action's shortcut says it is not allowed."""
        self._restricted.append((action, permission, pages))
        self.refuse_when_hidden(action)
        self.apply_access()

    def refuse_when_hidden(self, action: QAction) -> None:
        """While `action` is hidden from the person logged in, its shortcut says so in the status bar
        instead of doing nothing."""
        shortcut = QShortcut(action.shortcut(), self)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(lambda: self.refuse(action))
        self._refusals.append((action, shortcut))
        action.changed.connect(self._arm_refusals)
        self._arm_refusals()

    def refuse(self, action: QAction) -> None:
        """Say that the person logged in may not use `action`."""
        what = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        self.statusBar().showMessage(self.host.words("users_shortcut_refused", what=what), 10000)

    def _arm_refusals(self) -> None:
        working = self.stack.currentWidget() is self.tabs
        for action, shortcut in self._refusals:
            if shiboken6.isValid(shortcut):
                shortcut.setEnabled(working and not action.isVisible())

    def apply_access(self) -> None:
        """Show the restricted actions and pages to whoever may use them, hide them from anyone else."""
        from app.services import users

        ws = self.host.ws
        for action, permission, pages in self._restricted:
            try:
                allowed = users.may(ws, permission)
            except Exception:  # noqa: BLE001 — the store unreadable (a damaged disk): show nothing
                allowed = False
            action.setVisible(allowed)
            for page in pages:
                index = self.tabs.indexOf(page)
                if index < 0:
                    continue
                if not allowed:
                    forget = getattr(page, "forget", None)
                    if forget is not None:
                        forget()
                    if self.tabs.currentIndex() == index:
                        self._show_first_visible(index)
                self.tabs.setTabVisible(index, allowed)
        self.access_changed.emit()
        self._arm_refusals()

    def _show_first_visible(self, hidden: int) -> None:
        for i in range(self.tabs.count()):
            if i != hidden and self.tabs.isTabVisible(i):
                self.tabs.setCurrentIndex(i)
                return

    # ---- login and lock ---------------------------------------------------------------------------

    def browse(self) -> None:
        """Go on without logging in (nothing is configured to sign with): look things up, set things up."""
        self.browsing = True
        self._session_changed()
        self.sync.start()

    def _session_changed(self) -> None:
        s = self.session
        working = s.state == "in" or (s.state == "out" and self.browsing)
        if working and self.stack.currentWidget() is not self.tabs:
            self.stack.setCurrentWidget(self.tabs)
            self._show_hidden()
        elif not working and self.stack.currentWidget() is not self.login:
            self._hide_the_work()
            self.stack.setCurrentWidget(self.login)
            self.login.secret.setFocus()
        for menu in ("menu_rx", "menu_view"):
            self.menus[menu].setEnabled(working)
            for act in self.menus[menu].actions():
                act.setEnabled(working)  # their shortcuts too
        self.toolbar.setEnabled(working)
        for act in (self.settings_action, self.panel_action):
            act.setEnabled(s.state != "locked")
        self.lock_action.setEnabled(s.state == "in")
        self.scanner.enabled = working
        self._update_title()
        self.apply_access()

    def _hide_the_work(self) -> None:
        """The lock hides whatever shows patient data — the pages and any other open window — and keeps
        it all as it is, focus included, for the unlock."""
        self._focus = QApplication.focusWidget()
        for widget in QApplication.topLevelWidgets():
            if widget is not self and widget.isVisible() and not widget.isModal():
                widget.hide()
                self._hidden.append(widget)

    def _show_hidden(self) -> None:
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            if shiboken6.isValid(widget):
                widget.show()
        focus, self._focus = self._focus, None
        if focus is not None and shiboken6.isValid(focus) and focus.isVisible():
            focus.setFocus()

    # ---- scans ------------------------------------------------------------------------------------

    def route_scan(self, text: str) -> None:
        """A scanner burst, wherever the focus was: to the field or page its content calls for."""
        readings = read_scan(text)
        if not self.desk.route_scan(readings):
            self.statusBar().showMessage(self.host.words("scan_unknown"), 8000)

    # ---- closing ----------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.desk.pages_with_work() and not self.confirm_quit():
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)

    def confirm_quit(self) -> bool:
        """Ask before quitting with unsigned work open. Tests replace this."""
        w = self.host.words
        box = QMessageBox(QMessageBox.Icon.Question, w("quit"), w("quit_with_work"), parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Stop the schedules and the scanner; let running work finish (its results still arrive)."""
        self.users.close()  # the open shift ends
        self.sync.stop()
        self.session.idle.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.scanner)
            app.removeEventFilter(self.session)
        self.host.tasks.shutdown()


__all__ = ["MainWindow"]
