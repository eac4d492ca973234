"""The desktop's `Prompter` (`app.prompter`): every PIN and passphrase the workstation needs, asked in a dialog.

| asked for                       | dialog                                                              |
|---------------------------------|---------------------------------------------------------------------|
| facility passphrase (`store`)   | the unlock dialog's text (`UnlockDialog`), else a passphrase prompt |
| user token PIN                  | `PinDialog` (the token's label in the prompt)                       |
| facility seal token PIN         | `PinDialog` (the seal's label)                                      |
| user PKCS#12 passphrase         | `KeyPassphraseDialog`                                               |
| seal PKCS#12 passphrase         | `FacilityPassphraseDialog`                                          |

Closing a dialog is a `NoskheError` ("cancelled"), shown where the action was started. A reader with a PIN
pad gets None: the user types the PIN on the reader. Tests replace the dialogs' `ask` classmethods.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from app.errors import NoskheError
from ui.i18n import Words


def _ask_secret(title: str, prompt: str, parent: QWidget | None) -> str | None:
    text, ok = QInputDialog.getText(parent, title, prompt, QLineEdit.EchoMode.Password)
    return text if ok else None


class PinDialog:
    """Asks for a token's PIN; None when the user gives up. Tests replace `ask`."""

    @classmethod
    def ask(cls, label: str, words: Words | None = None, parent: QWidget | None = None) -> str | None:
        w = words or Words()
        return _ask_secret(w("pin_title"), w("pin_prompt", label=label), parent)


class FacilityPassphraseDialog:
    """Asks for the facility seal's passphrase (a PKCS#12 file); None when the user gives up."""

    @classmethod
    def ask(cls, words: Words | None = None, parent: QWidget | None = None) -> str | None:
        w = words or Words()
        return _ask_secret(w("seal_title"), w("seal_prompt"), parent)


class KeyPassphraseDialog:
    """Asks for the passphrase of the user's own signing key file (PKCS#12); None when the user gives up."""

    @classmethod
    def ask(cls, words: Words | None = None, parent: QWidget | None = None) -> str | None:
        w = words or Words()
        return _ask_secret(w("key_title"), w("key_prompt"), parent)


def _given(secret: str | None) -> str:
    if secret is None:  # the user closed the prompt
        raise NoskheError("Signing was cancelled.", "امضا لغو شد.")
    return secret


class QtPrompter:
    """Asks the person at the desktop. `parent` is the window dialogs are centred on (may change)."""

    def __init__(self, words: Words, parent: QWidget | None = None) -> None:
        self.w = words
        self.parent = parent
        self._unlock: str | None = None

    def unlock_with(self, passphrase: str | None) -> None:
        """The facility passphrase typed in the unlock dialog: the answer to the next `store` question only."""
        self._unlock = passphrase

    def pin(self, token_label: str, *, pin_pad: bool, purpose: str = "user") -> str | None:
        if pin_pad:
            return None
        return _given(PinDialog.ask(token_label, self.w, self.parent))

    def passphrase(self, purpose: str) -> str:
        if purpose == "store" and self._unlock is not None:
            given, self._unlock = self._unlock, None
            return given
        if purpose == "facility-p12":
            return _given(FacilityPassphraseDialog.ask(self.w, self.parent))
        if purpose == "user-p12":
            return _given(KeyPassphraseDialog.ask(self.w, self.parent))
        secret = _ask_secret(self.w("unlock_title"), self.w("unlock_prompt"), self.parent)
        if secret is None:
            raise NoskheError("The passphrase was not given.", "گذرواژه داده نشد.")
        return secret

    def confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self.parent, self.w("app_title"), text)
        return answer == QMessageBox.StandardButton.Yes
