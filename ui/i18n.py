"""The window's words in Persian (first) and English, and how numbers, money, times and mixed text are shown.

- Every text a person reads comes from `Words` (`ui.strings` holds the table); `words.lang` may change while
  the program runs (Settings → language) and each widget's `retranslate()` reads it again.
- Persian: Persian digits, Jalali dates in Iran time (`app.timefmt`), and Latin runs ("500 mg", "ATC
  J01CA04") isolated left-to-right (`ltr`), so a right-to-left line does not show "mg 500".
- Qt's own words (OK, Cancel, Yes, No in its dialogs) come from Qt's translation files (`qt_translator`).
"""

from __future__ import annotations

import datetime as dt
import re

from app.text import to_ascii_digits, to_persian_digits
from ui.strings import STRINGS

LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"  # left-to-right / right-to-left isolate … pop (Unicode 6.3)
FSI = "\u2068"  # first-strong isolate: the run takes the direction of its own first letter
_ARABIC = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff"
_RTL_RUN = re.compile(rf"[{_ARABIC}][{_ARABIC}\u200c\u200d]*(?:[ \t]+[{_ARABIC}][{_ARABIC}\u200c\u200d]*)*")
_TOKEN = r"[A-Za-z0-9۰-۹٠-٩/~.][A-Za-z0-9۰-۹٠-٩.,٫/%+µ_:-]*"
# a Latin run, with a Persian word written right after its colon ("unique-id:مقدار", a shape to type)
_LATIN_RUN = re.compile(rf"{_TOKEN}(?:[ \t]+{_TOKEN})*(?:(?<=:)[{_ARABIC}][{_ARABIC}\u200c]*)?")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


class Verbatim(str):
    """A value put into a text exactly as it is (`Words.__call__` leaves its digits and direction alone)."""


def isolate_path(path: object) -> Verbatim:
    """A file path as a line of either direction shows it: one left-to-right isolate, its digits as
    written ("/home/dr/keys/gp-1.p12" never turns into "p12.gp-1/keys/…" in a right-to-left line)."""
    text = str(path)
    return Verbatim(f"{LRI}{text}{PDI}" if text else text)


def ltr(text: str) -> str:
    """`text` with each run of Latin words and the numbers beside them ("۵۰۰ mg", "250 mg/5 ml",
    "noskhe sync run") wrapped in a left-to-right isolate; runs with no Latin letter are left alone."""
    if not text or not _LATIN_LETTER.search(text):
        return text

    def wrap(m: re.Match[str]) -> str:
        run = m.group(0)
        return f"{LRI}{run}{PDI}" if _LATIN_LETTER.search(run) else run

    return _LATIN_RUN.sub(wrap, text)


def rtl_runs(text: str) -> str:
    """`text` with each run of Persian words isolated right-to-left, for an English screen (a Persian
    name beside a number or a parenthesis keeps its place)."""
    return _RTL_RUN.sub(lambda m: f"{RLI}{m.group(0)}{PDI}", text) if text else text


_HYPHENED = re.compile(r"(?<![\u2066۰-۹])[۰-۹]+(?:[-\u2010\u2011][۰-۹]+)+")


def _hyphened(text: str) -> str:
    """Persian-digit runs joined by hyphens (a newborn's "۰۰۱۲۳۴۵۶۷۹-۱", a phone number) isolated
    left-to-right: a hyphen between Persian digits is neutral, and a right-to-left line would show
    "۱-۰۰۱۲۳۴۵۶۷۹"."""
    return (
        _HYPHENED.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", text) if "-" in text or "\u2010" in text else text
    )


def persian_text(text: str) -> str:
    """`text` as a Persian screen shows it: Persian digits, except inside Latin words and codes
    ("ui-gp-1", "J01CA04"); each Latin run isolated left-to-right, a lone number in it in Persian digits
    ("500 mg" → "۵۰۰ mg", kept in that order)."""
    out, pos = [], 0
    for m in _LATIN_RUN.finditer(text):
        run = m.group(0)
        if not _LATIN_LETTER.search(run):
            continue
        out.append(_hyphened(to_persian_digits(text[pos : m.start()])))
        words = [
            to_persian_digits(t) if not _LATIN_LETTER.search(t) else t for t in re.split(r"([ \t]+)", run)
        ]
        out.append(f"{LRI}{''.join(words)}{PDI}")
        pos = m.end()
    out.append(_hyphened(to_persian_digits(text[pos:])))
    return "".join(out)


_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script (not a digit of any)
_ISOLATES = (LRI, RLI, FSI)


def _unit(text: str) -> str:
    """`text` as one first-strong isolate when it has a letter (a name, a code, a message) and is not
    already one; numbers and empty values are left as they are."""
    if not text or not _LETTER.search(text) or (text[0] in _ISOLATES and text.endswith(PDI)):
        return text
    return f"{FSI}{text}{PDI}"


