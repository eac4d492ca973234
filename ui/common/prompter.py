"""The desktop's `Prompter` (`app.prompter`): every PIN and passphrase the workstation needs, asked in a dialog.

| asked for                       | answered by                                                          |
|---------------------------------|----------------------------------------------------------------------|
| facility passphrase (`store`)   | the unlock dialog's field (`answer_next`), else a passphrase dialog  |
| user token PIN / key passphrase | the login or lock screen's field (`answer_next`), else a dialog      |
| facility seal token PIN         | `PinDialog` (the seal's label)                                       |
| user PKCS#12 passphrase         | `KeyPassphraseDialog`                                                |
| seal PKCS#12 passphrase         | `FacilityPassphraseDialog`                                           |

The workstation asks from whichever thread it runs on (signing runs on the network lane): a question from
another thread is carried to the UI thread and the worker waits for the answer (Electrum's handler). Closing
a dialog is a `NoskheError` ("cancelled"), shown where the action was started. A reader with a PIN pad gets
None: the user types the PIN on the reader, and `on_pin_pad(label)` tells the window to say so. Tests
replace the dialogs' `ask` classmethods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from app.errors import NoskheError
from app.text import to_ascii_digits
from ui.i18n import Words

T = TypeVar("T")


def _ask_secret(title: str, prompt: str, parent: QWidget | None) -> str | None:
    text, ok = QInputDialog.getText(parent, title, prompt, QLineEdit.EchoMode.Password)
    return text if ok else None


class PinDialog:
    """Asks for a token's PIN; None when the user gives up. `purpose` is `user` or `facility` (the seal);
    `note` is shown above the prompt (how many tries are left after a wrong PIN). Tests replace `ask`."""

    @classmethod
    def ask(
        cls,
        label: str,
        words: Words | None = None,
        parent: QWidget | None = None,
        note: str = "",
        purpose: str = "user",
    ) -> str | None:
        w = words or Words()
        prompt = w("seal_pin_prompt" if purpose == "facility" else "pin_prompt", label=label)
        title = w("seal_title" if purpose == "facility" else "pin_title")
        return _ask_secret(title, f"{note}\n{prompt}" if note else prompt, parent)


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


class _UiThread(QObject):
    """Runs a callable on the UI thread for a worker, which waits for it. The call is queued as an ordinary
    event (not a blocking queued call), so a dialog it opens runs its own loop as it would from a click —
    painted and answered like any other — while the worker waits on an event."""

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def _run(self, box: list[Any]) -> None:
        fn, done = box[0], box[3]
        try:
            box[1] = fn()
        except BaseException as exc:  # noqa: BLE001 — re-raised on the asking thread
            box[2] = exc
        finally:
            done.set()


class QtPrompter:
    """Asks the person at the desktop. `parent` is the window dialogs are centred on (may change)."""

    def __init__(self, words: Words, parent: QWidget | None = None) -> None:
        self.w = words
        self.parent = parent
        self._answers: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._ui: _UiThread | None = None
        #: called (on the UI thread) when a PIN-pad reader waits for its PIN; the window shows a notice
        self.on_pin_pad: Callable[[str], None] | None = None
        #: shown above the next PIN prompt (why it is asked again: a wrong PIN and the tries left)
        self.pin_note = ""
        app = QCoreApplication.instance()
        if app is not None and QThread.currentThread() is app.thread():
            self.attach()

    # ---- answers given in a screen before the question comes --------------------------------------

    def answer_next(self, purpose: str, secret: str | None) -> None:
        """What the user typed in a screen for `purpose` (`store`, `user`, `user-p12`): the answer to the
        next such question only. None forgets a pending answer."""
        with self._lock:
            if secret is None:
                self._answers.pop(purpose, None)
            else:
                self._answers[purpose] = secret

    def unlock_with(self, passphrase: str | None) -> None:
        """The facility passphrase typed in the unlock dialog (`answer_next("store", …)`)."""
        self.answer_next("store", passphrase)

    def _pending(self, purpose: str) -> str | None:
        with self._lock:
            return self._answers.pop(purpose, None)

    # ---- the Prompter protocol --------------------------------------------------------------------

    def pin(self, token_label: str, *, pin_pad: bool, purpose: str = "user") -> str | None:
        given = self._pending(purpose)
        if given is not None and (given or not pin_pad):
            return to_ascii_digits(given)  # every PIN, whichever screen it was typed in: ۱۲۳۴ is 1234
        if pin_pad:
            if self.on_pin_pad is not None:
                callback = self.on_pin_pad
                self._on_ui(lambda: callback(token_label))
            return None
        note, self.pin_note = self.pin_note, ""
        pin = _given(
            self._on_ui(lambda: PinDialog.ask(token_label, self.w, self.parent, note=note, purpose=purpose))
        )
        return to_ascii_digits(pin)  # typed with the Persian layout on: ۱۲۳۴ is 1234

    def passphrase(self, purpose: str) -> str:
        given = self._pending(purpose)
        if given is not None:
            return given
        if purpose == "facility-p12":
            return _given(self._on_ui(lambda: FacilityPassphraseDialog.ask(self.w, self.parent)))
        if purpose == "user-p12":
            return _given(self._on_ui(lambda: KeyPassphraseDialog.ask(self.w, self.parent)))
        secret = self._on_ui(
            lambda: _ask_secret(self.w("unlock_title"), self.w("unlock_prompt"), self.parent)
        )
        if secret is None:
            raise NoskheError("The passphrase was not given.", "گذرواژه داده نشد.")
        return secret

    def confirm(self, text: str) -> bool:
        def ask() -> bool:
            box = QMessageBox(QMessageBox.Icon.Question, self.w("app_title"), text, parent=self.parent)
            box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
            return box.exec() == QMessageBox.StandardButton.Yes

        return bool(self._on_ui(ask))

    # ---- the UI thread ----------------------------------------------------------------------------

    def _on_ui(self, fn: Callable[[], T]) -> T:
        """`fn()` on the UI thread; from a worker, the worker waits for it."""
        app = QCoreApplication.instance()
        if app is None or QThread.currentThread() is app.thread():
            return fn()
        if self._ui is None:
            raise NoskheError(
                "The window cannot ask for this from here.", "پنجره نمی‌تواند این را از اینجا بپرسد."
            )
        box: list[Any] = [fn, None, None, threading.Event()]
        self._ui.call.emit(box)
        box[3].wait()
        if box[2] is not None:
            raise box[2]
        return box[1]  # type: ignore[no-any-return]

    def attach(self) -> None:
        """Make this prompter able to ask from worker threads; call it once on the UI thread."""
        if self._ui is None:
            self._ui = _UiThread()


__all__ = ["FacilityPassphraseDialog", "KeyPassphraseDialog", "PinDialog", "QtPrompter"]
