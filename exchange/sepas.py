"""SEPAS (سپاس), the national electronic health record (national rules section 8-5; seeds/003): the final home
of every e-prescription, modelled as its own store beside the reference exchange.

The exchange forwards to it from its event log, each event once and in order (`Sepas.forward`):

| exchange event | SEPAS record                                              |
|----------------|-----------------------------------------------------------|
| registered     | prescription, version 1 (the bundle as registered)        |
| edited         | prescription, the new version                             |
| cancelled      | cancellation of the prescription                          |
| dispensed      | dispensing (the bundle as registered, its receipt)        |
| visit          | visit (the signed bundle, its service)                    |
| outcome        | outcome of a service line (the signed DiagnosticReport)   |

Forwarding runs after every write the API answers and before every SEPAS query, in its own transaction:
a registration never waits for SEPAS nor fails with it, and what SEPAS holds never lags behind what the
exchange answered. The position in the event log is kept in `meta` (`sepas.forwarded`); the event's seq is
unique in `sepas_records`, so an event is forwarded exactly once.

    GET /sepas?national-code=X | fida=X | unique-id=X | newborn=X   the records of that patient from the
                                                                     asking facility (searchset Bundle of
                                                                     DocumentReference, `sync.fhir.sepas`)
    GET /sepas/records/{seq}                                         one record's document (the signed bundle)
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from app.services.sepas import SepasItem, SepasRecord
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError, malformed, not_found
from sync import fhir
from sync.fhir.sepas import sepas_bundle

SCHEMA = """
CREATE TABLE IF NOT EXISTS sepas_records (seq INTEGER PRIMARY KEY, event INTEGER NOT NULL UNIQUE,
    kind TEXT NOT NULL, subject TEXT NOT NULL, version INTEGER NOT NULL, facility TEXT NOT NULL,
    patient_kind TEXT NOT NULL, patient_value TEXT NOT NULL, author TEXT NOT NULL,
    reference TEXT NOT NULL DEFAULT '', prescription TEXT NOT NULL DEFAULT '', items TEXT NOT NULL,
    document TEXT, occurred_at TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sepas_patient ON sepas_records (patient_kind, patient_value, facility);
"""
CURSOR = "sepas.forwarded"
#: the exchange's event kinds SEPAS receives
FORWARDED = ("registered", "edited", "cancelled", "dispensed", "visit", "outcome")
#: the patient keys SEPAS is searched by
PATIENT_KEYS = ("national-code", "fida", "unique-id", "newborn")


def _rx_record(c: sqlite3.Connection, kind: str, rx_id: str, version: int | None) -> dict[str, Any] | None:
    row = c.execute(
        "SELECT facility, prescriber, patient_kind, patient_value, tracking_code FROM prescriptions"
        " WHERE client_id = ?",
        (rx_id,),
    ).fetchone()
    if row is None:
        return None
    out = {
        "kind": kind,
        "subject": rx_id,
        "version": version or 1,
        "facility": row[0],
        "author": row[1],
        "patient_kind": row[2],
        "patient_value": row[3],
        "reference": row[4],
        "prescription": rx_id if kind == "cancellation" else "",
        "items": [],
        "document": None,
    }
    if kind == "prescription":
        found = c.execute(
            "SELECT version, bundle FROM rx_versions WHERE client_id = ? AND (? IS NULL OR version = ?)"
            " ORDER BY version LIMIT 1",
            (rx_id, version, version),
        ).fetchone()
        if found is None:
            return None
        rx, _ = fhir.bundle_to_prescription(json.loads(found[1]))
        out["version"], out["document"] = found[0], found[1]
        out["items"] = [
            {"line": it.line, "code": it.drug_code, "quantity": it.quantity, "name": it.drug_name}
            for it in rx.items
        ]
    return out


def _dispensing_record(c: sqlite3.Connection, disp_id: str) -> dict[str, Any] | None:
    row = c.execute(
        "SELECT d.receipt, d.client_id, d.facility, d.pharmacist, d.bundle, p.patient_kind, p.patient_value"
        " FROM dispensings d JOIN prescriptions p ON p.client_id = d.client_id WHERE d.id = ?",
        (disp_id,),
    ).fetchone()
    if row is None:
        return None
    d, _ = fhir.bundle_to_dispensing(json.loads(row[4]))
    return {
        "kind": "dispensing",
        "subject": disp_id,
        "version": 1,
        "facility": row[2],
        "author": row[3],
        "patient_kind": row[5],
        "patient_value": row[6],
        "reference": row[0],
        "prescription": row[1],
        "items": [{"line": it.line, "code": it.drug_code, "quantity": it.quantity} for it in d.items],
        "document": row[4],
    }


def _record_of(c: sqlite3.Connection, kind: str, subject: str, detail: str) -> dict[str, Any] | None:
    if kind == "registered":
        return _rx_record(c, "prescription", subject, None)
    if kind == "edited":
        return _rx_record(c, "prescription", subject, int(detail) if detail.isdigit() else None)
    if kind == "cancelled":
        return _rx_record(c, "cancellation", subject, None)
    if kind == "dispensed":
        return _dispensing_record(c, subject)
    if kind == "visit":
        from exchange.visits import visit_record

        return visit_record(c, subject)
    if kind == "outcome":
        from exchange.outcomes import outcome_record

        return outcome_record(c, subject)
    return None


class Sepas:
    """The SEPAS store beside the exchange's database `db` (its own table, made on first use)."""

    def __init__(self, db: ExchangeDB) -> None:
        self.db = db
        with db.write() as c:  # statement by statement: executescript would commit the transaction
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    c.execute(statement)

    def forward(self) -> int:
        """Forward every event of the exchange not forwarded yet (`FORWARDED` kinds), in order, in one
        transaction; returns how many records SEPAS received."""
        n = 0
        last = self.db.one("SELECT max(seq) FROM events")[0] or 0
        if last <= int(self.db.meta(CURSOR) or 0):
            return 0  # nothing new: no write lock taken
        with self.db.write() as c:
            row = c.execute("SELECT value FROM meta WHERE key = ?", (CURSOR,)).fetchone()
            start = int(row[0]) if row else 0
            events = c.execute(
                f"SELECT seq, at, kind, subject, detail FROM events WHERE seq > ? AND kind IN"
                f" ({','.join('?' * len(FORWARDED))}) ORDER BY seq",
                (start, *FORWARDED),
            ).fetchall()
            now = utcnow()
            for seq, at, kind, subject, detail in events:
                rec = _record_of(c, kind, subject, detail or "")
                if rec is not None:
                    c.execute(
                        "INSERT OR IGNORE INTO sepas_records (event, kind, subject, version, facility,"
                        " patient_kind, patient_value, author, reference, prescription, items, document,"
                        " occurred_at, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            seq,
                            rec["kind"],
                            rec["subject"],
                            rec["version"],
                            rec["facility"],
                            rec["patient_kind"],
                            rec["patient_value"],
                            rec["author"],
                            rec["reference"] or "",
                            rec["prescription"],
                            json.dumps(rec["items"], ensure_ascii=False),
                            rec["document"],
                            at,
                            now,
                        ),
                    )
                    n += 1
            if events:
                c.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (CURSOR, str(events[-1][0]))
                )
        return n

    def records(self, facility: str, patient_kind: str, patient_value: str) -> list[tuple[int, SepasRecord]]:
        """`(seq, record)` of every record SEPAS holds for the patient from `facility`, oldest first."""
        rows = self.db.all(
            "SELECT seq, kind, subject, version, facility, patient_kind, patient_value, author, reference,"
            " prescription, items, occurred_at, received_at FROM sepas_records WHERE patient_kind = ? AND"
            " patient_value = ? AND facility = ? ORDER BY seq",
            (patient_kind, patient_value, facility),
        )
        return [
            (
                r[0],
                SepasRecord(
                    kind=r[1],
                    subject=r[2],
                    version=r[3],
                    facility=r[4],
                    patient=f"{r[5]}:{r[6]}",
                    author=r[7],
                    reference=r[8],
                    prescription=r[9],
                    items=tuple(SepasItem(**i) for i in json.loads(r[10])),
                    occurred_at=r[11],
                    received_at=r[12],
                ),
            )
            for r in rows
        ]

    def search(self, facility: str, query: dict[str, str]) -> dict[str, Any]:
        """GET /sepas: the searchset Bundle for the one patient key in `query`, from `facility`, after
        forwarding what is pending. Raises `ExchangeError` 400 unless exactly one patient key is given."""
        keys = [(k, v) for k, v in query.items() if k in PATIENT_KEYS]
        if len(keys) != 1:
            raise malformed(f"search SEPAS by exactly one of {', '.join(PATIENT_KEYS)}")
        self.forward()
        kind, value = keys[0]
        return sepas_bundle(self.records(facility, kind, value.strip()))

    def document(self, facility: str, seq: int) -> Any:
        """GET /sepas/records/{seq}: the document SEPAS keeps for one record of `facility` (the signed
        bundle; a cancellation has none). Raises `ExchangeError` 404."""
        row = self.db.one("SELECT document, facility FROM sepas_records WHERE seq = ?", (seq,))
        if row is None or row[1] != facility:
            raise not_found("SEPAS record", "سابقهٔ سپاس", str(seq))
        if row[0] is None:
            raise ExchangeError(
                404, "no-document", "This SEPAS record carries no document.", "این سابقه سندی ندارد."
            )
        return json.loads(row[0])


__all__ = ["FORWARDED", "PATIENT_KEYS", "SCHEMA", "Sepas"]
