"""The window's texts for the reports screens: key → (Persian, English), merged into `ui.strings.STRINGS`."""

from __future__ import annotations

REPORTS: dict[str, tuple[str, str]] = {}