class Words:
    """The words of one language (`fa` or `en`; `lang` may be changed at run time)."""

    def __init__(self, lang: str = "fa") -> None:
        self.lang = lang

    @property
    def rtl(self) -> bool:
        return self.lang == "fa"

    def __call__(self, key: str, **kw: object) -> str:
        """The text `key` in this language, each `{field}` filled with its value as this language shows it
        (Persian digits in Persian) and, when it holds a letter of either script, isolated as one unit
        (`FSI` … `PDI`): a Persian name in an English sentence, or a Latin code in a Persian one, keeps its
        own order and does not move the punctuation around it ("New prescription: علی صادقی")."""
        fa, en = STRINGS[key]
        if self.lang == "fa":  # Persian digits, Latin runs isolated left-to-right
            return fa.format(
                **{k: v if isinstance(v, Verbatim) else _unit(persian_text(str(v))) for k, v in kw.items()}
            )
        return en.format(
            **{
                k: _unit(rtl_runs(v)) if isinstance(v, str) and not isinstance(v, Verbatim) else v
                for k, v in kw.items()
            }
        )

    def pick(self, fa: str | None, en: str | None) -> str:
        """The one of two texts (a message, a name) in this language, the other when it is missing."""
        text = (fa or en) if self.lang == "fa" else (en or fa)
        return self.text(text or "")

    def text(self, value: str) -> str:
        """Free text as this language shows it (`persian_text` in Persian; Persian runs isolated in
        English)."""
        return persian_text(value) if self.lang == "fa" else rtl_runs(value)

    def isolated(self, value: str) -> Verbatim:
        """A name or other free text put into a sentence as one unit (`FSI` … `PDI`): a Persian name with
        a parenthesis or a code ("احمدی (۰۰۱۲۳۴۵۶۷۹)", "Dr. X (MC-123)") keeps its own order whatever the
        line's direction and whatever stands beside it."""
        if not value:
            return Verbatim(value)
        # in English the name is not cut into right-to-left runs: the isolate takes the direction of its
        # first letter, so a Persian name's parenthesis stays on its left
        inner = persian_text(value) if self.lang == "fa" else value
        return Verbatim(f"{FSI}{inner}{PDI}")

    def instructions(self, value: str) -> str:
        """A dose instruction as this language shows it: every digit Persian in Persian ("1 cap every 8h"
        → "۱ cap every ۸h"), every digit Latin in English; the Latin run isolated left-to-right so
        "۵۰۰ mg" reads right in a right-to-left line (Persian runs isolated in English)."""
        if not value:
            return value
        if self.lang == "fa":
            return ltr(to_persian_digits(value))
        latin = to_ascii_digits(value)
        if _RTL_RUN.search(latin) and not _LATIN_LETTER.search(latin):
            return f"{RLI}{latin}{PDI}"  # a Persian instruction whole, its numbers in their places
        return rtl_runs(latin)

    def code(self, value: str) -> Verbatim:
        """An id or code ("7027692473-1", "AB123456", a national code) as one left-to-right unit, so a
        right-to-left line never shows "۱-۷۰۲۷۶۹۲۴۷۳"; in Persian its digits are Persian unless it has
        Latin letters (a code with letters stays as written)."""
        if not value:
            return Verbatim(value)
        shown = value if self.lang != "fa" or _LATIN_LETTER.search(value) else to_persian_digits(value)
        return Verbatim(f"{LRI}{shown}{PDI}")

    def number(self, value: object) -> str:
        return _hyphened(to_persian_digits(str(value))) if self.lang == "fa" else str(value)

    def rials(self, amount: int) -> str:
        """`۱۲٬۵۰۰` in Persian (Persian thousands separator), `12,500` in English."""
        text = f"{amount:,}"
        return to_persian_digits(text).replace(",", "٬") if self.lang == "fa" else text

    def datetime(self, when: dt.datetime | str | None, *, seconds: bool = False) -> str:
        """Iran time: Jalali with Persian digits in Persian, Gregorian in English (`app.timefmt`)."""
        from app.timefmt import format_time

        return format_time(when, self.lang, seconds=seconds)

    def age(self, seconds: float | None) -> str:
        """How long ago, roughly: `۵ دقیقه` / `5 min`; `—` for None."""
        if seconds is None:
            return "—"
        s = int(seconds)
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if s >= size:
                return self(f"age_{unit}", n=s // size)
        return self("age_second", n=s)

    def message(self, exc: BaseException) -> str:
        """An error as one line in this language (a `NoskheError`'s own message, else a generic one)."""
        message = getattr(exc, "message", None)
        if callable(message):
            return self.text(str(message(self.lang)))
        return self("unexpected_error", reason=type(exc).__name__)


def qt_translator(lang: str) -> object | None:
    """Qt's own translations for `lang` (its dialogs' buttons), loaded; None for English or when missing."""
    if lang == "en":
        return None
    from PySide6.QtCore import QLibraryInfo, QTranslator

    translator = QTranslator()
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    return translator if translator.load(f"qtbase_{lang}", path) else None


_installed: object | None = None


def apply_language(lang: str) -> None:
    """Direction and Qt's own words for `lang`, for every window of the program (existing ones follow)."""
    global _installed
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    app = QCoreApplication.instance()
    if not isinstance(app, QApplication):
        return
    app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if lang == "fa" else Qt.LayoutDirection.LeftToRight)
    # numbers in spin boxes (an idle time, a quantity) in the language's digits; Latin digits are still
    # accepted as typed
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QAbstractSpinBox

    locale = QLocale(QLocale.Language.Persian, QLocale.Country.Iran) if lang == "fa" else QLocale.c()
    QLocale.setDefault(locale)
    for widget in app.allWidgets():
        if isinstance(widget, QAbstractSpinBox):
            widget.setLocale(locale)
    if _installed is not None:
        app.removeTranslator(_installed)  # type: ignore[arg-type]
    _installed = qt_translator(lang)
    if _installed is not None:
        app.installTranslator(_installed)  # type: ignore[arg-type]


__all__ = [
    "FSI",
    "LRI",
    "PDI",
    "RLI",
    "Verbatim",
    "Words",
    "apply_language",
    "isolate_path",
    "ltr",
    "persian_text",
    "qt_translator",
    "rtl_runs",
]
