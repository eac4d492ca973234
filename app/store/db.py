"""The encrypted local store: one SQLCipher 4 database per workstation, the only door to its data.

Durability: the journal is WAL with `synchronous=FULL`, so a transaction is fsynced to the WAL before
COMMIT returns. With NORMAL, WAL commits are durable only at the next checkpoint, and a power cut could lose
a prescription the GP was already told was saved (product rule 1).

Threads: SQLite connections must not be shared across threads without care, so each thread gets its own
connection on first use (`conn()`), all opened with the same raw key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3

from app.errors import NoskheError, StoreError
from app.store.keyfile import DEFAULT_LOG2_N, KeyFile
from app.store.schema import LATEST, MIGRATIONS

DB_NAME = "noskhe.db"
KEY_NAME = "noskhe.key"
ROLES = ("clinic", "pharmacy")


@dataclass(frozen=True)
class Actor:
    """Who is doing something, for the audit log."""

    user: str
    role: str
    facility: str


def _default_user() -> str:
    return os.environ.get("NOSKHE_USER") or os.environ.get("USER") or "workstation"


class StoreBase:
    """Open with `Store.open(data_dir, passphrase)`; create once with `Store.create(...)`."""

    def __init__(self, data_dir: Path, data_key: bytes) -> None:
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / DB_NAME
        self._key_pragma = f"PRAGMA key = \"x'{data_key.hex()}'\""
        self._local = threading.local()
        self._all: list[Any] = []
        self._all_lock = threading.Lock()
        self.actor = Actor(_default_user(), "?", "?")

    # ---- opening -------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        data_dir: Path,
        passphrase: str,
        *,
        role: str,
        facility: str,
        facility_name: str = "",
        kdf_log2_n: int = DEFAULT_LOG2_N,
        seed_reference_data: bool = True,
    ) -> "StoreBase":
        """A new, empty store in `data_dir`; refuses to touch an existing one."""
        from app.identifiers import SiamId

        if role not in ROLES:
            raise StoreError(f"Role must be one of {', '.join(ROLES)}.", "نقش باید clinic یا pharmacy باشد.")
        siam = SiamId.parse(facility).value
        data_dir = Path(data_dir)
        keyfile = KeyFile(data_dir / KEY_NAME)
        if keyfile.exists() or (data_dir / DB_NAME).exists():
            raise StoreError(
                f"A Noskhe store already exists in {data_dir}; it was left untouched.",
                f"در {data_dir} از پیش پایگاه داده وجود دارد؛ به آن دست زده نشد.",
            )
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = None
        try:
            store = cls._create_files(data_dir, passphrase, role, siam, facility_name, kdf_log2_n)
            if seed_reference_data:
                from app.catalog import seed_reference_data as seed

                seed(store)
        except BaseException:
            # A store that could not be made whole is removed: these files did not exist before.
            if store is not None:
                store.close()
            for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEY_NAME):
                (data_dir / name).unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def _create_files(
        cls, data_dir: Path, passphrase: str, role: str, siam: str, facility_name: str, kdf_log2_n: int
    ) -> "StoreBase":
        data_key = os.urandom(32)
        KeyFile(data_dir / KEY_NAME).create(passphrase, data_key, log2_n=kdf_log2_n)
        # SQLite gives the -wal and -shm files the database file's mode: create it private.
        os.close(os.open(data_dir / DB_NAME, os.O_CREAT | os.O_WRONLY, 0o600))
        store = cls(data_dir, data_key)
        store._migrate()
        with store.transaction() as c:
            for k, v in {
                "role": role,
                "facility": siam,
                "facility_name": facility_name,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            }.items():
                c.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (k, v))
        store._set_actor()
        return store

    @classmethod
    def open(cls, data_dir: Path, passphrase: str) -> "StoreBase":
        """The existing store, or a clear error; a wrong passphrase never modifies any file."""
        data_dir = Path(data_dir)
        if not (data_dir / DB_NAME).exists():
            raise StoreError(
                f"No Noskhe store in {data_dir}; run `noskhe init` first.",
                f"در {data_dir} پایگاه داده‌ای نیست؛ ابتدا `noskhe init` را اجرا کنید.",
            )
        data_key = KeyFile(data_dir / KEY_NAME).unwrap(passphrase)
        store = cls(data_dir, data_key)
        try:
            store.conn().execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError:
            store.close()
            raise StoreError(
                "The database does not match its key file (damaged, or from another workstation).",
                "پایگاه داده با فایل کلیدش جور نیست (آسیب‌دیده یا از رایانه‌ای دیگر).",
            ) from None
        store._migrate()
        store._set_actor()
        return store

    def change_passphrase(self, old: str, new: str) -> None:
        KeyFile(self.data_dir / KEY_NAME).rewrap(old, new)

    # ---- connections and transactions ------------------------------------------------------------

    def conn(self) -> Any:
        """This thread's connection (opened on first use)."""
        c = getattr(self._local, "conn", None)
        if c is None:
            c = sqlcipher3.connect(str(self.db_path), isolation_level=None, check_same_thread=True)
            c.execute("PRAGMA cipher_log_level = NONE")  # errors reach the user as one line, not library noise
            c.execute(self._key_pragma)
            c.execute("PRAGMA cipher_memory_security = ON")
            c.execute("PRAGMA busy_timeout = 10000")
            try:
                c.execute("PRAGMA journal_mode = WAL").fetchone()
            except sqlcipher3.DatabaseError:
                c.close()
                raise
            c.execute("PRAGMA synchronous = FULL")
            c.execute("PRAGMA foreign_keys = ON")
            self._local.conn = c
            with self._all_lock:
                self._all.append(c)
        return c

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls everything back (no half-written rows)."""
        c = self.conn()
        if c.in_transaction:  # nested: join the outer transaction
            yield c
            return
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        else:
            c.execute("COMMIT")

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = self._all, []
        for c in conns:
            try:
                c.close()
            except Exception:  # noqa: BLE001 — a connection of a finished thread
                pass
        self._local = threading.local()

    def __enter__(self) -> "StoreBase":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- schema --------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        c = self.conn()
        c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT)")
        row = c.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def _migrate(self) -> None:
        current = self.schema_version()
        if current > LATEST:
            raise StoreError(
                f"This database was written by a newer Noskhe (schema {current}); update the program.",
                f"این پایگاه داده را نسخهٔ جدیدتری از نرم‌افزار نوشته است (طرح {current})؛ برنامه را به‌روز کنید.",
            )
        for version, sql in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction() as c:
                for statement in _split_sql(sql):
                    c.execute(statement)
                c.execute(
                    "INSERT INTO schema_version VALUES (?, ?)",
                    (version, dt.datetime.now(dt.timezone.utc).isoformat()),
                )

    # ---- meta, blobs ---------------------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def role(self) -> str:
        return self.meta("role") or "?"

    @property
    def facility_siam(self) -> str:
        return self.meta("facility") or "?"

    def facility(self) -> Any:
        from app.domain import Facility

        return Facility(
            siam_id=self.facility_siam,
            name=self.meta("facility_name") or "",
            kind=self.role,
            national_id=self.meta("facility_national_id") or "",
            address=self.meta("facility_address") or "",
            phone=self.meta("facility_phone") or "",
        )

    def put_blob(self, name: str, data: bytes) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO blobs (name, data, updated_at) VALUES (?, ?, ?)",
                (name, bytes(data), dt.datetime.now(dt.timezone.utc).isoformat()),
            )

    def get_blob(self, name: str) -> bytes | None:
        row = self.conn().execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
        return bytes(row[0]) if row else None

    def _set_actor(self) -> None:
        self.actor = Actor(_default_user(), self.role, self.facility_siam)

    def as_user(self, user: str) -> "StoreBase":
        self.actor = Actor(user, self.role, self.facility_siam)
        return self

    # ---- checks --------------------------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """Empty when both SQLCipher's page HMACs and SQLite's structure check are clean."""
        c = self.conn()
        problems = [str(r[0]) for r in c.execute("PRAGMA cipher_integrity_check").fetchall()]
        problems += [str(r[0]) for r in c.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        return problems

    def checkpoint(self) -> None:
        self.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script; trigger bodies keep their inner semicolons."""
    out, buf = [], []
    for line in script.splitlines():
        stripped = line.split("--", 1)[0].rstrip()
        if not stripped.strip():
            continue
        buf.append(stripped)
        joined = "\n".join(buf)
        if stripped.endswith(";") and sqlcipher3.complete_statement(joined):
            out.append(joined)
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


__all__ = ["Actor", "StoreBase", "json_dumps"]
