"""Small things the workstation keeps: settings and facts in `meta` (key → text), files in `blobs`.

Meta holds the workstation's role and facility, its settings (exchange URL, token labels), the sync
engine's connectivity and the versions of its reference data; blobs hold the trust list, the cached rule
sets and signed paper payloads.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.store.db import Database, now_iso


class MetaRepository:
    """The `meta` table: one text value per key."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value kept under `key`, or `default` when there is none."""
        row = self.db.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set(self, key: str, value: str) -> None:
        """Keep `value` under `key`, replacing what was there (joins the caller's transaction)."""
        self.set_many({key: value})

    def set_many(self, values: Mapping[str, str]) -> None:
        """Keep every key → value of `values` in one transaction (joins the caller's)."""
        with self.db.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items()))


class BlobRepository:
    """The `blobs` table: named byte strings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, name: str) -> bytes | None:
        """The bytes kept under `name`, or None."""
        row = self.db.conn().execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
        return bytes(row[0]) if row else None

    def put(self, name: str, data: bytes) -> None:
        """Keep `data` under `name`, replacing what was there (joins the caller's transaction)."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO blobs (name, data, updated_at) VALUES (?, ?, ?)",
                (name, bytes(data), now_iso()),
            )
