"""A workstation's settings: the exchange's address and which tokens or key files sign (national rules,
section 9-1/9-2 step 1: the facility's certificate; steps 3/2: the user's).

They live in the store's meta table (see the table in `app.workstation`); the environment may override
them for automation, but what is stored is what `configure` shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from app.errors import ConfigError
from app.workstation import SETTINGS, check_exchange_url

if TYPE_CHECKING:
    from app.workstation import Workstation


def configure(ws: Workstation, changes: Mapping[str, str | None]) -> dict[str, str]:
    """Store each setting of `changes` whose value is not None (an empty string clears it), then return
    every setting as stored, in `SETTINGS` order (`""` when unset). Keys are meta keys such as
    `exchange.url` or `signing.facility_p12`. Raises `ConfigError` for a key that is not a setting, or an
    exchange address that is not one (`app.workstation.check_exchange_url`: http/https, a server, a port);
    `InvalidIdentifier` for a provider's national id (`facility_national_id`) that is not one; nothing is
    stored then."""
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"Unknown setting {unknown[0]!r}.", f"تنظیم «{unknown[0]}» شناخته نیست.")
    url = changes.get("exchange.url")
    if url:
        changes = {**changes, "exchange.url": check_exchange_url(url)}
    if changes.get("facility_national_id"):  # 11 digits with their check digit, or a national code
        from app.legal import provider_national_id_of

        changes = {**changes, "facility_national_id": provider_national_id_of(changes["facility_national_id"])}
    for key, value in changes.items():
        if value is not None:
            ws.store.set_meta(key, value)
    return {key: ws.store.meta(key) or "" for key in SETTINGS}


#: what only the desktop reads (meta key → meaning); `configure` keeps the workstation's own settings
DESKTOP_SETTINGS = (
    "ui.lang",  # fa | en: the window's language
    "ui.idle_lock_minutes",  # lock the window after this many minutes without use (0: never)
    "printing.a5_printer",  # the printer for A5 paper prescriptions (empty: the system's default)
    "printing.roll_printer",  # the 80 mm roll printer for receipts
    "smartcard.module",  # the PKCS#11 module's path (NOSKHE_PKCS11_MODULE overrides it)
)


def configure_desktop(ws: Workstation, changes: Mapping[str, str | None]) -> dict[str, str]:
    """Like `configure`, for the desktop's settings (`DESKTOP_SETTINGS`): store each value that is not
    None (empty clears it), return them all as stored. Raises `ConfigError` for another key, or an idle
    time or language that cannot be."""
    unknown = sorted(set(changes) - set(DESKTOP_SETTINGS))
    if unknown:
        raise ConfigError(f"Unknown setting {unknown[0]!r}.", f"تنظیم «{unknown[0]}» شناخته نیست.")
    minutes = changes.get("ui.idle_lock_minutes")
    if minutes:
        try:
            if not 0 <= float(minutes) <= 24 * 60:
                raise ValueError(minutes)
        except ValueError:
            raise ConfigError(
                f"The idle lock time {minutes!r} must be minutes between 0 and 1440.",
                f"زمان قفل خودکار «{minutes}» باید بین ۰ تا ۱۴۴۰ دقیقه باشد.",
            ) from None
    lang = changes.get("ui.lang")
    if lang and lang not in ("fa", "en"):
        raise ConfigError(f"Language {lang!r} must be fa or en.", f"زبان «{lang}» باید fa یا en باشد.")
    for key, value in changes.items():
        if value is not None:
            ws.store.set_meta(key, value)
    return {key: ws.store.meta(key) or "" for key in DESKTOP_SETTINGS}
