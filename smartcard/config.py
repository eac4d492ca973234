"""Per-workstation smart-card settings, read from the environment (the UI's settings dialog writes the same).

| variable | default | meaning |
|---|---|---|
| `NOSKHE_PKCS11_MODULE` | SoftHSM2 (`/usr/lib/softhsm/libsofthsm2.so`) | path of the PKCS#11 module |
| `NOSKHE_TOKEN_LABEL` | none | which token to use when several are present |
| `NOSKHE_PIN_TRY_LIMIT` | 3 | wrong PINs after which Noskhe stops trying a token itself |
| `NOSKHE_TOKEN_POLL_SECONDS` | 1.0 | how often token presence is polled |
| `NOSKHE_TRUST_LIST` | none | trust-list file or directory (otherwise the one cached in the store) |
| `NOSKHE_TRUST_LIST_MAX_AGE_DAYS` | 7 | older than this, a trust list is reported stale |

Modules: SoftHSM2 for development and tests; OpenSC (`OPENSC_MODULE`) for the national smart card
(کارت هوشمند ملی) and most PIV/CardOS cards; USB tokens (ePass, SafeNet, Gemalto, …) with their
vendor's module, given by path.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from app.errors import ConfigError

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
OPENSC_MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
DEFAULT_MODULE = SOFTHSM_MODULE
#: older than this, a trust list is reported stale (verification still works offline)
DEFAULT_TRUST_LIST_MAX_AGE = dt.timedelta(days=7)


@dataclass(frozen=True)
class SmartcardConfig:
    module_path: str = DEFAULT_MODULE
    token_label: str | None = None
    pin_try_limit: int = 3
    poll_interval: float = 1.0
    trust_list_path: str | None = None
    trust_list_max_age: dt.timedelta = DEFAULT_TRUST_LIST_MAX_AGE

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmartcardConfig:
        """Settings from `env` (default `os.environ`); a malformed number is a `ConfigError`."""
        e = os.environ if env is None else env
        try:
            return cls(
                module_path=e.get("NOSKHE_PKCS11_MODULE") or DEFAULT_MODULE,
                token_label=e.get("NOSKHE_TOKEN_LABEL") or None,
                pin_try_limit=int(e.get("NOSKHE_PIN_TRY_LIMIT", "3")),
                poll_interval=float(e.get("NOSKHE_TOKEN_POLL_SECONDS", "1.0")),
                trust_list_path=e.get("NOSKHE_TRUST_LIST") or None,
                trust_list_max_age=dt.timedelta(days=float(e.get("NOSKHE_TRUST_LIST_MAX_AGE_DAYS", "7"))),
            )
        except ValueError as exc:
            raise ConfigError(
                f"A smart-card setting is not a number: {exc}.",
                f"یکی از تنظیمات کارت هوشمند عدد نیست: {exc}.",
            ) from None
