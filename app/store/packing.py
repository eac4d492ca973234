"""How documents are kept in the store's columns: compressed canonical JSON.

A document (a prescription, a signed version, a dispensing, a patient, an outbox payload, an exchange
answer) is written as a BLOB: the marker `Z1`, then zlib (deflate) of its compact, key-sorted JSON. Rows
written before compression are TEXT JSON and read as they are, so a store of any age stays readable and
nothing has to be rewritten on upgrade; a row is compressed the next time it is saved.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from app.store.db import json_dumps

MARKER = b"Z1"
LEVEL = 6


def pack(obj: Any) -> bytes:
    """`obj` (JSON-serialisable) as the store keeps it: `MARKER` + zlib of its canonical JSON (UTF-8)."""
    return MARKER + zlib.compress(json_dumps(obj).encode("utf-8"), LEVEL)


def unpack_text(value: str | bytes | memoryview) -> str:
    """The JSON text of a stored document, whichever form it was written in (TEXT JSON of older rows, or a
    packed BLOB). Raises `ValueError` for a BLOB of an unknown format."""
    if isinstance(value, str):
        return value
    raw = bytes(value)
    if raw[:2] == MARKER:
        return zlib.decompress(raw[2:]).decode("utf-8")
    if raw[:1] in (b"{", b"["):  # JSON written as bytes
        return raw.decode("utf-8")
    raise ValueError(f"unknown stored document format {raw[:2]!r}")


def unpack(value: str | bytes | memoryview) -> Any:
    """The stored document decoded (see `unpack_text`)."""
    return json.loads(unpack_text(value))
