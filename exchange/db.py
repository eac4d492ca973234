"""The exchange's own SQLite database (plain SQLite: it is a reference server, not a workstation).

Writes are serialised by one lock and one transaction each (`write()`, BEGIN IMMEDIATE), so an idempotency
check and the change it guards can never interleave with another request's — across threads by the lock,
across the server's worker processes by SQLite's own write lock (WAL, a 30 s busy timeout). Everything the
workers share lives here: bearer tokens and login nonces (`exchange.auth`), the fault switch
(`exchange.faults`), the OCSP responder's revocations. WAL with synchronous=NORMAL survives a killed process,
which is all a reference server needs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS serials (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS facilities (siam TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS insurers (code TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS persons (kind TEXT NOT NULL, value TEXT NOT NULL, first_name TEXT NOT NULL,
    last_name TEXT NOT NULL, birth_date TEXT, sex TEXT, PRIMARY KEY (kind, value));
CREATE TABLE IF NOT EXISTS coverages (kind TEXT NOT NULL, value TEXT NOT NULL, insurer TEXT NOT NULL,
    scheme TEXT NOT NULL DEFAULT '', insurance_number TEXT NOT NULL, valid_until TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS coverages_person ON coverages (kind, value);
CREATE TABLE IF NOT EXISTS council (number TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL,
    specialty TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drugs (code TEXT PRIMARY KEY, doc TEXT NOT NULL, atc TEXT NOT NULL,
    price INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS packs (code TEXT PRIMARY KEY, drug_code TEXT NOT NULL, gtin TEXT NOT NULL,
    batch TEXT NOT NULL, expiry TEXT NOT NULL, dispensing TEXT, dispensed_by TEXT, dispensed_at TEXT);
CREATE INDEX IF NOT EXISTS packs_drug ON packs (drug_code, dispensing);
CREATE TABLE IF NOT EXISTS reference (kind TEXT PRIMARY KEY, version TEXT NOT NULL, body TEXT NOT NULL,
    updated_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS hids (hid TEXT PRIMARY KEY, patient_kind TEXT NOT NULL, patient_value TEXT NOT NULL,
    facility TEXT NOT NULL, insurer TEXT NOT NULL, insurer_percent INTEGER NOT NULL, issued_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hid_plans (hid TEXT PRIMARY KEY, basic TEXT, supplementary TEXT,
    overlap INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS prescriptions (client_id TEXT PRIMARY KEY, tracking_code TEXT NOT NULL UNIQUE,
    facility TEXT NOT NULL, prescriber TEXT NOT NULL, patient_kind TEXT NOT NULL, patient_value TEXT NOT NULL,
    hid TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL, rule_approval_id TEXT NOT NULL,
    body_hash TEXT NOT NULL, bundle TEXT NOT NULL, insurer_share INTEGER NOT NULL, patient_share INTEGER NOT NULL,
    registered_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rx_patient ON prescriptions (patient_kind, patient_value);
CREATE INDEX IF NOT EXISTS rx_hid ON prescriptions (hid);
CREATE TABLE IF NOT EXISTS rx_versions (client_id TEXT NOT NULL, version INTEGER NOT NULL, bundle TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (client_id, version));
CREATE TABLE IF NOT EXISTS rx_items (client_id TEXT NOT NULL, line INTEGER NOT NULL, drug_code TEXT NOT NULL,
    quantity INTEGER NOT NULL, rule_approval_id TEXT NOT NULL, dispensing TEXT,
    dispensed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (client_id, line));
CREATE TABLE IF NOT EXISTS claims (client_id TEXT PRIMARY KEY, facility TEXT NOT NULL, secret_hash TEXT NOT NULL,
    claimed_at TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dispensings (id TEXT PRIMARY KEY, receipt TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,
    facility TEXT NOT NULL, pharmacist TEXT NOT NULL, lines TEXT NOT NULL, bundle TEXT NOT NULL, at TEXT NOT NULL,
    insurer_share INTEGER NOT NULL, patient_share INTEGER NOT NULL, ttac_reason TEXT);
CREATE INDEX IF NOT EXISTS dispensings_rx ON dispensings (client_id);
CREATE TABLE IF NOT EXISTS idempotency (facility TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
    status INTEGER NOT NULL, response TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (facility, key));
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, facility TEXT NOT NULL,
    kind TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, subject);
CREATE TABLE IF NOT EXISTS access_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, facility TEXT NOT NULL,
    query TEXT NOT NULL, found INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS auth_tokens (token_hash TEXT PRIMARY KEY, facility TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS auth_nonces (nonce TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fault_switch (id INTEGER PRIMARY KEY CHECK (id = 1), settings TEXT NOT NULL,
    rolls INTEGER NOT NULL DEFAULT 0);
"""


#: (table, column, script adding it): units dispensed per line (lines dispensed before counted whole), and
#: the reason a dispensing went without TTAC codes or checks
ADDED_COLUMNS = (
    (
        "rx_items",
        "dispensed",
        (
            "ALTER TABLE rx_items ADD COLUMN dispensed INTEGER NOT NULL DEFAULT 0;"
            "UPDATE rx_items SET dispensed = quantity WHERE dispensing IS NOT NULL;"
        ),
    ),
    ("dispensings", "ttac_reason", "ALTER TABLE dispensings ADD COLUMN ttac_reason TEXT;"),
)


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class ExchangeDB:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        c = self.conn()
        c.executescript(SCHEMA)
        for table, column, script in ADDED_COLUMNS:  # databases made before these columns were
            if column not in {r[1] for r in c.execute(f"PRAGMA table_info({table})")}:
                c.executescript(script)

    def conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
            c.execute("PRAGMA busy_timeout = 30000")
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = c
        return c

    def close(self) -> None:
        """Close this thread's connection (before a server forks its workers: no connection crosses a fork)."""
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One serialised transaction: everything inside commits together or not at all."""
        with self._write_lock:
            c = self.conn()
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self.conn().execute(sql, args).fetchone()

    def all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        return self.conn().execute(sql, args).fetchall()

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else default

    @staticmethod
    def next_serial(c: sqlite3.Connection, name: str, start: int = 1) -> int:
        row = c.execute("SELECT value FROM serials WHERE name = ?", (name,)).fetchone()
        value = (row[0] + 1) if row else start
        c.execute("INSERT OR REPLACE INTO serials (name, value) VALUES (?, ?)", (name, value))
        return value

    @staticmethod
    def event(c: sqlite3.Connection, facility: str, kind: str, subject: str, detail: Any = "") -> None:
        c.execute(
            "INSERT INTO events (at, facility, kind, subject, detail) VALUES (?,?,?,?,?)",
            (utcnow(), facility, kind, subject, detail if isinstance(detail, str) else json.dumps(detail)),
        )

    def stats(self) -> dict[str, Any]:
        """Counts the tests read to prove exactly-once effects."""
        events = dict(self.all("SELECT kind, count(*) FROM events GROUP BY kind"))
        dup = self.one(
            "SELECT count(*) FROM (SELECT subject FROM events WHERE kind = 'registered'"
            " GROUP BY subject HAVING count(*) > 1)"
        )[0]
        return {
            "prescriptions": self.one("SELECT count(*) FROM prescriptions")[0],
            "dispensings": self.one("SELECT count(*) FROM dispensings")[0],
            "hids": self.one("SELECT count(*) FROM hids")[0],
            "events": events,
            "duplicate_registrations": dup,
        }
