"""A PKCS#11 library stand-in that forwards to the real SoftHSM2 library and misbehaves on request.

SoftHSM2 never empties a slot and never locks a PIN, so removal, PIN-pad readers and token PIN flags are
simulated here, one layer above the real library, with every call recorded with the thread it ran on.
"""

from __future__ import annotations

import threading
from typing import Any

import pkcs11
from pkcs11 import TokenFlag


class Faults:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.sign_error: type[Exception] | None = None  # raised by the next key.sign
        self.hidden: set[str] = set()  # token labels whose slot looks empty
        self.extra_flags = 0  # OR-ed into token.flags
        self.pin_pad_pin: str | None = None  # if set, the token has a PIN pad "typed" with this PIN
        self.opens: list[str] = []  # how each login was attempted: "pin", "pad", "none"


def _wrap(value: Any, faults: Faults) -> Any:
    if isinstance(value, list):
        return [_wrap(v, faults) for v in value]
    from_pkcs11 = any((k.__module__ or "").startswith("pkcs11") for k in type(value).__mro__[:-1])
    if from_pkcs11 and not isinstance(value, (int, str, bytes, set, frozenset)):
        return Faulty(value, faults)
    if hasattr(value, "__next__"):  # python-pkcs11 searches are generators
        return [_wrap(v, faults) for v in value]
    return value


class Faulty:
    def __init__(self, target: Any, faults: Faults) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_faults", faults)

    def __getitem__(self, key: Any) -> Any:
        return self._target[key]

    def __getattr__(self, name: str) -> Any:
        target, faults = self._target, self._faults
        value = getattr(target, name)
        if name == "flags" and isinstance(value, TokenFlag) and hasattr(target, "serial"):
            flags = value | faults.extra_flags
            if faults.pin_pad_pin is not None:
                flags |= TokenFlag.PROTECTED_AUTHENTICATION_PATH
            return TokenFlag(flags)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            faults.calls.append((name, threading.get_ident()))
            if name == "get_slots":
                slots = value(*args, **kwargs)
                return [Faulty(s, faults) for s in slots if s.get_token().label not in faults.hidden]
            if name == "open" and "user_pin" in kwargs:
                pin = kwargs["user_pin"]
                if pin is pkcs11.PROTECTED_AUTH:
                    faults.opens.append("pad")
                    kwargs["user_pin"] = faults.pin_pad_pin
                else:
                    faults.opens.append("pin")
            if name == "sign" and faults.sign_error is not None:
                error, faults.sign_error = faults.sign_error, None
                raise error()
            return _wrap(value(*args, **kwargs), faults)

        return call
