"""PINs: a value that never shows itself, and the policy for wrong ones.

Never retry a PIN. Count wrong PINs per token serial in this process: tokens that report nothing (or only
"count low", as SoftHSM2 does after any failure) still lock after their own limit, so Noskhe stops at the
configured limit (`NOSKHE_PIN_TRY_LIMIT`) and never causes the lock. Messages say who knows what: the
token's own report when it gives one, otherwise Noskhe's count against the configured limit.
"""

from __future__ import annotations

import threading
from typing import Any

from smartcard.errors import PinLocked, WrongPin
from smartcard.tokeninfo import TokenInfo


class Pin:
    """A PIN that does not show itself: repr/str are masked and it cannot be pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @classmethod
    def of(cls, value: str | Pin | None) -> Pin | None:
        return value if value is None or isinstance(value, Pin) else cls(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Pin(****)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a PIN is not serialisable")


_failures: dict[str, int] = {}
_lock = threading.Lock()


def failures(serial: str) -> int:
    with _lock:
        return _failures.get(serial, 0)


def record_failure(serial: str) -> int:
    """Count one more wrong PIN for `serial`; returns the new count."""
    with _lock:
        _failures[serial] = _failures.get(serial, 0) + 1
        return _failures[serial]


def forget_failures(serial: str) -> None:
    """After a good login: the token's counter is reset too."""
    with _lock:
        _failures.pop(serial, None)


def locked_by_token(label: str) -> PinLocked:
    return PinLocked(
        f"The PIN of token {label!r} is locked. Unlock it with its PUK / security-officer PIN, "
        "or ask the card's issuer to unblock it.",
        f"رمز توکن «{label}» قفل شده است. آن را با PUK یا رمز مدیر توکن باز کنید یا از صادرکنندهٔ "
        "کارت بخواهید آن را باز کند.",
        by="token",
    )


def refusal_before_login(info: TokenInfo, limit: int) -> PinLocked | None:
    """Why not to try a PIN on this token at all (locked, or our limit reached), or None."""
    if info.pin_locked:
        return locked_by_token(info.label)
    count = failures(info.serial)
    if count < limit:
        return None
    return PinLocked(
        f"Noskhe stopped after {count} wrong PINs on token {info.label!r} so that the token "
        "itself does not lock. Check the PIN and restart Noskhe to try again.",
        f"نسخه پس از {count} بار رمز نادرست برای توکن «{info.label}» دیگر تلاش نمی‌کند تا خود "
        "توکن قفل نشود. رمز را بررسی کنید و برنامه را دوباره باز کنید.",
        by="noskhe",
        failures=count,
        limit=limit,
    )


def wrong_pin_error(info: TokenInfo, count: int, limit: int) -> WrongPin | PinLocked:
    """The error for a rejected PIN, from the token's flags read *after* the failure."""
    label = info.label
    if info.pin_locked:
        return locked_by_token(label)
    if info.pin_final_try:
        return WrongPin(
            f"Wrong PIN. Token {label!r} reports ONE try left before it locks.",
            f"رمز نادرست است. توکن «{label}» می‌گوید فقط یک بار دیگر می‌توانید تلاش کنید.",
            tries_left=1, failures=count, limit=limit, token_reports="final-try",
        )  # fmt: skip
    stop = refusal_before_login(info, limit)
    if stop is not None:
        return stop
    left = limit - count
    if info.pin_count_low:
        return WrongPin(
            f"Wrong PIN. Token {label!r} reports that few tries remain; Noskhe has counted "
            f"{count} wrong PIN(s) and stops at {limit} (configured limit): {left} left.",
            f"رمز نادرست است. توکن «{label}» می‌گوید دفعات باقی‌مانده کم است؛ نسخه {count} بار "
            f"رمز نادرست شمرده و در {limit} بار متوقف می‌شود: {left} بار دیگر.",
            tries_left=left, failures=count, limit=limit, token_reports="count-low",
        )  # fmt: skip
    return WrongPin(
        f"Wrong PIN. Token {label!r} does not report tries left; Noskhe has counted {count} "
        f"wrong PIN(s) and stops at {limit} (configured limit): {left} left.",
        f"رمز نادرست است. توکن «{label}» تعداد دفعات باقی‌مانده را نمی‌گوید؛ نسخه {count} بار رمز "
        f"نادرست شمرده و در {limit} بار متوقف می‌شود: {left} بار دیگر.",
        tries_left=left, failures=count, limit=limit, token_reports=None,
    )  # fmt: skip
