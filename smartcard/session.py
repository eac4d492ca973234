"""One token's shared session: login (PIN or PIN pad), PIN-try bookkeeping, credentials, raw signing, locking.

Every method that touches PKCS#11 runs on the module's token thread. State changes are reported to
listeners on that thread (the UI re-posts them to its own). A PIN is used for one login and dropped: it is
never stored, logged, put in an exception or shown by a repr, so after a lock the user types it again.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pkcs11
from cryptography import x509
from pkcs11 import Attribute, ObjectClass

from smartcard.errors import (
    LoginRequired,
    NoSigningKey,
    PinLocked,
    PinRequired,
    TokenError,
    TokenRemoved,
    WrongPin,
)
from smartcard.identity import key_usages
from smartcard.tokens import Pkcs11Module, TokenInfo, token_info

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

# Wrong PINs per token serial, in this process. Tokens that report nothing (or only "count low", as
# SoftHSM2 does) still lock after their own limit; we stop at the configured limit so we never cause it.
_failures: dict[str, int] = {}
_failures_lock = threading.Lock()


class Pin:
    """A PIN that does not show itself: repr/str are masked and it cannot be pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @classmethod
    def of(cls, value: "str | Pin | None") -> "Pin | None":
        return value if value is None or isinstance(value, Pin) else cls(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Pin(****)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a PIN is not serialisable")


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
        return "rsa" if isinstance(pub, rsa.RSAPublicKey) else "ec" if isinstance(pub, ec.EllipticCurvePublicKey) else "other"


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
            except Exception:  # noqa: BLE001 — a listener must not break the token thread
                log.exception("token listener failed")

    # ---- login -------------------------------------------------------------------------------------
    def login(self, pin: "str | Pin | None" = None) -> None:
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
        self._refuse_if_locked(info)
        if pin is None and not info.pin_pad:
            raise PinRequired(
                f"Enter the PIN of token {self.label!r}.", f"رمز توکن «{self.label}» را وارد کنید."
            )
        log.debug("logging in to token %r (%s)", self.label, "PIN pad" if pin is None else "PIN")
        try:
            session = token.open(user_pin=pkcs11.PROTECTED_AUTH if pin is None else pin.reveal())
        except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid):
            raise self._wrong_pin() from None
        except pkcs11.PinLocked:
            raise self._locked_by_token() from None
        except pkcs11.UserAlreadyLoggedIn:
            session = token.open()  # the login state is shared by the whole process: this session has it
        except REMOVAL_ERRORS:
            raise self._removed_error() from None
        with _failures_lock:
            _failures.pop(self.serial, None)
        self._session = session
        self._mechanisms = frozenset(slot.get_mechanisms())
        self._load_credentials()
        self.state, self.lock_reason = SessionState.READY, ""
        log.info("token %r logged in, %d signing credential(s)", self.label, len(self._credentials))
        self._notify("ready")

    def _refuse_if_locked(self, info: TokenInfo) -> None:
        if info.pin_locked:
            raise self._locked_by_token()
        limit = self.module.config.pin_try_limit
        with _failures_lock:
            failures = _failures.get(self.serial, 0)
        if failures >= limit:
            raise PinLocked(
                f"Noskhe stopped after {failures} wrong PINs on token {self.label!r} so that the token "
                "itself does not lock. Check the PIN and restart Noskhe to try again.",
                f"نسخه پس از {failures} بار رمز نادرست برای توکن «{self.label}» دیگر تلاش نمی‌کند تا خود "
                "توکن قفل نشود. رمز را بررسی کنید و برنامه را دوباره باز کنید.",
                by="noskhe", failures=failures, limit=limit,
            )

    def _locked_by_token(self) -> PinLocked:
        return PinLocked(
            f"The PIN of token {self.label!r} is locked. Unlock it with its PUK / security-officer PIN, "
            "or ask the card's issuer to unblock it.",
            f"رمز توکن «{self.label}» قفل شده است. آن را با PUK یا رمز مدیر توکن باز کنید یا از صادرکنندهٔ "
            "کارت بخواهید آن را باز کند.",
            by="token",
        )

    def _wrong_pin(self) -> TokenError:
        limit = self.module.config.pin_try_limit
        with _failures_lock:
            failures = _failures[self.serial] = _failures.get(self.serial, 0) + 1
        log.info("wrong PIN for token %r (%d counted)", self.label, failures)
        try:
            now = token_info(*self._find())
        except TokenRemoved as exc:
            return exc
        if now.pin_locked:
            return self._locked_by_token()
        if now.pin_final_try:
            return WrongPin(
                f"Wrong PIN. Token {self.label!r} reports ONE try left before it locks.",
                f"رمز نادرست است. توکن «{self.label}» می‌گوید فقط یک بار دیگر می‌توانید تلاش کنید.",
                tries_left=1, failures=failures, limit=limit, token_reports="final-try",
            )
        if failures >= limit:
            self._refuse_if_locked(now)  # raises PinLocked(by="noskhe")
        left = limit - failures
        if now.pin_count_low:
            return WrongPin(
                f"Wrong PIN. Token {self.label!r} reports that few tries remain; Noskhe has counted "
                f"{failures} wrong PIN(s) and stops at {limit} (configured limit): {left} left.",
                f"رمز نادرست است. توکن «{self.label}» می‌گوید دفعات باقی‌مانده کم است؛ نسخه {failures} بار "
                f"رمز نادرست شمرده و در {limit} بار متوقف می‌شود: {left} بار دیگر.",
                tries_left=left, failures=failures, limit=limit, token_reports="count-low",
            )
        return WrongPin(
            f"Wrong PIN. Token {self.label!r} does not report tries left; Noskhe has counted {failures} "
            f"wrong PIN(s) and stops at {limit} (configured limit): {left} left.",
            f"رمز نادرست است. توکن «{self.label}» تعداد دفعات باقی‌مانده را نمی‌گوید؛ نسخه {failures} بار رمز "
            f"نادرست شمرده و در {limit} بار متوقف می‌شود: {left} بار دیگر.",
            tries_left=left, failures=failures, limit=limit, token_reports=None,
        )

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
            found = list(self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: cid}))
            if len(found) != 1:
                found = list(self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}))
            if len(found) != 1:
                continue
            keys[cid] = found[0]
            creds.append(Credential(cert, cid, label, frozenset(usages)))
        # non-repudiation certificates first: national cards also carry an authentication certificate
        creds.sort(key=lambda c: ("non_repudiation" not in c.key_usages, "digital_signature" not in c.key_usages))
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

    def submit_sign(self, credential: Credential, data: bytes, sign_kwargs: dict[str, Any]) -> "concurrent.futures.Future[bytes]":
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
            raise self._removed_error() if self.lock_reason == "removed" else LoginRequired(
                f"Log in to token {self.label!r} first.", f"ابتدا با رمز توکن «{self.label}» وارد شوید."
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
            try:
                session.close()
            except pkcs11.PKCS11Error:
                pass  # the token is gone or the session already invalid: nothing to log out of
        if was_ready:
            log.info("token %r session locked (%s)", self.label, reason)
            self._notify("locked", reason)

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
            probe = {Attribute.CLASS: ObjectClass.CERTIFICATE}
            if self._credentials:
                probe[Attribute.ID] = self._credentials[0].key_id
            list(self._session.get_objects(probe))
        except TokenRemoved:
            self._lock_now("removed")
            self._notify("absent")
        except REMOVAL_ERRORS:
            self._lock_now("removed")
