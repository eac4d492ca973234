"""The encrypted database under the store: one SQLCipher 4 file per workstation, its connections,
transactions and migrations. The repositories (`app/store/*.py`) hold a `Database`; nothing else does.

Durability: the journal is WAL with `synchronous=FULL`, so a transaction is fsynced to the WAL before
COMMIT returns. With NORMAL, WAL commits are durable only at the next checkpoint, and a power cut could lose
a prescription the GP was already told was saved (product rule 1).

Threads: SQLite connections must not be shared across threads without care, so each thread gets its own
connection on first use (`conn()`), all opened with the same raw key.

Transactions nest by joining: inside `transaction()`, another `transaction()` on the same thread is the
same transaction. A use case can therefore save a prescription and queue its outbox rows through two
repositories and have them commit or fail together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import sqlcipher3

from app.audit import Actor
from app.errors import DiskFull, NoskheError, StoreDamaged, StoreError
from app.store.schema import LATEST, MIGRATIONS


class Cursor(Protocol):
    """What the store uses of a DB-API cursor (`sqlcipher3.dbapi2.Cursor`)."""

    @property
    def rowcount(self) -> int:
        """The number of rows the last statement changed (-1 when not known)."""

    @property
    def lastrowid(self) -> int | None:
        """The rowid of the last inserted row, or None."""

    def fetchone(self) -> Any:
        """The next row as a tuple, or None when there are no more."""

    def fetchall(self) -> list[Any]:
        """The remaining rows, as tuples."""

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store uses of a SQLCipher connection (`sqlcipher3.dbapi2.Connection`, which ships no
    type information: this protocol is its type here)."""

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor:
        """Run one statement with `?` parameters; raises `sqlite3`-style errors (the store maps them)."""

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        """Run one statement once per parameter sequence."""

    def backup(self, target: Any, /) -> None:
        """Copy the whole database into the connection `target` (online backup)."""

    def close(self) -> None:
        """Close the connection."""


DB_NAME = "noskhe.db"
KEY_NAME = "noskhe.key"
ROLES = ("clinic", "pharmacy")


def now_iso() -> str:
    """The current UTC time as ISO 8601 with offset (what every `*_at` column holds)."""
    return dt.datetime.now(dt.UTC).isoformat()


