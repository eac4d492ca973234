"""The medical council's answers about prescribers (national rules section 8-12), kept with the time each
came, so that offline the last answer can be shown with its age.

Kept among the exchange's answers (`exchange_results`, subject `council:<number>`, kind `inquiry`): one row
per council number, the latest answer."""

from __future__ import annotations

import json
from typing import Any

from app.store.db import Database, json_dumps, now_iso

KIND = "inquiry"


def _subject(number: str) -> str:
    return f"council:{number}"


class CouncilAnswers:
    """The latest council answer per council number."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def keep(self, number: str, answer: dict[str, Any]) -> None:
        """Remember `answer` (a JSON object) about council number `number`, replacing the previous one
        (joins the caller's transaction)."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO exchange_results (subject, kind, data, at) VALUES (?,?,?,?)",
                (_subject(number), KIND, json_dumps(answer), now_iso()),
            )

    def get(self, number: str) -> dict[str, Any] | None:
        """The answer kept about `number` (JSON-decoded), or None when the council was never asked."""
        row = (
            self.db.conn()
            .execute(
                "SELECT data FROM exchange_results WHERE subject = ? AND kind = ?", (_subject(number), KIND)
            )
            .fetchone()
        )
        return json.loads(row[0]) if row else None

    def kept_at(self, number: str) -> str | None:
        """When the answer about `number` was kept here (ISO 8601 UTC), or None."""
        row = (
            self.db.conn()
            .execute(
                "SELECT at FROM exchange_results WHERE subject = ? AND kind = ?", (_subject(number), KIND)
            )
            .fetchone()
        )
        return str(row[0]) if row else None
