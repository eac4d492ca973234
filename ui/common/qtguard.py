"""A guard against a reference-count fault in PySide6's stable-ABI wheels on Python 3.11.

PySide6 6.12's `abi3` build returns `None` from every C++ method that returns nothing (`setText`,
`setItem`, `setObjectName`…) without taking a reference to it — correct on Python 3.12+, where `None` is
immortal, but on 3.11 each such call drops one reference that was never taken. A window that makes a few
thousand such calls (filling a table of a few hundred audit rows) brings `None`'s count to zero and Python
aborts with "Fatal Python error: none_dealloc".

`protect_none()` gives `None` a reference count so large that no session can exhaust it (as 3.12 does by
making it immortal). It is called when `ui` is imported, before any Qt call, and is a no-op on 3.12+.
"""

from __future__ import annotations

import ctypes
import sys

#: `None`'s reference count after `protect_none` (3.11): 2**40 void calls before it could fall to zero
FLOOR = 1 << 40


def protect_none() -> bool:
    """Raise `None`'s reference count to `FLOOR` on CPython before 3.12; True when it did so."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    count = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt: the first field of every object
    if count.value >= FLOOR:
        return False
    count.value += FLOOR
    return True


__all__ = ["FLOOR", "protect_none"]
