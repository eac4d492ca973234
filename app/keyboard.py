"""What a Persian keyboard layout types for Latin keys, and back.

A keyboard-wedge scanner (barcode, QR) types what it reads as key presses of a US keyboard: "A" is Shift+A,
"7" is the 7 key. When the computer's keyboard layout is Persian, the same key presses arrive as Persian
letters, diacritics and Persian digits ("۷", "ؤ" for Shift+A). `latin_keys(text, layout)` maps them back to
the keys pressed, so the scan can be read as it was printed.

Two layouts are in use in Iran:
- `isiri-9147`: the national standard (ISIRI 9147), Windows "Persian (Standard)" and Linux/X11 `ir`;
- `windows-persian`: the older Windows "Persian" layout, still the default on many counters. Its shifted
  keys differ from the standard's, so a text is read under one layout at a time; the caller tries each and
  keeps the one its own checks accept (a payload marker and checksum, a check digit).

Letters typed without Shift are the same in both layouts except M (پ in the standard, ئ in the old one);
`latin_letters` maps only those, for identifiers a person types with the wrong layout on.
"""

from __future__ import annotations

from types import MappingProxyType

# The keys of a US keyboard row by row (backquote … equals, q … backslash, a … quote, z … slash).
_US = "`1234567890-=" + "qwertyuiop[]\\" + "asdfghjkl;'" + "zxcvbnm,./"
_US_SHIFT = "~!@#$%^&*()_+" + "QWERTYUIOP{}|" + 'ASDFGHJKL:"' + "ZXCVBNM<>?"

# ISIRI 9147, as X11 `ir(pes)` defines it (levels 1 and 2).
_ISIRI = "\u200d۱۲۳۴۵۶۷۸۹۰-=" + "ضصثقفغعهخحجچ\\" + "شسیبلاتنمکگ" + "ظطزرذدپو./"
_ISIRI_SHIFT = (
    "÷!\u066c\u066b\ufdfc\u066a×،*)(\u0640+"
    + "\u0652\u064c\u064d\u064b\u064f\u0650\u064e\u0651][}{|"
    + "ؤئيإأآة»«:؛"
    + "ك\u0653ژ\u0670\u200c\u0654ء><؟"
)

# The older Windows "Persian" layout: its digits (Arabic-Indic), its letters and the symbols of codes.
# Shift+R types four letters.
_WINDOWS_KEYS: dict[str, str] = {
    **dict(zip("1234567890", "١٢٣٤٥٦٧٨٩٠")),
    **dict(zip("qwertyuiop[]\\", "ضصثقفغعهخحجچپ")),
    **dict(zip("asdfghjkl;'", "شسیبلاتنمکگ")),
    **dict(zip("zxcvbnm,./", "ظطزرذدئو./")),
    **dict(zip("QWE", "\u064b\u064c\u064d")),
    "R": "ريال",
    **dict(zip("TYUIOP", "،؛,][\\")),
    **dict(zip("ASDFGHJKL", "\u064e\u064f\u0650\u0651ۀآ\u0640«»")),
    **dict(zip("ZXCVBNM", "ةيژؤإأء")),
    **{c: c for c in "$%*+-:"},
}


def _isiri_keys() -> dict[str, str]:
    assert len(_US) == len(_ISIRI) and len(_US_SHIFT) == len(_ISIRI_SHIFT)
    return dict(zip(_US + _US_SHIFT, _ISIRI + _ISIRI_SHIFT))


#: layout name → {US key as typed ("a", "A", "4", "$") → what the layout types for it}
LAYOUTS: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        "isiri-9147": MappingProxyType(_isiri_keys()),
        "windows-persian": MappingProxyType(_WINDOWS_KEYS),
    }
)


def _inverse(keys: MappingProxyType[str, str]) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    single: dict[str, str] = {}
    multi: list[tuple[str, str]] = []
    for key, typed in keys.items():
        if typed == key:
            continue
        if len(typed) == 1:
            single[typed] = key
        else:
            multi.append((typed, key))
    return single, tuple(multi)


_INVERSE = {name: _inverse(keys) for name, keys in LAYOUTS.items()}
_LETTER_KEYS = {typed: key for key, typed in _isiri_keys().items() if key.islower() and key.isalpha()}
_LETTER_KEYS["ئ"] = "m"  # the older layout's M key


def typed_under(text: str, layout: str) -> str:
    """What `layout` types when the US keys spelling `text` are pressed (characters it has no key for
    are typed as they are). The inverse of `latin_keys`; tests and demos use it to play a scanner."""
    keys = LAYOUTS[layout]
    return "".join(keys.get(ch, ch) for ch in text)


def latin_keys(text: str, layout: str) -> str:
    """The US keys that typed `text` under `layout`: each character the layout produces becomes the key
    (with Shift: the upper-case letter or shifted symbol); anything else is kept as it is."""
    single, multi = _INVERSE[layout]
    for typed, key in multi:
        text = text.replace(typed, key)
    return "".join(single.get(ch, ch) for ch in text)


def latin_letters(text: str) -> str:
    """Persian letters typed by the Latin letter keys without Shift, as those (lower-case) Latin letters.
    The same in both layouts; everything else is kept."""
    return "".join(_LETTER_KEYS.get(ch, ch) for ch in text)
