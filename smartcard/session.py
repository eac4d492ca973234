"""One token's shared session: login (PIN or PIN pad), credentials, raw signing, locking on removal.

Every method that touches PKCS#11 runs on the module's token thread. State changes are reported to
listeners on that thread (the UI re-posts them to its own). A PIN is used for one login and dropped: it is
never stored, logged, put in an exception or shown by a repr, so after a lock the user types it again.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import pkcs11
from cryptography import x509
from pkcs11 import Attribute, ObjectClass

from smartcard import pins
from smartcard.errors import LoginRequired, NoSigningKey, PinRequired, TokenError, TokenRemoved
from smartcard.identity import key_usages
from smartcard.pins import Pin
from smartcard.tokeninfo import TokenInfo, token_info

if TYPE_CHECKING:
    from smartcard.tokens import Pkcs11Module

log = logging.getLogger(__name__)

#: errors meaning the token, its reader or our session is gone
REMOVAL_ERRORS: tuple[type[Exception], ...] = (
    pkcs11.DeviceRemoved,
    pkcs11.TokenNotPresent,
    pkcs11.TokenNotRecognised,
    pkcs11.SessionHandleInvalid,
    pkcs11.SessionClosed,
    pkcs11.DeviceError,
    pkcs11.UserNotLoggedIn,
)


class SessionState(str, Enum):
    LOCKED = "locked"  # not logged in (never, or after removal / logout)
    READY = "ready"


@dataclass(frozen=True)
class Credential:
    """A certificate on the token with the private key beside it (matched by CKA_ID, else by label)."""

    certificate: x509.Certificate
    key_id: bytes
    key_label: str
    key_usages: frozenset[str]

    @property
    def key_type(self) -> str:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        pub = self.certificate.public_key()
        return (
            "rsa"
            if isinstance(pub, rsa.RSAPublicKey)
            else "ec"
            if isinstance(pub, ec.EllipticCurvePublicKey)
            else "other"
        )


Listener = Callable[["TokenSession", str, str], None]


class TokenSession:
    """The one session Noskhe holds on one token (get it from `Pkcs11Module.session()`)."""

    def __init__(self, module: Pkcs11Module, info: TokenInfo) -> None:
        self.module = module
        self.info = info
        self.state = SessionState.LOCKED
        self.lock_reason = ""
        self._session: Any = None
        self._keys: dict[bytes, Any] = {}
        self._credentials: list[Credential] = []
        self._mechanisms: frozenset[Any] = frozenset()
        self._listeners: list[Listener] = []
        self._back = False
        self._stale: list[Any] = []

    def __repr__(self) -> str:
        return f"<TokenSession {self.info.label!r} serial={self.info.serial} {self.state.value}>"

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def serial(self) -> str:
        return self.info.serial

    def add_listener(self, fn: Listener) -> None:
        """`fn(session, event, reason)`; events: ready, locked, absent, present. Called on the token thread."""
        self._listeners.append(fn)

    def _notify(self, event: str, reason: str = "") -> None:
        for fn in list(self._listeners):
            try:
                fn(self, event, reason)
            except Exception:
                log.exception("token listener failed")

    # ---- login -------------------------------------------------------------------------------------
    def login(self, pin: str | Pin | None = None) -> None:
        """Log in with `pin`, or on the reader's PIN pad when `pin` is None and the token has one.

        Raises WrongPin (with tries left as far as anyone knows), PinLocked, PinRequired, TokenRemoved.
        Never retries. Already logged in: does nothing.
        """
        self.module.thread.run(self._login, Pin.of(pin))
        self.module.start_monitor()

    def _find(self) -> tuple[Any, Any]:
        self.module.thread.assert_current()
        for slot in self.module.lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except pkcs11.PKCS11Error:
                continue
            if token_info(slot, token).serial == self.serial:
                return slot, token
        raise TokenRemoved(
            f"Token {self.label!r} is not present; insert it and enter the PIN again.",
            f"توکن «{self.label}» وصل نیست؛ آن را وصل کنید و دوباره رمز را وارد کنید.",
        )

    def _login(self, pin: Pin | None) -> None:
        if self.state is SessionState.READY:
            return
        slot, token = self._find()
        self.info = info = token_info(slot, token)
        refusal = pins.refusal_before_login(info, self.module.config.pin_try_limit)
        if refusal is not None:
            raise refusal
        if pin is None and not info.pin_pad:
            raise PinRequired(
                f"Enter the PIN of token {self.label!r}.", f"رمز توکن «{self.label}» را وارد کنید."
            )
        self._close_stale()
        log.debug("logging in to token %r (%s)", self.label, "PIN pad" if pin is None else "PIN")
        try:
            session = token.open(user_pin=pkcs11.PROTECTED_AUTH if pin is None else pin.reveal())
        except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid):
            raise self._wrong_pin() from None
        except pkcs11.PinLocked:
            raise pins.locked_by_token(self.label) from None
        except pkcs11.UserAlreadyLoggedIn:
            # PKCS#11 login is per process: accepting it would let any PIN through
            raise TokenError(
                f"Token {self.label!r} is already logged in by another part of this program; lock it there first.",
                f"توکن «{self.label}» در بخش دیگری از همین برنامه باز است؛ ابتدا آن را آنجا قفل کنید.",
            ) from None
        except REMOVAL_ERRORS:
            raise self._removed_error() from None
        pins.forget_failures(self.serial)
        self._session = session
        try:
            self._mechanisms = frozenset(slot.get_mechanisms())
            self._load_credentials()
        except REMOVAL_ERRORS:
            self._lock_now("removed")
            raise self._removed_error() from None
        self.state, self.lock_reason = SessionState.READY, ""
        log.info("token %r logged in, %d signing credential(s)", self.label, len(self._credentials))
        self._notify("ready")

    def _wrong_pin(self) -> TokenError:
        count = pins.record_failure(self.serial, self.label)
        log.info("wrong PIN for token %r (%d counted)", self.label, count)
        try:
            after = token_info(*self._find())
        except TokenRemoved as exc:
            return exc
        return pins.wrong_pin_error(after, count, self.module.config.pin_try_limit)

    def _load_credentials(self) -> None:
        self.module.thread.assert_current()
        creds, keys = [], {}
        # one search at a time per session: finish listing certificates before looking for keys
        for obj in list(self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})):
            try:
                cert = x509.load_der_x509_certificate(bytes(obj[Attribute.VALUE]))
                cid, label = bytes(obj[Attribute.ID]), str(obj[Attribute.LABEL])
            except (ValueError, pkcs11.PKCS11Error):
                continue  # not an X.509 certificate we can read; not ours to sign with
            usages = key_usages(cert)  # unsuitable usages are kept: the identity check refuses them by name
            found = list(
                self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: cid})
            )
            if len(found) != 1:
                found = list(
                    self._session.get_objects(
                        {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}
                    )
                )
            if len(found) != 1:
                continue
            keys[cid] = found[0]
            creds.append(Credential(cert, cid, label, frozenset(usages)))
        # non-repudiation certificates first: national cards also carry an authentication certificate
        creds.sort(
            key=lambda c: ("non_repudiation" not in c.key_usages, "digital_signature" not in c.key_usages)
        )
        self._credentials, self._keys = creds, keys

    # ---- use ---------------------------------------------------------------------------------------
    def credentials(self) -> list[Credential]:
        """Signing candidates on the token, non-repudiation first. Requires a login."""
        self._require_ready()
        if not self._credentials:
            raise NoSigningKey(
                f"Token {self.label!r} holds no certificate with a matching private key.",
                f"روی توکن «{self.label}» گواهی همراه با کلید خصوصی پیدا نشد.",
            )
        return list(self._credentials)

    @property
    def mechanisms(self) -> frozenset[Any]:
        return self._mechanisms

    def submit_sign(
        self, credential: Credential, data: bytes, sign_kwargs: dict[str, Any]
    ) -> concurrent.futures.Future[bytes]:
        """Queue one raw signature on the token thread. The future raises TokenRemoved/LoginRequired if
        the token went away; then nothing was signed and the session is locked."""
        return self.module.thread.submit(self._sign, credential.key_id, data, sign_kwargs)

    def _sign(self, key_id: bytes, data: bytes, sign_kwargs: dict[str, Any]) -> bytes:
        self.module.thread.assert_current()
        self._require_ready()
        try:
            return bytes(self._keys[key_id].sign(data, **sign_kwargs))
        except REMOVAL_ERRORS as exc:
            log.warning("token %r lost while signing (%s)", self.label, type(exc).__name__)
            self._lock_now("removed")
            raise self._removed_error() from None

    def _require_ready(self) -> None:
        if self.state is not SessionState.READY:
            raise (
                self._removed_error()
                if self.lock_reason == "removed"
                else LoginRequired(
                    f"Log in to token {self.label!r} first.", f"ابتدا با رمز توکن «{self.label}» وارد شوید."
                )
            )

    def _removed_error(self) -> TokenError:
        if self.module.thread.run(self._present):
            return LoginRequired(
                f"Token {self.label!r} was removed; nothing was signed. Enter the PIN again.",
                f"توکن «{self.label}» جدا شده بود و چیزی امضا نشد. دوباره رمز را وارد کنید.",
            )
        return TokenRemoved(
            f"Token {self.label!r} was removed; nothing was signed. Insert it and enter the PIN again.",
            f"توکن «{self.label}» جدا شد و چیزی امضا نشد. آن را وصل کنید و دوباره رمز را وارد کنید.",
        )

    def _present(self) -> bool:
        try:
            self._find()
            return True
        except (TokenRemoved, pkcs11.PKCS11Error):
            return False

    # ---- locking -----------------------------------------------------------------------------------
    def lock(self, reason: str = "logout") -> None:
        """Log out and forget keys; signing is refused until `login()` again."""
        self.module.thread.run(self._lock_now, reason)

    def _lock_now(self, reason: str) -> None:
        self.module.thread.assert_current()
        session, self._session = self._session, None
        self._keys, self._credentials = {}, []
        was_ready = self.state is SessionState.READY
        self.state, self.lock_reason = SessionState.LOCKED, reason
        if session is not None:
            self._stale.append(session)
        self._close_stale()
        if was_ready:
            log.info("token %r session locked (%s)", self.label, reason)
            self._notify("locked", reason)

    def _close_stale(self) -> None:
        """Log out of sessions whose logout failed earlier (a glitch, not a removal, leaves us logged in)."""
        stale, self._stale = self._stale, []
        for session in stale:
            try:
                session.close()
            except REMOVAL_ERRORS:
                pass  # the token went with it: its login state is gone too
            except pkcs11.PKCS11Error:
                self._stale.append(session)

    def poll(self) -> None:
        """Called by the monitor on the token thread: lock at once if the token or session is gone."""
        self.module.thread.assert_current()
        if self.state is not SessionState.READY:
            back = self.lock_reason == "removed" and self._present()
            if back and not self._back:
                self._notify("present")  # the UI asks for the PIN again now
            self._back = back
            return
        try:
            self._find()
            # a search finished in full (a half-read search would be closed later, on another thread)
            probe: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.CERTIFICATE}
            if self._credentials:
                probe[Attribute.ID] = self._credentials[0].key_id
            list(self._session.get_objects(probe))
        except TokenRemoved:
            self._lock_now("removed")
            self._notify("absent")
        except REMOVAL_ERRORS:
            self._lock_now("removed")
