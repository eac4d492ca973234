"""Registering visits (national rules 9-1 step 7) at the reference exchange.

POST /visits takes a visit Bundle (`sync.fhir.services.visit_bundle`) with an Idempotency-Key: the
prescriber's and the facility's signatures over the visit's document (`DocumentKind.VISIT`), the sender's
SIAM id, the prescriber's licence (the medical council table), the service code (a visit of the services
catalog), the HID when it carries one (issued for this patient) are checked; the visit is priced under the
HID's plans (or the coverage it states) with `app.costs.service_cost` — the client's function — and kept
with a tracking code. The answer is a Task: `trackingCode`, `cost` (rials), `hid`. The same visit sent again
answers as before; its id with other content is 409 `id-reuse`. The event `visit` forwards it to SEPAS and
the clinic's statement lists it (`exchange.reference.statement`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from app.catalog import service
from app.costs import service_cost
from app.identifiers import TrackingCode
from app.signature_policy import DocumentKind, Party
from app.signing import SignatureRole
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError
from exchange.idempotency import Answer, body_hash, run_once
from exchange.rules import plans_for
from exchange.verify import Verifier
from sync import fhir
from sync.fhir.common import SYS_VISIT, task

SCHEMA = """
CREATE TABLE IF NOT EXISTS visits (id TEXT PRIMARY KEY, tracking_code TEXT NOT NULL UNIQUE, facility TEXT NOT NULL,
    prescriber TEXT NOT NULL, patient_kind TEXT NOT NULL, patient_value TEXT NOT NULL, hid TEXT,
    service TEXT NOT NULL, insurer_share INTEGER NOT NULL, patient_share INTEGER NOT NULL, body_hash TEXT NOT NULL,
    bundle TEXT NOT NULL, visited_at TEXT NOT NULL, registered_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS visits_facility ON visits (facility, registered_at);
"""


def make_tables(db: ExchangeDB, schema: str) -> None:
    """Create the tables of `schema` when missing (statement by statement, in one transaction)."""
    with db.write() as c:
        for statement in schema.split(";"):
            if statement.strip():
                c.execute(statement)


class Visits:
    """The visits the exchange registered (its own table beside the prescriptions)."""

    def __init__(self, db: ExchangeDB, verifier: Verifier) -> None:
        self.db, self.verifier = db, verifier
        make_tables(db, SCHEMA)

    def _answer(self, c: sqlite3.Connection, key: str, visit_id: str) -> dict[str, Any]:
        row = c.execute(
            "SELECT tracking_code, insurer_share, patient_share, hid FROM visits WHERE id = ?", (visit_id,)
        ).fetchone()
        out = {"trackingCode": row[0], "cost": {"insurer": row[1], "patient": row[2]}, "hid": row[3]}
        return task("completed", key, SYS_VISIT, visit_id, out)

    def _check(self, c: sqlite3.Connection, facility: str, v: Any, sigs: list[Any]) -> Any:
        """The checks of the module's docstring; returns the visit's service."""
        from exchange.prescriptions import refuse_wrong_legal_fields

        if v.facility_siam != facility:
            raise ExchangeError(
                422, "facility-mismatch", "The visit names another facility.", "مرکز ویزیت با مرکز فرستنده یکی نیست."
            )
        svc = service(v.service_code)
        if svc is None or svc.kind != "visit":
            raise ExchangeError(
                422, "unknown-service", f"{v.service_code} is not a visit service.", f"{v.service_code} کد ویزیت نیست."
            )
        refuse_wrong_legal_fields(v)  # section 7: the provider's national id, the patient's phone
        named = {
            SignatureRole.PRESCRIBER: Party(v.prescriber.medical_council_number, v.prescriber.national_code or None),
            SignatureRole.FACILITY: Party(v.facility_siam),
        }
        self.verifier.signers(DocumentKind.VISIT, v.document(), sigs, named=named, sender=facility)
        member = c.execute("SELECT status FROM council WHERE number = ?", (v.prescriber.medical_council_number,))
        status = member.fetchone()
        if status is not None and status[0] != "active":
            raise ExchangeError(
                422, "prescriber-suspended", "The prescriber's licence is suspended.", "پروانهٔ تجویزگر تعلیق شده است."
            )
        if v.hid:
            h = c.execute("SELECT patient_kind, patient_value FROM hids WHERE hid = ?", (v.hid,)).fetchone()
            if h is None or (h[0], h[1]) != (v.patient.id.kind, v.patient.id.value):
                raise ExchangeError(
                    422, "hid-mismatch", "The HID was not issued for this patient.", "شناسه شباد برای این بیمار صادر نشده است."
                )
        return svc

    def register(self, facility: str, body: Any, key: str | None) -> tuple[Answer, bool]:
        """POST /visits (see the module's docstring): (status, Task) and whether it is a replay."""
        from exchange.prescriptions import parse

        v, sigs = parse(body, fhir.bundle_to_visit)
        digest = body_hash(body)

        def work(c: sqlite3.Connection) -> Answer:
            existing = c.execute("SELECT body_hash, facility FROM visits WHERE id = ?", (v.id,)).fetchone()
            if existing is not None:
                if existing[1] != facility or existing[0] != digest:
                    raise ExchangeError(
                        409, "id-reuse", "This visit id is registered with other content.", "این شناسهٔ ویزیت پیش‌تر ثبت شده است."
                    )
                return 200, self._answer(c, key or "", v.id)
            svc = self._check(c, facility, v, sigs)
            cost = service_cost(svc.tariff, 1, svc.kind, plans_for(self.db, hid=v.hid, patient=v.patient))
            tracking = TrackingCode.from_serial(ExchangeDB.next_serial(c, "tracking", 10_000_000_000)).value
            c.execute(
                "INSERT INTO visits VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    v.id, tracking, facility, v.prescriber.medical_council_number, v.patient.id.kind,
                    v.patient.id.value, v.hid, v.service_code, cost.insurer, cost.patient, digest,
                    json.dumps(body, ensure_ascii=False), v.visited_at.isoformat(), utcnow(),
                ),
            )
            ExchangeDB.event(c, facility, "visit", v.id, tracking)
            return 201, self._answer(c, key or "", v.id)

        return run_once(self.db, facility, key, digest, work)


def visit_record(c: sqlite3.Connection, visit_id: str) -> dict[str, Any] | None:
    """What SEPAS keeps of a registered visit (`exchange.sepas`): the signed bundle, its service and split."""
    row = c.execute(
        "SELECT facility, prescriber, patient_kind, patient_value, tracking_code, service, bundle FROM visits"
        " WHERE id = ?",
        (visit_id,),
    ).fetchone()
    if row is None:
        return None
    svc = service(row[5])
    return {
        "kind": "visit",
        "subject": visit_id,
        "version": 1,
        "facility": row[0],
        "author": row[1],
        "patient_kind": row[2],
        "patient_value": row[3],
        "reference": row[4],
        "prescription": "",
        "items": [{"line": 1, "code": row[5], "quantity": 1, "name": svc.name_fa if svc else ""}],
        "document": row[6],
    }


def statement_lines(db: ExchangeDB, facility: str, lo: str, hi: str) -> list[dict[str, Any]]:
    """The clinic's visits registered from `lo` to before `hi` (ISO dates) as statement lines (9-1 step 8):
    `{"visit", "trackingCode", "service", "at", "insurer", "patient", "kind": "visit"}`, rials."""
    rows = db.all(
        "SELECT id, tracking_code, service, registered_at, insurer_share, patient_share FROM visits"
        " WHERE facility = ? AND registered_at >= ? AND registered_at < ? ORDER BY registered_at",
        (facility, lo, hi),
    )
    return [
        {"visit": r[0], "trackingCode": r[1], "service": r[2], "at": r[3], "insurer": r[4], "patient": r[5], "kind": "visit"}
        for r in rows
    ]


def siam_lookup(db: ExchangeDB, siam: str) -> dict[str, Any]:
    """GET /siam/{id}: the facility registry's entry (SIAM, section 8-9) as a FHIR Organization — its SIAM
    id, name, kind (clinic, pharmacy…) and whether it is active. Public, as the registry's search is.
    Raises `ExchangeError` 404 `not-found` for an id the registry does not hold."""
    from exchange.errors import not_found
    from sync.fhir.common import SYS_SIAM, ident

    row = db.one("SELECT siam, kind, name, active FROM facilities WHERE siam = ?", (siam,))
    if row is None:
        raise not_found("facility", "مرکز", siam)
    return {
        "resourceType": "Organization",
        "identifier": [ident(SYS_SIAM, row[0])],
        "active": bool(row[3]),
        "type": [{"text": row[1]}],
        "name": row[2],
    }


__all__ = ["SCHEMA", "Visits", "make_tables", "siam_lookup", "statement_lines", "visit_record"]
