"""Client-generated ids: a prescription or dispensing has its id from the first keystroke.

ULIDs (48-bit millisecond time + 80 random bits, Crockford base32, 26 characters): unique across
workstations without coordination, sortable by creation time, safe to print and to type.
"""

from __future__ import annotations

import os
import threading
import time

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
    return len(text) == 26 and all(c in _ALPHABET for c in text)
