"""PINs: a value that never shows itself, and the policy for wrong ones.

Never retry a PIN. Count wrong PINs per token serial — across processes when a file is given
(`keep_counts_in`: the workstation keeps `pin-tries.json` beside its store, so six `noskhe` runs with a wrong
PIN count six, not one each), in this process otherwise. Tokens that report nothing (or only "count low", as
SoftHSM2 does after any failure) still lock after their own limit, so Noskhe counts against the configured
limit (`NOSKHE_PIN_TRY_LIMIT`, default 3) and combines it with the token's flags (CKF_USER_PIN_FINAL_TRY:
one left; CKF_USER_PIN_LOCKED: none). A try that would be the last one — the one that locks the card when
it is wrong — is refused unless the user confirmed it (`allow_last_try`, or `NOSKHE_PIN_LAST_TRY=1` for a
script). A good login resets the count. Messages say who knows what: the token's own report when it gives
one, otherwise Noskhe's count against the configured limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
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
_counts_file: Path | None = None
_confirmed: set[str] = set()
#: the file beside a workstation's store that keeps the wrong-PIN counts per token serial
COUNTS_NAME = "pin-tries.json"


def keep_counts_in(directory: str | Path | None) -> None:
    """Keep the wrong-PIN counts in `directory`/`COUNTS_NAME` (mode 0600) from now on, shared by every
    process using that directory; None: in this process only."""
    global _counts_file
    with _lock:
        _counts_file = None if directory is None else Path(directory) / COUNTS_NAME


@contextlib.contextmanager
def _counts() -> Iterator[dict[str, Any]]:
    """The counts, read and written back under an exclusive lock of the file (or the in-process table
    when no file is set, or it cannot be used: a count is never lost for want of a disk)."""
    with _lock:
        path = _counts_file
        if path is None:
            table = {k: {"failures": v} for k, v in _failures.items()}
            yield table
            _failures.clear()
            _failures.update({k: int(v["failures"]) for k, v in table.items() if v.get("failures")})
            return
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            table = {k: {"failures": v} for k, v in _failures.items()}
            yield table
            _failures.update({k: int(v["failures"]) for k, v in table.items() if v.get("failures")})
            return
        with os.fdopen(fd, "r+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                try:
                    table = json.loads(fh.read() or "{}")
                    if not isinstance(table, dict):
                        table = {}
                except ValueError:  # a damaged file: start again rather than refuse every login
                    table = {}
                # what this process counted while the file could not be used is not forgotten
                for serial, n in _failures.items():
                    entry = table.setdefault(serial, {"failures": 0})
                    entry["failures"] = max(int(entry.get("failures", 0)), n)
                _failures.clear()
                before = json.dumps(table, sort_keys=True)
                yield table
                after = {k: v for k, v in table.items() if v.get("failures")}
                if json.dumps(after, sort_keys=True) != before:
                    fh.seek(0)
                    fh.truncate()
                    fh.write(json.dumps(after, ensure_ascii=False, sort_keys=True))
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:  # disk full: keep counting in this process
                _failures.update({k: int(v.get("failures", 0)) for k, v in table.items()})
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def failures(serial: str) -> int:
    """Wrong PINs counted for token `serial` since its last good login (every process, when kept in a
    file)."""
    with _counts() as table:
        return int(table.get(serial, {}).get("failures", 0))


def record_failure(serial: str, label: str = "") -> int:
    """Count one more wrong PIN for `serial`; returns the new count."""
    with _counts() as table:
        entry = table.setdefault(serial, {"failures": 0})
        entry["failures"] = int(entry.get("failures", 0)) + 1
        entry["label"] = label or entry.get("label", "")
        entry["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return int(entry["failures"])


def forget_failures(serial: str) -> None:
    """After a good login: the token's counter is reset too."""
    with _counts() as table:
        table.pop(serial, None)
    with _lock:
        _confirmed.discard(serial)


def allow_last_try(serial: str) -> None:
    """The user confirmed that the next login on token `serial` may be its last try (it locks the card
    when the PIN is wrong): it is allowed once."""
    with _lock:
        _confirmed.add(serial)


