"""Byte codecs for the paper QR: a strict CBOR subset (RFC 8949) and base45 (RFC 9285).

CBOR gives a compact, self-describing binary form that other tools can read; base45 turns bytes into the
45 characters of the QR alphanumeric mode, which packs 5.5 bits per character (base64 in byte mode needs 8).

Both decoders are strict: anything malformed, truncated or with trailing bytes raises `CodecError` (a plain
`ValueError`; `printing.payload` turns it into a user-facing message). Only definite lengths, integers, byte
and text strings, arrays, maps with integer or text keys, false/true/null are accepted.

What a keyboard-wedge scanner types is not always what the QR holds: under a Persian keyboard layout its
digits arrive as Persian digits and its letters as the Persian characters of the same keys; with Caps Lock
on, letters arrive in lower case. `scanned_text_variants` gives the readings to try, the text as it came
first; the payload's marker and checksum decide which one was meant.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from app.keyboard import LAYOUTS, latin_keys
from app.text import to_ascii_digits

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUE = {c: i for i, c in enumerate(BASE45_ALPHABET)}
_MAX_DEPTH = 8
_MAX_LEN = 1 << 16  # no paper payload comes near this; bounds memory on hostile input


class CodecError(ValueError):
    """Input is not well-formed for the codec (truncated, corrupted or not ours)."""


# -- base45 ---------------------------------------------------------------------------------------------


def b45encode(data: bytes) -> str:
    """RFC 9285 base45 of `data`."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += (BASE45_ALPHABET[c], BASE45_ALPHABET[d], BASE45_ALPHABET[e])
    if len(data) % 2:
        n = data[-1]
        out += (BASE45_ALPHABET[n % 45], BASE45_ALPHABET[n // 45])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Bytes of a base45 string; raises `CodecError` for a character outside the alphabet, a dangling
    character or a group whose value does not fit its bytes."""
    try:
        values = [_B45_VALUE[c] for c in text]
    except KeyError as exc:
        raise CodecError(f"character {exc.args[0]!r} is not base45") from None
    if len(values) % 3 == 1:
        raise CodecError("base45 text has a dangling character (cut short?)")
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        if len(group) == 3:
            n = group[0] + group[1] * 45 + group[2] * 45 * 45
            if n > 0xFFFF:
                raise CodecError("base45 group out of range")
            out += n.to_bytes(2, "big")
        else:
            n = group[0] + group[1] * 45
            if n > 0xFF:
                raise CodecError("base45 group out of range")
            out.append(n)
    return bytes(out)


def _as_base45(text: str) -> str:
    # Caps Lock gives lower-case letters, copy-paste from right-to-left text gives direction marks: base45
    # has neither, so neither can change what the text means.
    text = "".join(ch for ch in to_ascii_digits(text) if unicodedata.category(ch) != "Cf")
    return "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)


def scanned_text_variants(text: str) -> list[str]:
    """The base45 texts a scanned QR text may stand for, most likely first, without repeats: the text as
    it came (digits made ASCII, letters upper case, invisible marks out), then as typed through each
    Persian keyboard layout (`app.keyboard`). Line breaks around the text are dropped; spaces are kept
    (the space is a base45 character)."""
    text = text.strip("\r\n")
    out = [_as_base45(text)]
    if not all(ch in _B45_VALUE for ch in out[0]):
        for layout in LAYOUTS:
            candidate = _as_base45(latin_keys(text, layout))
            if candidate not in out:
                out.append(candidate)
    return out


# -- CBOR -----------------------------------------------------------------------------------------------


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise CodecError("integer too large for CBOR")


def cbor_dumps(value: Any) -> bytes:
    """Deterministic CBOR of `value` (int, bytes, str, list/tuple, dict, bool, None). Map keys are kept in
    the order given, so equal inputs built the same way give equal bytes."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(cbor_dumps(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor_dumps(k) + cbor_dumps(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise CodecError("CBOR data ends too early (truncated)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def item(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise CodecError("CBOR nesting too deep")
        first = self.take(1)[0]
        major, info = first >> 5, first & 31
        if major == 7:
            simple = {20: False, 21: True, 22: None}
            if info not in simple:
                raise CodecError("unsupported CBOR simple value or float")
            return simple[info]
        if info < 24:
            n = info
        elif info <= 27:
            n = int.from_bytes(self.take(1 << (info - 24)), "big")
        else:
            raise CodecError("indefinite or reserved CBOR length")
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if n > _MAX_LEN:
            raise CodecError("CBOR length too large")
        if major == 2:
            return self.take(n)
        if major == 3:
            try:
                return self.take(n).decode("utf-8")
            except UnicodeDecodeError:
                raise CodecError("CBOR text is not UTF-8") from None
        if major == 4:
            return [self.item(depth + 1) for _ in range(n)]
        if major == 5:
            out: dict[Any, Any] = {}
            for _ in range(n):
                key = self.item(depth + 1)
                if not isinstance(key, (int, str)) or isinstance(key, bool) or key in out:
                    raise CodecError("CBOR map key invalid or repeated")
                out[key] = self.item(depth + 1)
            return out
        raise CodecError("CBOR tags are not used here")


def cbor_loads(data: bytes) -> Any:
    """The value encoded in `data`, which must hold exactly one CBOR item."""
    reader = _Reader(bytes(data))
    value = reader.item()
    if reader.pos != len(reader.data):
        raise CodecError("trailing bytes after CBOR data")
    return value
