"""The key file beside the database: the random data key, wrapped by a key derived from the passphrase.

The database is encrypted with a random 256-bit key used as SQLCipher's raw key, so changing the facility
passphrase rewraps 32 bytes here instead of re-encrypting the whole database. Wrapping is AES-256-GCM under
a scrypt-derived key; the GCM tag is what tells a wrong passphrase from a right one, before the database
file is even opened.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.errors import StoreError, WrongPassphrase
from app.store.files import write_atomic

FORMAT = "noskhe-keyfile"
VERSION = 1
#: scrypt cost: 2**16 × 8 × 128 bytes = 64 MiB and ~0.2 s here, per unlock attempt.
DEFAULT_LOG2_N = 16


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"), validate=True)


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p)
    return kdf.derive(passphrase.encode("utf-8"))


@dataclass(frozen=True)
class KeyFile:
    """The key file at `path` (section 11: confidentiality of the data at rest)."""

    path: Path

    def exists(self) -> bool:
        """Whether the file is there."""
        return self.path.exists()

    def create(self, passphrase: str, data_key: bytes, *, log2_n: int = DEFAULT_LOG2_N) -> None:
        """Write the 32-byte `data_key` wrapped under `passphrase` (scrypt cost 2^`log2_n`), atomically.
        Raises `StoreError` for a passphrase shorter than 8 characters."""
        self._write(passphrase, data_key, log2_n)

    def unwrap(self, passphrase: str) -> bytes:
        """The 32-byte data key. Raises `WrongPassphrase` (the GCM tag does not match) or `StoreError`
        (missing or damaged file); never writes anything."""
        doc = self._read()
        kdf = doc["kdf"]
        try:
            salt, nonce, wrapped = _unb64(kdf["salt"]), _unb64(doc["nonce"]), _unb64(doc["wrapped"])
            key = _derive(passphrase, salt, int(kdf["log2_n"]), int(kdf["r"]), int(kdf["p"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise self._damaged() from exc
        try:
            return AESGCM(key).decrypt(nonce, wrapped, self._aad(salt))
        except InvalidTag:
            raise WrongPassphrase(
                "Wrong passphrase: the local database was not opened and nothing was changed.",
                "گذرواژه نادرست است: پایگاه داده باز نشد و هیچ چیز تغییر نکرد.",
            ) from None

    def rewrap(self, old: str, new: str) -> None:
        """Wrap the same data key under `new` instead of `old`, atomically. Raises like `unwrap`, and
        `StoreError` for a new passphrase shorter than 8 characters."""
        data_key = self.unwrap(old)
        self._write(new, data_key, int(self._read()["kdf"]["log2_n"]))

    def _write(self, passphrase: str, data_key: bytes, log2_n: int) -> None:
        if len(passphrase) < 8:
            raise StoreError(
                "The passphrase must have at least 8 characters.",
                "گذرواژه باید دست‌کم ۸ نویسه داشته باشد.",
            )
        salt, nonce = os.urandom(16), os.urandom(12)
        key = _derive(passphrase, salt, log2_n, 8, 1)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "kdf": {"name": "scrypt", "log2_n": log2_n, "r": 8, "p": 1, "salt": _b64(salt)},
            "cipher": "AES-256-GCM",
            "nonce": _b64(nonce),
            "wrapped": _b64(AESGCM(key).encrypt(nonce, data_key, self._aad(salt))),
        }
        write_atomic(self.path, json.dumps(doc, indent=1).encode("utf-8"))

    @staticmethod
    def _aad(salt: bytes) -> bytes:
        return f"{FORMAT}/{VERSION}".encode() + salt

    def _read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            raise StoreError(
                f"No key file at {self.path}; run `noskhe init` first.",
                f"فایل کلید در {self.path} نیست؛ ابتدا `noskhe init` را اجرا کنید.",
            ) from None
        except (OSError, ValueError) as exc:
            raise self._damaged() from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
            raise self._damaged()
        return doc

    def _damaged(self) -> StoreError:
        return StoreError(
            f"The key file {self.path} is damaged or not a Noskhe key file; restore it from a backup.",
            f"فایل کلید {self.path} آسیب دیده یا از نسخه نیست؛ آن را از پشتیبان بازگردانید.",
        )
