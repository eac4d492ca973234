"""The first thing a user sees: the facility passphrase. A wrong one says so and changes nothing.

Unlocking opens the workstation (`app.workstation.Workstation`) with the desktop's prompter
(`ui.common.prompter.QtPrompter`); the user then logs in with a token in the main window (`ui.common.login`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import NoskheError
from ui.common.prompter import QtPrompter
from ui.i18n import Words

if TYPE_CHECKING:
    from app.workstation import Workstation


#: the window's sync never sleeps on a backoff (the schedules come back), so signing on the same lane never
#: waits long behind it; a silent exchange is given up on sooner than the CLI does
ENGINE_OPTIONS = {"patience": 0.0}
CLIENT_OPTIONS = {"timeout": (3.05, 15.0)}


class UnlockDialog(QDialog):
    def __init__(self, data_dir: Path, words: Words, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir, self.w = Path(data_dir), words
        self.workstation: Workstation | None = None
        self.prompter = QtPrompter(words)
        self.setWindowTitle(words("unlock_title"))
        self.setMinimumWidth(420)
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #b00020")
        self.error.hide()
        buttons = QDialogButtonBox()
        self.unlock_button = buttons.addButton(words("unlock"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(words("cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_unlock)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(words("unlock_prompt")))
        layout.addWidget(self.passphrase)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def try_unlock(self) -> None:
        from app.workstation import Workstation

        self.prompter.answer_next("store", self.passphrase.text())
        try:
            self.workstation = Workstation.open(
                self.data_dir, self.prompter, engine_options=ENGINE_OPTIONS, client_options=CLIENT_OPTIONS
            )
        except NoskheError as exc:
            self.passphrase.selectAll()
            self.passphrase.setFocus()  # the next try types over the wrong one
            self.error.setText(exc.message(self.w.lang))
            self.error.show()
            return
        finally:
            self.prompter.answer_next("store", None)
        self.passphrase.clear()
        self.accept()

    @classmethod
    def ask(cls, data_dir: Path, words: Words) -> Workstation | None:
        """The opened workstation, or None if the user gave up. Tests replace this classmethod."""
        dialog = cls(data_dir, words)
        return dialog.workstation if dialog.exec() == QDialog.DialogCode.Accepted else None
