"""What every view and operation of the window shares: the workstation, the words, the lanes, the change
hub, progress and the one failure path. The main window makes one `Host`; views receive it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.common.operations import ChangeHub
from ui.common.progress import ProgressIndicator
from ui.common.taskman import TaskManager

if TYPE_CHECKING:
    from app.workstation import Workstation
    from ui.common.sync import SyncController
    from ui.i18n import Words

log = logging.getLogger(__name__)


class Host(QObject):
    """`ws`, `words`, `tasks` (the lanes), `changes` (the hub), `progress`; `show_error(exc)` is the one
    failure path for ops that name none. `language_changed` tells widgets to read their words again."""

    language_changed = Signal()

    def __init__(self, ws: Workstation, words: Words, window: QWidget | None = None) -> None:
        super().__init__(window)
        self.ws, self.words, self.window = ws, words, window
        self.tasks = TaskManager(self)
        self.changes = ChangeHub(self)
        self.progress = ProgressIndicator()
        self.last_error: str | None = None
        self.sync: SyncController | None = None  # set by the main window

    def named(self, exc: BaseException) -> BaseException:
        """`exc` as the command line names it when it is a failure of the disk or the database file
        (`app.store.db.user_error`: "Disk full: free space in DIR", a damaged store and the way out), else
        `exc` itself. Every op's failure passes through here before its handler sees it."""
        from app.store.db import user_error

        try:
            named = user_error(exc, self.ws.store.data_dir)
        except Exception:  # noqa: BLE001 — naming a failure must not become a second one
            return exc
        if named is None:
            return exc
        log.warning("%s: %s", type(exc).__name__, exc)
        named.__cause__ = exc
        return named

    def show_error(self, exc: BaseException) -> None:
        """One message in the user's language, never a traceback (unexpected errors are logged); a full disk
        or a damaged store in the same words as the command line (`named`)."""
        from app.errors import NoskheError

        exc = self.named(exc)
        if not isinstance(exc, NoskheError):
            log.error("unexpected error in the window", exc_info=exc)
        self.last_error = text = self.words.message(exc)
        box = QMessageBox(QMessageBox.Icon.Warning, self.words("app_title"), text, parent=self.window)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.open()  # not modal to the program: a background failure never blocks the GP's typing

    def set_language(self, lang: str) -> None:
        """Switch the window's language now; every widget reads its words again."""
        from ui.i18n import apply_language

        self.words.lang = lang
        apply_language(lang)
        self.language_changed.emit()


__all__ = ["Host"]