def tries_left(info: TokenInfo, limit: int) -> int:
    """Tries left before the token locks, as far as anyone knows: the token's own flags (locked: 0, final
    try: 1) combined with Noskhe's count against `limit`; never below 0."""
    if info.pin_locked:
        return 0
    left = max(0, limit - failures(info.serial))
    return min(left, 1) if info.pin_final_try else left


def last_try_question(info: TokenInfo, limit: int) -> str | None:
    """The question to ask (both languages) before a login that would be the token's last try, or None
    when it is not (or it is locked, or already confirmed)."""
    if info.pin_locked or tries_left(info, limit) > 1 or _last_try_confirmed(info.serial, consume=False):
        return None
    return (
        f"Token {info.label!r} has at most one PIN try left: a wrong PIN now locks it (only its PUK opens it "
        f"again). Try anyway? | توکن «{info.label}» حداکثر یک بار دیگر رمز می‌پذیرد و با رمز نادرست قفل "
        "می‌شود. با این حال تلاش شود؟"
    )


def _last_try_confirmed(serial: str, *, consume: bool) -> bool:
    if os.environ.get("NOSKHE_PIN_LAST_TRY") == "1":
        return True
    with _lock:
        if serial in _confirmed:
            if consume:
                _confirmed.discard(serial)
            return True
    return False


def locked_by_token(label: str) -> PinLocked:
    return PinLocked(
        f"The PIN of token {label!r} is locked. Unlock it with its PUK / security-officer PIN, "
        "or ask the card's issuer to unblock it.",
        f"رمز توکن «{label}» قفل شده است. آن را با PUK یا رمز مدیر توکن باز کنید یا از صادرکنندهٔ "
        "کارت بخواهید آن را باز کند.",
        by="token",
    )


def refusal_before_login(info: TokenInfo, limit: int) -> PinLocked | None:
    """Why not to try a PIN on this token now, or None: the token is locked, or the try would be its last
    (Noskhe's count and the token's flags combined) and the user has not confirmed it (`allow_last_try`,
    `NOSKHE_PIN_LAST_TRY=1`); a confirmation is used up by the try it allowed."""
    if info.pin_locked:
        return locked_by_token(info.label)
    left = tries_left(info, limit)
    if left > 1 or _last_try_confirmed(info.serial, consume=True):
        return None
    count = failures(info.serial)
    if info.pin_final_try and count < limit - 1:
        why_en, why_fa = "the token reports one try left", "توکن می‌گوید یک بار دیگر می‌توان تلاش کرد"
    else:
        why_en = f"after {count} wrong PIN(s) (counted across restarts, limit {limit})"
        why_fa = f"پس از {count} بار رمز نادرست (در همهٔ اجراها شمرده‌شده، حد {limit})"
    return PinLocked(
        f"Noskhe did not try the PIN of token {info.label!r}: {why_en}, a wrong one now would lock it. Check "
        "the PIN, then confirm the last try (NOSKHE_PIN_LAST_TRY=1 for a script), or unlock the token with "
        "its PUK.",
        f"نسخه رمز توکن «{info.label}» را امتحان نکرد: {why_fa}، و رمز نادرست دیگری آن را قفل می‌کند. "
        "رمز را بررسی کنید و آخرین تلاش را تأیید کنید، یا توکن را با PUK باز کنید.",
        by="noskhe",
        failures=count,
        limit=limit,
        tries_left=left,
        last_try=True,
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
    left = max(0, limit - count)
    if left == 0:
        return PinLocked(
            f"Wrong PIN. Token {label!r} does not say it is locked, but Noskhe has counted {count} wrong "
            f"PIN(s) (limit {limit}): it may be locked now. Unlock it with its PUK, or confirm another try "
            "only if you are sure it has tries left.",
            f"رمز نادرست است. نسخه {count} بار رمز نادرست شمرده است و توکن «{label}» شاید قفل شده "
            "باشد. آن را با PUK باز کنید.",
            by="noskhe", failures=count, limit=limit, tries_left=0, last_try=True,
        )  # fmt: skip
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
