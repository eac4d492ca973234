"""Who is at the keyboard: the login with the user's token and PIN (or key file and passphrase), the lock
after an idle time or when the token is pulled out, and the unlock that needs the PIN again.

- The person's name comes from the signing certificate (`Signer.identity()`), shown in the title bar.
- Every signature needs a logged-in token: while locked, the workstation's user signer is a stand-in that
  refuses to sign, and the token itself is logged out (its PIN is not kept anywhere, so it must be typed
  again); unlocking logs in afresh, and only as the same person.
- Nothing typed is lost: the lock hides the work and leaves every page as it was.
- The facility seal (token or key file) is opened once after the first login; it signs with every
  prescription and authenticates the sync, which goes on while the window is locked.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from app.errors import NoskheError
from app.signing import SignatureRole, SignerIdentity
from ui.common.operations import Changes, Op
from ui.common.taskman import Lane

if TYPE_CHECKING:
    from app.prompter import Prompter
    from app.signing import Signature, Signer
    from app.workstation import Workstation
    from ui.common.host import Host

log = logging.getLogger(__name__)
DEFAULT_IDLE_MINUTES = 5
_ACTIVITY = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.TouchBegin)


class LockedSigner:
    """The user's signer while the window is locked: it signs nothing."""

    def __init__(self, role: SignatureRole, who: SignerIdentity | None) -> None:
        self.role, self.who = role, who

    def identity(self) -> SignerIdentity:
        raise self._locked()

    def sign(self, data: bytes) -> Signature:
        raise self._locked()

    @staticmethod
    def _locked() -> NoskheError:
        return NoskheError(
            "The window is locked: enter your PIN to sign.", "پنجره قفل است: برای امضا رمز خود را وارد کنید."
        )


# ---- operations -----------------------------------------------------------------------------------------


def credential_of(ws: Workstation) -> tuple[str, str] | None:
    """What the user logs in with: `("token", label)` or `("key-file", path)`, None when nothing is set."""
    p12 = ws.setting("signing.user_p12")
    if p12:
        return ("key-file", p12)
    label = ws.setting("signing.user_token", "NOSKHE_TOKEN_LABEL")
    return ("token", label) if label else None


def log_in(ws: Workstation, prompter: Prompter, secret: str) -> Op[tuple[SignerIdentity, Signer]]:
    """Log in to the user's token with `secret` (its PIN; empty on a PIN-pad reader) or open the user's
    key file with it; returns who the certificate names and the signer. Raises `WrongPin` (with the tries
    left), `PinLocked`, `TokenRemoved`, `KeyFileError`, `ConfigError`, certificate refusals."""

    def work() -> tuple[SignerIdentity, Signer]:
        purpose = "user-p12" if ws.setting("signing.user_p12") else "user"
        answer = getattr(prompter, "answer_next", None)  # a scripted prompter (tests) answers by itself
        if answer is not None:
            answer(purpose, secret)
        try:
            ws.forget_user()
            signer = ws.user_signer()
            return signer.identity(), signer
        finally:
            if answer is not None:
                answer(purpose, None)

    return Op(work, lane=Lane.NETWORK, changes=Changes(session=True))


def open_seal(ws: Workstation) -> Op[Signer]:
    """Open the facility seal (its PIN or key passphrase asked in a dialog when needed)."""
    return Op(ws.seal, lane=Lane.NETWORK)


def log_out_token(signer: Signer, reason: str) -> Op[None]:
    """Log the user's token out (a lock); a key file has nothing to log out."""
    from smartcard.signer import TokenSigner

    def work() -> None:
        if isinstance(signer, TokenSigner):
            signer.session.lock(reason)

    return Op(work, lane=Lane.NETWORK)


# ---- the session ----------------------------------------------------------------------------------------


