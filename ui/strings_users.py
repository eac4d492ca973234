"""The window's texts for the users screens: key → (Persian, English), merged into `ui.strings.STRINGS`."""

from __future__ import annotations

USERS: dict[str, tuple[str, str]] = {}