def json_dumps(obj: Any) -> str:
    """Compact, key-sorted JSON with Persian kept as text: the form documents are stored in."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class Database:
    """The SQLCipher database in `data_dir`, opened with the raw 32-byte `data_key` (never the passphrase).

    Opening the file, checking the key and migrating are the `Store`'s job (`Store.open`/`Store.create`);
    this class gives connections, transactions and the schema's version."""

    def __init__(self, data_dir: Path, data_key: bytes) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self.key_pragma = f"PRAGMA key = \"x'{data_key.hex()}'\""
        self._local = threading.local()
        self._all: list[Connection] = []
        self._all_lock = threading.Lock()

    # ---- connections and transactions ------------------------------------------------------------

    def conn(self) -> Connection:
        """This thread's connection (opened on first use). Raises `sqlcipher3.DatabaseError` when the key
        does not open the file."""
        c: Connection | None = getattr(self._local, "conn", None)
        if c is None:
            c = sqlcipher3.connect(str(self.path), isolation_level=None, check_same_thread=True)
            c.execute("PRAGMA cipher_log_level = NONE")  # errors reach the user as one line, not library noise
            c.execute(self.key_pragma)
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
    def transaction(self) -> Iterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT on this thread's connection; any exception rolls everything back (no
        half-written rows) and propagates. Inside another transaction of this thread, joins it."""
        c = self.conn()
        if c.in_transaction:
            yield c
            return
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
            c.execute("COMMIT")
        except BaseException:
            _rollback(c)  # SQLite may have rolled back already (disk full, I/O error): keep the first error
            raise

    @contextlib.contextmanager
    def savepoint(self, name: str = "step") -> Iterator[None]:
        """A part of the current transaction that can fail alone: on an exception, what it wrote is undone
        and the exception propagates; the enclosing transaction goes on. Must run inside `transaction()`
        (raises `StoreError` otherwise)."""
        c = self.conn()
        if not c.in_transaction:
            raise StoreError("A savepoint needs an open transaction.", "نقطهٔ بازگشت بدون تراکنش ممکن نیست.")
        c.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if c.in_transaction:
                with contextlib.suppress(sqlcipher3.Error):
                    c.execute(f"ROLLBACK TO {name}")
                    c.execute(f"RELEASE {name}")
            raise
        c.execute(f"RELEASE {name}")

    def close(self) -> None:
        """Close every thread's connection; the next `conn()` opens a new one."""
        with self._all_lock:
            conns, self._all = self._all, []
        for c in conns:
            try:
                c.close()
            except Exception:  # noqa: BLE001, S110 — a connection of a finished thread
                pass
        self._local = threading.local()

    def check_key(self) -> None:
        """Raises `StoreError` when the data key does not open this file (damaged, or another
        workstation's key file); closes the connection it tried."""
        try:
            self.conn().execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            self.close()
            mapped = user_error(exc, self.data_dir)
            if mapped is not None and not isinstance(mapped, StoreDamaged):
                raise mapped from None  # disk full, unreadable: not the key's fault
            raise StoreError(
                "The database does not match its key file (damaged, or from another workstation).",
                "پایگاه داده با فایل کلیدش جور نیست (آسیب‌دیده یا از رایانه‌ای دیگر).",
            ) from None

    #: above this size the opening check is the header and schema only; the full check runs on schedule
    QUICK_CHECK_MAX = 64 * 1024 * 1024
    #: how often opening runs the full check (SQLCipher's page HMACs and SQLite's structure), in seconds
    FULL_CHECK_EVERY = 24 * 3600

    def check_opened(self) -> None:
        """The cheap check every opening runs, after `check_key`: the file was made by `Store.create` (it
        has its schema table: a zero-length or emptied file is never taken for a new store) and, up to
        `QUICK_CHECK_MAX` bytes, SQLite's `quick_check` reads every page (so SQLCipher checks each page's
        HMAC). Raises `StoreDamaged` (with the way out: restore the latest backup), `DiskFull`."""
        try:
            c = self.conn()
            made = c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            if not made:
                raise damaged(self.path, "no schema: emptied or never finished")
            if self.path.stat().st_size <= self.QUICK_CHECK_MAX:
                bad = [str(r[0]) for r in c.execute("PRAGMA quick_check(3)").fetchall() if r[0] != "ok"]
                if bad:
                    raise damaged(self.path, bad[0])
        except sqlcipher3.Error as exc:
            self.close()
            raise user_error(exc, self.data_dir) or damaged(self.path, str(exc)) from None
        except StoreError:
            self.close()
            raise

    def full_check_due(self, last: str | None) -> bool:
        """Whether the scheduled full check is due, given when it last ran (ISO 8601, None: never)."""
        if not last:
            return True
        try:
            then = dt.datetime.fromisoformat(last)
        except ValueError:
            return True
        return (dt.datetime.now(dt.UTC) - then).total_seconds() >= self.FULL_CHECK_EVERY

    def check_fully(self) -> None:
        """SQLCipher's `cipher_integrity_check` (every page's HMAC) and SQLite's `integrity_check`; raises
        `StoreDamaged` naming the first problem (before a backup, and on schedule at opening)."""
        try:
            problems = self.integrity_problems()
        except sqlcipher3.Error as exc:
            raise user_error(exc, self.data_dir) or damaged(self.path, str(exc)) from None
        if problems:
            raise damaged(self.path, problems[0])

    # ---- schema --------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The highest migration applied (0 for a new file)."""
        c = self.conn()
        c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT)")
        row = c.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> None:
        """Apply the migrations newer than the file, each in its own transaction. Raises `StoreError` when
        the file was written by a newer program (its schema is ahead of `LATEST`)."""
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
                c.execute("INSERT INTO schema_version VALUES (?, ?)", (version, now_iso()))

    def table_counts(self, tables: tuple[str, ...]) -> dict[str, int]:
        """Rows per table, for the named tables of the schema (a backup's fingerprint)."""
        c = self.conn()
        return {t: int(c.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}

    # ---- checks --------------------------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """Empty when both SQLCipher's page HMACs and SQLite's structure check are clean; else one line
        per problem found."""
        c = self.conn()
        problems = [str(r[0]) for r in c.execute("PRAGMA cipher_integrity_check").fetchall()]
        problems += [str(r[0]) for r in c.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        return problems

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate the WAL."""
        self.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the live database at `target`, through SQLite's online backup API, still
        encrypted with the same key and in rollback-journal mode (one file)."""
        dst = sqlcipher3.connect(str(target))
        try:
            dst.execute("PRAGMA cipher_log_level = NONE")
            dst.execute(self.key_pragma)
            self.conn().backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()


def _rollback(c: Connection) -> None:
    """Roll back the open transaction, if SQLite has not already done so; never raises."""
    if c.in_transaction:
        with contextlib.suppress(sqlcipher3.Error):
            c.execute("ROLLBACK")


#: below this many free bytes, a failed write is the disk being full (SQLite reports some as I/O errors)
LOW_SPACE = 4 * 1024 * 1024
_NO_ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def disk_is_full(where: Path) -> bool:
    """Whether the filesystem holding `where` (or its nearest existing parent) has almost no room left."""
    p = Path(where)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free < LOW_SPACE
    except OSError:
        return False


def damaged(path: Path, problem: str = "") -> StoreDamaged:
    """The refusal for a store that fails its checks: what is wrong and the way out (restore the latest
    backup with `noskhe backup restore FILE`; the damaged files are kept aside, not deleted)."""
    said = f" ({problem})" if problem else ""
    return StoreDamaged(
        f"The local store {path} is damaged{said}; it was not changed. Restore the latest backup:"
        " `noskhe backup restore FILE`.",
        f"پایگاه دادهٔ محلی {path} آسیب دیده است{said}؛ به آن دست زده نشد. آخرین پشتیبان را بازگردانید:"
        " `noskhe backup restore FILE`.",
        path=str(path),
    )


def user_error(exc: BaseException, data_dir: Path) -> NoskheError | None:
    """The one-line refusal for a failure of the disk or the database file, or None when `exc` is not one:
    no room (`OSError` ENOSPC/EFBIG/EDQUOT, SQLite's "disk is full", or an I/O error with the disk
    almost full) → `DiskFull` naming the folder to free space in; a damaged file (SQLite's "malformed",
    "not a database") → `StoreDamaged`; another I/O error → `StoreError` naming the file."""
    if isinstance(exc, OSError):
        where = Path(exc.filename).parent if exc.filename else data_dir
        if exc.errno in _NO_ROOM:
            return DiskFull(where)
        return None
    if not isinstance(exc, sqlcipher3.Error):
        return None
    text = str(exc).lower()
    if "disk is full" in text or ("i/o error" in text and disk_is_full(data_dir)):
        return DiskFull(data_dir)
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return damaged(data_dir / DB_NAME, str(exc))
    if "i/o error" in text or "unable to open" in text or "readonly" in text:
        return StoreError(
            f"Cannot read or write the local store in {data_dir} ({exc}); check the disk and its permissions.",
            f"خواندن یا نوشتن پایگاه داده در {data_dir} ممکن نشد ({exc})؛ دیسک و دسترسی‌ها را بررسی کنید.",
        )
    return None


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


def default_user() -> str:
    """The name the audit log gives the person at this workstation: `NOSKHE_USER`, else the login name."""
    return os.environ.get("NOSKHE_USER") or os.environ.get("USER") or "workstation"


__all__ = ["DB_NAME", "KEY_NAME", "ROLES", "Actor", "Connection", "Cursor", "Database", "json_dumps", "now_iso"]
