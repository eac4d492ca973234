"""Client-generated ids: a prescription or dispensing has its id from the first keystroke.

ULIDs (48-bit millisecond time + 80 random bits, Crockford base32, 26 characters): unique across
workstations without coordination, sortable by creation time, safe to print and to type.
"""

from __future__ import annotations

import os
import threading
import time

from app.keyboard import LAYOUTS, latin_keys
from app.text import normalize_code

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last = (0, 0)


def new_id(now_ms: int | None = None) -> str:
    """A new ULID; ids made in the same millisecond on this process still sort in creation order."""
    global _last
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ms <= _last[0]:
            ms, rand = _last[0], _last[1] + 1  # monotonic within a millisecond
        else:
            rand = int.from_bytes(os.urandom(10), "big")
        _last = (ms, rand)
    value = (ms << 80) | (rand & ((1 << 80) - 1))
    return "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def is_id(text: str) -> bool:
    """True when `text` is a ULID as kept: 26 characters of the upper-case Crockford alphabet."""
    return len(text) == 26 and all(c in _ALPHABET for c in text)


# Crockford base32 reads the letters it leaves out as the digits they look like.
_CROCKFORD_ALIASES = str.maketrans("OIL", "011")


def read_id(text: str) -> str | None:
    """The ULID a typed or scanned `text` stands for (the paper's second barcode, a copy-paste), or None.

    Read the way scanned fields are: invisible format characters (U+200F…) and surrounding spaces out,
    Persian/Arabic-Indic and full-width digits made ASCII, lower case made upper, Crockford's O/I/L read
    as 0/1; and, when the text as it came is not an id, as typed by a keyboard wedge under each Persian
    keyboard layout (`app.keyboard`)."""
    raw = "" if text is None else str(text)
    for candidate in [raw, *(latin_keys(raw, layout) for layout in LAYOUTS)]:
        code = normalize_code(candidate).strip()
        if code.isascii():
            code = code.upper().translate(_CROCKFORD_ALIASES)
            if is_id(code):
                return code
    return None
