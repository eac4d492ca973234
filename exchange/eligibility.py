"""Eligibility (استحقاق‌سنجی): who the patient is, which insurers cover them, and the visit's HID.

A newborn is looked up under the mother's national code; a person the insured-persons database does not
know, or knows without cover, still gets an HID (self-pay): the visit happens either way.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from app.costs import insurer_percent
from app.identifiers import Hid
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError
from exchange.idempotency import Answer, body_hash, run_once
from exchange.prescriptions import parse
from sync import fhir
from sync.fhir.eligibility import read_eligibility_request


def eligibility(db: ExchangeDB, facility: str, body: Any, key: str | None) -> tuple[Answer, bool]:
    """Identity and insurance of the patient, and a fresh HID for this visit (a replay returns the same HID)."""
    patient, provider = parse(body, read_eligibility_request)
    if provider != facility:
        raise ExchangeError(
            422,
            "facility-mismatch",
            "The request names another facility.",
            "درخواست به نام مرکز دیگری است.",
        )

    def work(c: sqlite3.Connection) -> Answer:
        kind, value = patient.id.kind, patient.id.value
        if kind == "newborn":  # covered under the mother until registered
            kind, value = "national-code", value.split("-")[0]
        covs = c.execute(
            "SELECT insurer, scheme, insurance_number, valid_until FROM coverages"
            " WHERE kind = ? AND value = ? ORDER BY rowid",
            (kind, value),
        ).fetchall()
        known = c.execute("SELECT 1 FROM persons WHERE kind = ? AND value = ?", (kind, value)).fetchone()
        coverages = []
        for insurer, scheme, number, until in covs:
            doc = c.execute("SELECT doc FROM insurers WHERE code = ?", (scheme or insurer,)).fetchone()
            pct = insurer_percent(json.loads(doc[0])["rules"]) if doc else 0
            coverages.append(
                {
                    "insurer": insurer,
                    "scheme": scheme,
                    "insurance_number": number,
                    "insurer_percent": pct,
                    "valid_until": until,
                    "inforce": until >= dt.date.today().isoformat(),
                }
            )
        hid = Hid.from_serial(ExchangeDB.next_serial(c, "hid", 100_000_000_000_000)).value
        plan = (coverages[0]["scheme"] or coverages[0]["insurer"]) if coverages else "NONE"
        c.execute(
            "INSERT INTO hids VALUES (?,?,?,?,?,?,?)",
            (
                hid,
                patient.id.kind,
                patient.id.value,
                facility,
                plan,
                coverages[0]["insurer_percent"] if coverages else 0,
                utcnow(),
            ),
        )
        ExchangeDB.event(c, facility, "hid", hid, str(patient.id))
        disposition = (
            ("insured" if coverages else "known, not insured: self-pay")
            if known
            else "not found in the insured-persons database: self-pay"
        )
        e = fhir.Eligibility(hid, bool(coverages), coverages, len(coverages) > 1, disposition)
        return 200, fhir.eligibility_response(body, e, key or "")

    return run_once(db, facility, key, body_hash(body), work)