class UserSession(QObject):
    """`state`: `out` (nobody logged in), `in`, or `locked` (`reason`: `idle`, `removed`, `manual`).
    `changed` fires on every change; `seal_ready` once the facility seal is open."""

    changed = Signal()
    seal_ready = Signal()
    login_failed = Signal(str)

    def __init__(self, host: Host, prompter: Prompter) -> None:
        super().__init__(host)
        self.host, self.prompter = host, prompter
        self.state = "out"
        self.reason = ""
        self.identity: SignerIdentity | None = None
        self.signer: Signer | None = None
        self.seal_open = False
        self.busy = False
        self._watched: set[int] = set()
        self.idle = QTimer(self, singleShot=True)
        self.idle.timeout.connect(lambda: self.lock("idle"))
        self.set_idle_minutes(DEFAULT_IDLE_MINUTES)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    # ---- settings ---------------------------------------------------------------------------------

    def set_idle_minutes(self, minutes: float) -> None:
        """Lock after `minutes` without a key or a click (0: never)."""
        self.idle_ms = int(max(0.0, minutes) * 60_000)
        self.idle.setInterval(self.idle_ms or 1)
        if self.state == "in":
            self._restart_idle()

    def _restart_idle(self) -> None:
        if self.idle_ms and self.state == "in":
            self.idle.start()
        else:
            self.idle.stop()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if self.state == "in" and event.type() in _ACTIVITY:
            self._restart_idle()
        return False

    # ---- logging in and unlocking -----------------------------------------------------------------

    def log_in(self, secret: str) -> None:
        """Log in (or unlock) with `secret`; `changed` on success, `login_failed(message)` otherwise."""
        if self.busy:
            return
        self.busy = True
        self.changed.emit()
        log_in(self.host.ws, self.prompter, secret).success(self._logged_in).failure(
            self._failed
        ).with_progress(self.host.words("progress_login")).run(self.host)

    def _logged_in(self, result: tuple[SignerIdentity, Signer]) -> None:
        who, signer = result
        self.busy = False
        if self.state == "locked" and self.identity is not None and not _same_person(self.identity, who):
            self._relock()
            self.login_failed.emit(self.host.words("unlock_other_person", name=self.identity.name))
            self.changed.emit()
            return
        self.state, self.reason, self.identity, self.signer = "in", "", who, signer
        self._watch_removal(signer)
        self._restart_idle()
        self.changed.emit()
        if not self.seal_open:
            self.open_seal()

    def open_seal(self) -> None:
        """Open the facility seal; a wrong PIN asks again, saying how many tries are left."""
        open_seal(self.host.ws).success(self._seal_opened).failure(self._seal_failed).run(self.host)

    def _seal_opened(self, _seal: Signer) -> None:
        self.seal_open = True
        self.seal_ready.emit()

    def _seal_failed(self, exc: Exception) -> None:
        if getattr(exc, "code", "") == "wrong-pin" and hasattr(self.prompter, "pin_note"):
            self.prompter.pin_note = self.host.words.message(exc)
            self.open_seal()
            return
        self.host.show_error(exc)  # cancelled, locked, not configured: signing will ask again

    def _failed(self, exc: Exception) -> None:
        self.busy = False
        if self.state == "locked":
            self._relock()
        self.login_failed.emit(self.host.words.message(exc))
        self.changed.emit()

    # ---- locking ----------------------------------------------------------------------------------

    def lock(self, reason: str = "manual") -> None:
        """Lock now: the work is hidden, the token logged out, signing refused until the PIN again."""
        if self.state != "in":
            return
        log.info("window locked (%s)", reason)
        self.state, self.reason = "locked", reason
        self.idle.stop()
        signer, self.signer = self.signer, None
        self._relock()
        if signer is not None:
            log_out_token(signer, reason).failure(lambda _exc: None).run(self.host)
        self.changed.emit()
        self.host.changes.publish(Changes(session=True))

    def log_out(self, reason: str = "logout") -> None:
        """End this person's session (the end of a shift, or another person at a locked window): the token
        logged out, signing refused, the login screen open to anyone (`app.services.users` records it)."""
        if self.state == "out" or self.busy:
            return
        log.info("logged out (%s)", reason)
        signer, self.signer = self.signer, None
        self.idle.stop()
        self.state, self.reason, self.identity = "out", reason, None
        self._relock()
        if signer is not None:
            log_out_token(signer, reason).failure(lambda _exc: None).run(self.host)
        self.changed.emit()
        self.host.changes.publish(Changes(session=True))

    def _relock(self) -> None:
        self.host.ws.use_signers(user=LockedSigner(self.host.ws.user_role, self.identity))  # type: ignore[arg-type]

    def _watch_removal(self, signer: Signer) -> None:
        from smartcard.signer import TokenSigner

        if not isinstance(signer, TokenSigner) or id(signer.session) in self._watched:
            return
        self._watched.add(id(signer.session))
        tasks = self.host.tasks

        def on_token(_session: Any, event: str, reason: str) -> None:  # on the token thread
            if event == "absent" or (event == "locked" and reason == "removed"):
                tasks.run_on_main(lambda: self.lock("removed"))

        signer.session.add_listener(on_token)


def _same_person(a: SignerIdentity, b: SignerIdentity) -> bool:
    if a.national_code and b.national_code:
        return a.national_code == b.national_code
    return a.name == b.name


__all__ = ["LockedSigner", "UserSession", "credential_of", "log_in", "log_out_token", "open_seal"]
