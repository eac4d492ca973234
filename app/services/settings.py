"""A workstation's settings: the exchange's address and which tokens or key files sign (national rules,
section 9-1/9-2 step 1: the facility's certificate; steps 3/2: the user's).

They live in the store's meta table (see the table in `app.workstation`); the environment may override
them for automation, but what is stored is what `configure` shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from app.errors import ConfigError
from app.workstation import SETTINGS

if TYPE_CHECKING:
    from app.workstation import Workstation


def configure(ws: Workstation, changes: Mapping[str, str | None]) -> dict[str, str]:
    """Store each setting of `changes` whose value is not None (an empty string clears it), then return
    every setting as stored, in `SETTINGS` order (`""` when unset). Keys are meta keys such as
    `exchange.url` or `signing.facility_p12`. Raises `ConfigError` for a key that is not a setting."""
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"Unknown setting {unknown[0]!r}.", f"تنظیم «{unknown[0]}» شناخته نیست.")
    for key, value in changes.items():
        if value is not None:
            ws.store.set_meta(key, value)
    return {key: ws.store.meta(key) or "" for key in SETTINGS}
