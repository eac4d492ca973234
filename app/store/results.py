"""What the exchange answered, kept per subject and kind: the visit's HID (section 9-1 step 2), the
tracking code and rule-approval ids of a registration (9-1 steps 4 and 5), a cancellation, a dispensing's
receipt (9-2 step 6), a refusal, a status learned later. One row per (subject, kind): the latest answer."""

from __future__ import annotations

import json
from typing import Any

from app.store.db import Database, json_dumps, now_iso
from app.store.outbox import chain_of


class ExchangeResults:
    """The `exchange_results` table. `subject` is `rx:<id>` or `disp:<id>`; `kind` names the answer
    (`eligibility`, `registration`, `cancellation`, `receipt`, `status`, `refusal:<op>`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def keep(self, subject: str, kind: str, data: dict[str, Any]) -> None:
        """Remember what the exchange said (`data`, a JSON object) about `subject`, replacing the
        previous answer of that kind (joins the caller's transaction)."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO exchange_results (subject, kind, data, at) VALUES (?,?,?,?)",
                (subject, kind, json_dumps(data), now_iso()),
            )

    def get(self, subject: str, kind: str) -> dict[str, Any] | None:
        """The latest answer of `kind` about `subject` (JSON-decoded), or None."""
        row = self.db.conn().execute(
            "SELECT data FROM exchange_results WHERE subject = ? AND kind = ?", (subject, kind)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def for_prescription(self, rx_id: str) -> dict[str, dict[str, Any]]:
        """Every answer about the prescription `rx_id` and about the subjects of its outbox chain (its
        dispensings): `{"<subject>/<kind>": data}`, data JSON-decoded. Empty when there is none."""
        rows = self.db.conn().execute(
            "SELECT subject, kind, data FROM exchange_results WHERE subject = ? OR subject IN"
            " (SELECT subject FROM outbox WHERE chain = ?)",
            (f"rx:{rx_id}", chain_of(rx_id)),
        )
        return {f"{s}/{k}": json.loads(d) for s, k, d in rows}
