"""The first thing a user sees: the facility passphrase. A wrong one says so and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import NoskheError
from ui.i18n import Words


class UnlockDialog(QDialog):
    def __init__(self, data_dir: Path, words: Words, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir, self.w = Path(data_dir), words
        self.store: Any = None
        self.setWindowTitle(words("unlock_title"))
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
        from app.store import Store

        try:
            self.store = Store.open(self.data_dir, self.passphrase.text())
        except NoskheError as exc:
            self.passphrase.selectAll()
            self.error.setText(exc.message(self.w.lang))
            self.error.show()
            return
        self.passphrase.clear()
        self.accept()

    @classmethod
    def ask(cls, data_dir: Path, words: Words) -> Any:
        """The opened store, or None if the user gave up. Tests replace this classmethod."""
        dialog = cls(data_dir, words)
        return dialog.store if dialog.exec() == QDialog.DialogCode.Accepted else None
