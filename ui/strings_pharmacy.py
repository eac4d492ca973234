"""The window's texts for the pharmacy screens: key → (Persian, English), merged into `ui.strings.STRINGS`."""

from __future__ import annotations

PHARMACY: dict[str, tuple[str, str]] = {}
