"""How documents are kept in the store's columns: compressed canonical JSON; signatures without the signer
certificate they all repeat (`split_cms`).

A document (a prescription, a signed version, a dispensing, a patient, an outbox payload, an exchange
answer) is written as a BLOB: the marker `Z1`, then zlib (deflate) of its compact, key-sorted JSON. Rows
written before compression are TEXT JSON and read as they are, so a store of any age stays readable and
nothing has to be rewritten on upgrade; a row is compressed the next time it is saved.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from asn1crypto import cms

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


# ---- signatures: each signer certificate kept once ---------------------------------------------------

#: a CMS kept without its embedded certificate: `CMS_MARKER`, the certificate's SHA-256 (32 bytes), where it
#: sat (4 bytes, big-endian), then the CMS with those bytes cut out. The certificate is kept once, in
#: `blobs` under `certificate_blob_name(sha256)`; reading puts it back, giving the very bytes signed.
CMS_MARKER = b"C1"


def certificate_blob_name(digest: bytes) -> str:
    """The `blobs` name a signer certificate is kept under (its SHA-256, hex)."""
    return "cert:" + digest.hex()


def split_cms(cms_der: bytes) -> tuple[bytes, bytes | None]:
    """(what the signatures table keeps, the embedded certificate's DER or None): a CMS carrying exactly one
    certificate is kept without it (see `CMS_MARKER`); any other (none, several, unreadable) as it is."""
    try:
        certs = cms.ContentInfo.load(cms_der)["content"]["certificates"]
        if certs is None or len(certs) != 1:
            return cms_der, None
        cert = certs[0].chosen.dump()
    except (ValueError, KeyError, TypeError):
        return cms_der, None
    at = cms_der.find(cert)
    if at < 0 or cms_der.find(cert, at + 1) >= 0:
        return cms_der, None
    digest = hashlib.sha256(cert).digest()
    return CMS_MARKER + digest + at.to_bytes(4, "big") + cms_der[:at] + cms_der[at + len(cert) :], cert


def cms_certificate(kept: bytes) -> bytes | None:
    """The SHA-256 of the certificate a kept CMS needs back (`split_cms`), or None for a CMS kept whole."""
    return kept[2:34] if kept[:2] == CMS_MARKER else None


def join_cms(kept: bytes, certificate: bytes | None) -> bytes:
    """The CMS as signed, from what `split_cms` kept and its certificate (None for a CMS kept whole).
    Raises `ValueError` when the certificate needed is missing or not the one cut out."""
    if kept[:2] != CMS_MARKER:
        return kept
    if certificate is None or hashlib.sha256(certificate).digest() != kept[2:34]:
        raise ValueError("the signer certificate of a kept signature is missing")
    at = int.from_bytes(kept[34:38], "big")
    body = kept[38:]
    return body[:at] + certificate + body[at:]
