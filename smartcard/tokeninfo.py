"""What a token says about itself before anyone logs in (label, serial, PIN state flags).

Apart from `smartcard.tokens` so that the PIN policy and the session read it without importing the module
loader (which hands out sessions: the import would go round in a circle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pkcs11 import TokenFlag


@dataclass(frozen=True)
class TokenInfo:
    """What a token says about itself before anyone logs in."""

    slot_id: int
    label: str
    serial: str
    manufacturer: str
    model: str
    flags: int

    @property
    def pin_pad(self) -> bool:
        return bool(self.flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH)

    @property
    def login_required(self) -> bool:
        return bool(self.flags & TokenFlag.LOGIN_REQUIRED)

    @property
    def pin_count_low(self) -> bool:
        return bool(self.flags & TokenFlag.USER_PIN_COUNT_LOW)

    @property
    def pin_final_try(self) -> bool:
        return bool(self.flags & TokenFlag.USER_PIN_FINAL_TRY)

    @property
    def pin_locked(self) -> bool:
        return bool(self.flags & TokenFlag.USER_PIN_LOCKED)

    def pin_state(self) -> str:
        """One of: locked, final-try, count-low, ok (as the token reports it; many tokens never do)."""
        if self.pin_locked:
            return "locked"
        if self.pin_final_try:
            return "final-try"
        if self.pin_count_low:
            return "count-low"
        return "ok"


def _serial(token: Any) -> str:
    raw = token.serial
    return raw.decode("ascii", "replace").strip() if isinstance(raw, bytes) else str(raw).strip()


def token_info(slot: Any, token: Any) -> TokenInfo:
    """The `TokenInfo` of a python-pkcs11 slot and its token (call on the token thread)."""
    return TokenInfo(
        slot_id=int(slot.slot_id),
        label=str(token.label).strip(),
        serial=_serial(token),
        manufacturer=str(token.manufacturer_id).strip(),
        model=str(token.model).strip(),
        flags=int(token.flags),
    )
