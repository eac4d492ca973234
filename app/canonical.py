"""The canonical bytes of a document: what gets signed and what a verifier recomputes.

RFC 8785 (JSON Canonicalization Scheme) restricted to the values our documents use: objects, arrays,
strings, integers, booleans and null. Money is integer rials and quantities are integers or decimal
strings, so floats never reach a signature; one is refused rather than serialised two ways.
"""

from __future__ import annotations

import json
from typing import Any


def _check(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("floats are not allowed in signed documents; use integers or decimal strings")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("object keys must be strings")
            _check(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check(v)


def _sort_key(key: str) -> list[int]:
    # RFC 8785 orders member names by their UTF-16 code units.
    return list(key.encode("utf-16-be"))


def _canon(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _sort_key(kv[0]))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _canon(v) for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canon(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def canonical_bytes(document: Any) -> bytes:
    """UTF-8 bytes of `document` in canonical form; equal documents give equal bytes."""
    _check(document)
    return _canon(document).encode("utf-8")
