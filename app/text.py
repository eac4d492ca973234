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
# Marks that copy-paste from right-to-left text carries along: LRM/RLM, embeddings, isolates, BOM.
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, superscript alef, tatweel
_SEARCH_FOLD = str.maketrans({"آ": "ا", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ی", "ء": ""})
ZWNJ = "\u200c"


def to_ascii_digits(text: str) -> str:
    return text.translate(_TO_ASCII)


def to_persian_digits(text: str | int) -> str:
    return str(text).translate(_TO_PERSIAN)


def strip_marks(text: str) -> str:
    return _BIDI_MARKS.sub("", text)


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
