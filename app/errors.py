"""Errors a user can cause, each with one clear message in Persian and in English.

They are raised by the core and caught at the edges (CLI, UI), which show the message and never a traceback.
"""

from __future__ import annotations

import re

#: C0/C1 controls (CR, LF, ESC…) and the bidi embeddings, overrides and isolates: in a message they would
#: split one refusal over several lines or reorder it. ZWNJ and the marks Persian text needs stay.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


#: a run of this many characters without a space (a path or value pasted 10,000 characters long) is shown
#: by its start and end
_LONG_RUN = re.compile(r"\S{161,}")


def shorten(text: str, keep: int = 160) -> str:
    """`text` whole up to `keep` characters, else its start and end around `…`."""
    return text if len(text) <= keep else f"{text[: keep // 2]}…{text[-keep // 2 :]}"


def printable(text: str) -> str:
    """`text` with every control character and bidi override/isolate shown as `\\xNN`/`\\uNNNN`, so a
    message quoting what a user typed stays one line in its reading order; a run of over 160 characters
    without a space is shortened to its start and end."""
    text = _LONG_RUN.sub(lambda m: shorten(m.group()), text)
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


class NoskheError(Exception):
    """Base of every user-facing error. `fa` and `en` are complete sentences, kept one line (control
    characters and bidi overrides quoted from input are escaped, see `printable`)."""

    #: a short stable code, for machines (JSON output, tests)
    code = "error"

    def __init__(self, en: str, fa: str, **details: object) -> None:
        en, fa = printable(en), printable(fa)
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


class DiskFull(StoreError):
    """The disk holding `details['where']` has no room: nothing was half-written, the user frees space."""

    code = "disk-full"

    def __init__(self, where: object, *, kept: str | None = None) -> None:
        if kept:  # a draft was saved before the disk filled up (its signing is what failed)
            en, fa = f"Disk full: free space in {where}.", f"دیسک پر است: در {where} جا باز کنید."
        else:
            en = f"Disk full: free space in {where} and try again; nothing was saved half-way."
            fa = f"دیسک پر است: در {where} جا باز کنید و دوباره تلاش کنید؛ چیزی نیمه‌کاره ذخیره نشد."
        super().__init__(en, fa, where=str(where))


class StoreDamaged(StoreError):
    """The local database fails its integrity check (or is missing beside its key file): it is not opened
    or written; the way out is restoring the latest backup."""

    code = "store-damaged"


class EditConflict(StoreError):
    """Another save of the same prescription came first (another window, terminal or workstation process):
    this one was refused so no version number is used twice and no saved edit is overwritten."""

    code = "edit-conflict"


class NotFound(NoskheError):
    code = "not-found"


class ConfigError(NoskheError):
    code = "config"
