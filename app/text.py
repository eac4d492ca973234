"""Normalising what people type: Persian and Arabic-Indic digits, Arabic letter variants, invisible marks.

Every identifier and every search query passes through here first, so "۰۰۱۲۳۴۵۶۷۹", "٠٠١٢٣٤٥٦٧٩" and
"001-234567-9" are the same national code, and "اموکسي" finds "آموکسی‌سیلین".
"""

from __future__ import annotations

import re
import unicodedata

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", PERSIAN_DIGITS)

# Arabic code points that Persian keyboards and old systems produce for Persian letters.
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "ه\u0654", "ة": "ه"})
# Marks that copy-paste from right-to-left text carries along and that mean nothing in a name: LRM/RLM, the
# Arabic letter mark, embeddings, isolates, the zero-width space, the word joiner and the BOM. The
# half-space (ZWNJ) and ZWJ stay: they are part of Persian spelling.
_BIDI_MARKS = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, superscript alef, tatweel
_SEARCH_FOLD = str.maketrans({"آ": "ا", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ی", "ء": ""})
ZWNJ = "\u200c"


def to_ascii_digits(text: str) -> str:
    return text.translate(_TO_ASCII)


def to_persian_digits(text: str | int) -> str:
    return str(text).translate(_TO_PERSIAN)


def strip_marks(text: str) -> str:
    return _BIDI_MARKS.sub("", text)


def strip_format_chars(text: str) -> str:
    """`text` without any Unicode format character (category Cf): direction marks, the Arabic letter mark,
    zero-width spaces and joiners (the half-space too), the word joiner, the BOM, the soft hyphen…
    For codes and dates, where none of them can mean anything; names keep their half-spaces."""
    if text.isascii():
        return text.replace("\xad", "") if "\xad" in text else text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def normalize_code(text: str) -> str:
    """What a typed or scanned code (an identifier, a date) reads as: format characters removed, NFKC
    (full-width digits and letters become ASCII, no-break spaces become spaces), Persian and Arabic-Indic
    digits become ASCII. Anything else is kept as it is, for the caller to accept or refuse."""
    text = strip_format_chars(text)
    text = strip_format_chars(unicodedata.normalize("NFKC", text))
    return to_ascii_digits(text)


def foreign_characters(text: str, allowed: str) -> list[str]:
    """The characters of `text` outside `allowed`, each once, in order of appearance."""
    seen: list[str] = []
    for ch in text:
        if ch not in allowed and ch not in seen:
            seen.append(ch)
    return seen


def describe_character(ch: str) -> str:
    """A character as a person can look it up: `'৫' (U+09EB BENGALI DIGIT FIVE)`."""
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}"
    return f"{ch!r} ({code} {name})" if name else f"{ch!r} ({code})"


def normalize_letters(text: str) -> str:
    """Persian letters for their Arabic look-alikes (ي→ی, ك→ک), invisible direction marks removed."""
    return strip_marks(unicodedata.normalize("NFKC", text)).translate(_LETTERS)


def normalize_text(text: str) -> str:
    """What we store for names and free text typed by users: NFKC, Persian letters, single spaces."""
    return " ".join(normalize_letters(text).split())


def fold_for_search(text: str, *, keep_zwnj: bool = False) -> str:
    """A search key: case, alef variants, diacritics, digits and the half-space folded away."""
    text = normalize_letters(text).lower()
    text = unicodedata.normalize("NFKD", text)
    text = _DIACRITICS.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = to_ascii_digits(text).translate(_SEARCH_FOLD)
    if not keep_zwnj:
        text = text.replace(ZWNJ, "")
    return " ".join(text.split())


# Joiners are spelling only between two letters ("می‌روم"); anywhere else they, like every other format
# character, are invisible and can only hide that a field says nothing.
_JOINERS = "\u200c\u200d"


def clean_free_text(text: str | None, *, multiline: bool = False) -> str:
    """A typed reason or note as kept and signed: NFKC, Persian letters for their Arabic look-alikes, every
    Unicode format character (direction marks and isolates, zero-width spaces, the BOM, the soft hyphen…)
    removed except a half-space or ZWJ between two letters, other control characters made spaces, runs of
    spaces single (line breaks kept when `multiline`), trimmed. "" when nothing visible is left (product
    rule 4: free text is normalised like identifiers)."""
    text = unicodedata.normalize("NFKC", text or "").translate(_LETTERS)
    kept: list[str] = []
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        if cat == "Cf":
            before, after = text[i - 1 : i], text[i + 1 : i + 2]
            if ch in _JOINERS and before.isalpha() and after.isalpha():
                kept.append(ch)
            continue
        if cat == "Cc" and not (multiline and ch == "\n"):
            ch = " "
        kept.append(ch)
    lines = "".join(kept).split("\n") if multiline else ["".join(kept)]
    return "\n".join(" ".join(line.split()) for line in lines).strip()


def has_visible_text(text: str | None) -> bool:
    """True when `text` shows something once cleaned (`clean_free_text`): a reason made only of invisible
    characters or spaces is no reason."""
    return bool(clean_free_text(text))


def reason_of(text: str | None, what_en: str, what_fa: str) -> str | None:
    """A typed reason as kept (`clean_free_text`); None when none was typed. Raises `NoskheError` (one
    line, Persian and English, naming the field: `what_en` / `what_fa`) when something was typed but only
    invisible characters or spaces — a reason that says nothing is refused, never signed
    (`details['reason_blank']`)."""
    from app.errors import NoskheError

    if text is None or text == "":
        return None
    kept = clean_free_text(text)
    if not kept:
        raise NoskheError(
            f"The {what_en} is empty once invisible characters are removed; write the reason.",
            f"{what_fa} پس از حذف نویسه‌های نامرئی خالی است؛ دلیل را بنویسید.",
            reason_blank=True,
        )
    return kept
