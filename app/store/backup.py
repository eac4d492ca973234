"""Backups: one file holding a consistent, still-encrypted copy of the database and its key file.

Format: `NOSKHE-BACKUP\\n`, a 4-byte big-endian header length, a JSON header (format version, facility,
schema version, SHA-256 of the database bytes, the key file), then the database bytes. The database stays
encrypted with its data key and the key stays wrapped by the facility passphrase, so the backup is exactly
as confidential as the workstation. Every backup is read back and opened before it is reported written.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import DiskFull, StoreError
from app.store.db import DB_NAME, KEY_NAME
from app.store.files import fsync_dir, write_atomic

if TYPE_CHECKING:
    from app.store import Store

MAGIC = b"NOSKHE-BACKUP\n"
FORMAT_VERSION = 1
_TABLES = ("prescriptions", "dispensings", "patients", "signatures", "audit_log", "drugs")


def _counts(store: Store) -> dict[str, int]:
    return store.db.table_counts(_TABLES)


def create_backup(store: Store, path: Path, passphrase: str) -> dict[str, Any]:
    """Write a backup of `store` to `path` and prove it opens (section 11, bylaw art. 9: backups for
    recovery after incidents, as confidential as the workstation). Returns its header: format, created_at,
    facility, role, schema, sha256 and size of the database bytes, row counts per table, the key file.
    Raises `StoreError` when the file cannot be written or does not read back the same."""
    path = Path(path)
    store.db.check_fully()  # a damaged store is reported now, not copied into the backup
    with tempfile.TemporaryDirectory(prefix="noskhe-backup-") as tmp:
        snap = Path(tmp) / DB_NAME
        store.db.backup_to(snap)
        db_bytes = snap.read_bytes()
    header = {
        "format": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "facility": store.facility_siam,
        "role": store.role,
        "schema": store.schema_version(),
        "sha256": hashlib.sha256(db_bytes).hexdigest(),
        "size": len(db_bytes),
        "counts": _counts(store),
        "keyfile": (store.data_dir / KEY_NAME).read_text("utf-8"),
    }
    head = json.dumps(header).encode("utf-8")
    try:
        write_atomic(path, MAGIC + struct.pack(">I", len(head)) + head + db_bytes)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise DiskFull(path.parent) from None
        raise StoreError(f"Cannot write the backup to {path}: {exc.strerror}.", f"نوشتن پشتیبان در {path} ممکن نشد.") from None
    check = verify_backup(path, passphrase)
    if check["counts"] != header["counts"]:
        raise StoreError("The backup read back differs from the store; it is not usable.", "پشتیبان نوشته‌شده با داده‌ها یکسان نیست.")
    return header


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise StoreError(f"Cannot read the backup file {path}.", f"فایل پشتیبان {path} خوانده نشد.") from None
    bad = StoreError(f"{path} is not a Noskhe backup or is damaged.", f"{path} فایل پشتیبان نسخه نیست یا آسیب دیده است.")
    if not raw.startswith(MAGIC) or len(raw) < len(MAGIC) + 4:
        raise bad
    (n,) = struct.unpack(">I", raw[len(MAGIC) : len(MAGIC) + 4])
    try:
        header = json.loads(raw[len(MAGIC) + 4 : len(MAGIC) + 4 + n])
    except ValueError:
        raise bad from None
    db_bytes = raw[len(MAGIC) + 4 + n :]
    if header.get("format") != FORMAT_VERSION or hashlib.sha256(db_bytes).hexdigest() != header.get("sha256"):
        raise bad
    return header, db_bytes


def _unpack_and_open(header: dict[str, Any], db_bytes: bytes, into: Path, passphrase: str) -> dict[str, int]:
    from app.store import Store

    (into / DB_NAME).write_bytes(db_bytes)
    (into / KEY_NAME).write_text(header["keyfile"], "utf-8")
    with Store.open(into, passphrase) as restored:
        problems = restored.integrity_problems()
        if problems:
            raise StoreError(
                f"The backup's database fails its integrity check: {problems[0]}",
                "پایگاه دادهٔ پشتیبان در بررسی سلامت رد شد.",
            )
        return _counts(restored)


def verify_backup(path: Path, passphrase: str) -> dict[str, Any]:
    """Open the backup in a scratch directory; returns its header with the row counts found there. Raises
    `StoreError` (not a backup, damaged, fails its integrity check) or `WrongPassphrase`."""
    header, db_bytes = _read(path)
    with tempfile.TemporaryDirectory(prefix="noskhe-verify-") as tmp:
        header["counts"] = _unpack_and_open(header, db_bytes, Path(tmp), passphrase)
    return header


def restore_backup(path: Path, data_dir: Path, passphrase: str) -> dict[str, Any]:
    """Replace the store in `data_dir` with the backup, once it has opened and passed its integrity check
    in a staging directory. The previous files are kept aside in `before-restore-<time>/` (its path is the
    header's `previous`), not deleted. Returns the header. Raises like `verify_backup`."""
    header, db_bytes = _read(path)
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    try:
        _unpack_and_open(header, db_bytes, staging, passphrase)  # wrong passphrase stops here
        old = [data_dir / n for n in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEY_NAME)]
        if any(p.exists() for p in old):
            aside = data_dir / f"before-restore-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
            aside.mkdir()
            for p in old:
                if p.exists():
                    os.replace(p, aside / p.name)
            header["previous"] = str(aside)
        for name in (DB_NAME, KEY_NAME):
            os.replace(staging / name, data_dir / name)
        fsync_dir(data_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return header
