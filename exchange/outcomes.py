"""Registering the outcomes of services (national rules 9-2 step 8: a lab result, an imaging report) at the
reference exchange, and reading them back.

POST /outcomes takes an outcome Bundle (`sync.fhir.services.outcome_bundle`: a DiagnosticReport with its
Observations, based on one service line of a registered prescription) with an Idempotency-Key; it must be
signed by the sending (performing) facility's seal (`DocumentKind.OUTCOME`), and the prescription must be
registered and order that service on that line (404 `not-registered`, 422 `not-a-service`; 409 for a
cancelled one). The answer is a Task (`outcome`, `prescription`, `line`). The same outcome sent again
answers as before; its id with other content is 409 `id-reuse`. The event `outcome` forwards it to SEPAS.

GET /prescriptions/{id or tracking}/outcomes is a searchset Bundle whose entries are the outcome Bundles as
registered, for the issuing facility and for dispensing facilities (pharmacies, labs).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from app.signature_policy import DocumentKind, Party
from app.signing import SignatureRole
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError
from exchange.idempotency import Answer, body_hash, run_once
from exchange.verify import Verifier
from exchange.visits import make_tables
from sync import fhir
from sync.fhir.common import SYS_OUTCOME, task

SCHEMA = """
CREATE TABLE IF NOT EXISTS outcomes (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, line INTEGER NOT NULL,
    service TEXT NOT NULL, facility TEXT NOT NULL, body_hash TEXT NOT NULL, bundle TEXT NOT NULL,
    issued_at TEXT NOT NULL, registered_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outcomes_rx ON outcomes (client_id, line);
"""


class Outcomes:
    """The outcomes the exchange registered (its own table beside the prescriptions)."""

    def __init__(self, db: ExchangeDB, verifier: Verifier) -> None:
        self.db, self.verifier = db, verifier
        make_tables(db, SCHEMA)

    @staticmethod
    def _line_of(c: sqlite3.Connection, o: Any) -> None:
        """Refuse an outcome of a prescription or line the exchange does not hold as a service line."""
        rx = c.execute("SELECT state FROM prescriptions WHERE client_id = ?", (o.prescription_id,)).fetchone()
        if rx is None:
            raise ExchangeError(
                404, "not-registered", "The prescription is not registered.", "نسخه ثبت نشده است."
            )
        if rx[0] == "cancelled":
            raise ExchangeError(409, "cancelled", "The prescription was cancelled.", "نسخه ابطال شده است.")
        row = c.execute(
            "SELECT bundle FROM prescriptions WHERE client_id = ?", (o.prescription_id,)
        ).fetchone()
        registered, _ = fhir.bundle_to_prescription(json.loads(row[0]))
        item = next((it for it in registered.items if it.line == o.line), None)
        if item is None or not item.is_service or item.drug_code != o.service_code:
            raise ExchangeError(
                422,
                "not-a-service",
                f"Line {o.line} of the prescription does not order service {o.service_code}.",
                f"ردیف {o.line} نسخه خدمت {o.service_code} نیست.",
            )

    def register(self, facility: str, body: Any, key: str | None) -> tuple[Answer, bool]:
        """POST /outcomes (see the module's docstring): (status, Task) and whether it is a replay."""
        from exchange.prescriptions import parse

        o, sigs = parse(body, fhir.bundle_to_outcome)
        digest = body_hash(body)

        def work(c: sqlite3.Connection) -> Answer:
            out = {"outcome": o.id, "prescription": o.prescription_id, "line": o.line}
            existing = c.execute("SELECT body_hash, facility FROM outcomes WHERE id = ?", (o.id,)).fetchone()
            if existing is not None:
                if existing[1] != facility or existing[0] != digest:
                    raise ExchangeError(
                        409, "id-reuse", "This outcome id is registered with other content.", "این شناسهٔ نتیجه پیش‌تر ثبت شده است."
                    )
                return 200, task("completed", key or "", SYS_OUTCOME, o.id, out)
            if o.facility_siam != facility:
                raise ExchangeError(
                    422, "facility-mismatch", "The outcome names another facility.", "مرکز نتیجه با مرکز فرستنده یکی نیست."
                )
            self.verifier.signers(
                DocumentKind.OUTCOME, o.document(), sigs, named={SignatureRole.FACILITY: Party(facility)}, sender=facility
            )
            self._line_of(c, o)
            c.execute(
                "INSERT INTO outcomes VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    o.id, o.prescription_id, o.line, o.service_code, facility, digest,
                    json.dumps(body, ensure_ascii=False), o.issued_at.isoformat(), utcnow(),
                ),
            )
            ExchangeDB.event(c, facility, "outcome", o.id, o.prescription_id)
            return 201, task("completed", key or "", SYS_OUTCOME, o.id, out)

        return run_once(self.db, facility, key, digest, work)

    def of(self, rx_id: str) -> dict[str, Any]:
        """GET /prescriptions/{id}/outcomes: a searchset Bundle of the outcome Bundles of `rx_id`."""
        rows = self.db.all("SELECT bundle FROM outcomes WHERE client_id = ? ORDER BY line, issued_at", (rx_id,))
        entries = [{"resource": json.loads(r[0])} for r in rows]
        out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
        if entries:
            out["entry"] = entries
        return out


def outcome_record(c: sqlite3.Connection, outcome_id: str) -> dict[str, Any] | None:
    """What SEPAS keeps of a registered outcome (`exchange.sepas`): the signed bundle, for the patient of
    its prescription."""
    row = c.execute(
        "SELECT o.facility, o.client_id, o.line, o.service, o.bundle, p.patient_kind, p.patient_value"
        " FROM outcomes o JOIN prescriptions p ON p.client_id = o.client_id WHERE o.id = ?",
        (outcome_id,),
    ).fetchone()
    if row is None:
        return None
    return {
        "kind": "outcome",
        "subject": outcome_id,
        "version": 1,
        "facility": row[0],
        "author": row[0],
        "patient_kind": row[5],
        "patient_value": row[6],
        "reference": "",
        "prescription": row[1],
        "items": [{"line": row[2], "code": row[3], "quantity": 1}],
        "document": row[4],
    }


__all__ = ["SCHEMA", "Outcomes", "outcome_record"]
