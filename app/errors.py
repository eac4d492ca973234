"""Errors a user can cause, each with one clear message in Persian and in English.

They are raised by the core and caught at the edges (CLI, UI), which show the message and never a traceback.
"""

from __future__ import annotations


class NoskheError(Exception):
    """Base of every user-facing error. `fa` and `en` are complete sentences."""

    #: a short stable code, for machines (JSON output, tests)
    code = "error"

    def __init__(self, en: str, fa: str, **details: object) -> None:
        super().__init__(en)
        self.en = en
        self.fa = fa
        self.details = details

    def message(self, lang: str = "fa") -> str:
        return self.fa if lang == "fa" else self.en

    def __str__(self) -> str:
        return f"{self.en} | {self.fa}"


class InvalidIdentifier(NoskheError):
    code = "invalid-identifier"


class UnsupportedCharacters(InvalidIdentifier):
    """An identifier holds characters that do not become ASCII digits (or Latin letters, for a unique id):
    digits of another script (Bengali, Devanagari…), letters, symbols. `details['chars']` lists them."""

    code = "identifier-characters"


class InvalidDate(NoskheError):
    """A date a user typed is not a date: unreadable, or a day that does not exist in its calendar."""

    code = "invalid-date"


class IllegalTransition(NoskheError):
    code = "illegal-transition"


class StoreError(NoskheError):
    code = "store"


class WrongPassphrase(StoreError):
    code = "wrong-passphrase"


class NotFound(NoskheError):
    code = "not-found"


class ConfigError(NoskheError):
    code = "config"
