"""Eligibility (استحقاق‌سنجی): who the patient is, which insurers cover them, and the visit's HID.

A newborn is looked up under the mother's national code, an armed-forces newborn by its insurance number
(the AFMS coverage that carries it, section 7-1 note 4); a person the insured-persons database does not
know, or knows without cover, still gets an HID (self-pay): the visit happens either way. Each coverage is
answered with its kind (basic or supplementary) and whether it is in force; `overlap` is true when more than
one basic coverage is in force. The plans that pay for the visit (`app.costs.choose_coverages`) are kept
with the HID (`hid_plans`): registration, the rules and dispensing price under them.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from app.costs import choose_coverages, insurer_percent, plan_code
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
        if kind == "armed-forces-newborn":  # its id is its AFMS insurance number (7-1 note 4)
            found = c.execute(
                "SELECT kind, value FROM coverages WHERE insurance_number = ? AND insurer = 'AFMS' LIMIT 1",
                (value,),
            ).fetchone()
            kind, value = found if found else (kind, value)
        covs = c.execute(
            "SELECT insurer, scheme, insurance_number, valid_until FROM coverages"
            " WHERE kind = ? AND value = ? ORDER BY rowid",
            (kind, value),
        ).fetchall()
        known = c.execute(
            "SELECT birth_date, sex FROM persons WHERE kind = ? AND value = ?", (kind, value)
        ).fetchone()
        coverages = []
        for insurer, scheme, number, until in covs:
            doc = c.execute("SELECT doc FROM insurers WHERE code = ?", (scheme or insurer,)).fetchone()
            rules = json.loads(doc[0])["rules"] if doc else {}
            coverages.append(
                {
                    "insurer": insurer,
                    "scheme": scheme,
                    "insurance_number": number,
                    "insurer_percent": insurer_percent(rules),
                    "valid_until": until,
                    "inforce": until >= dt.date.today().isoformat(),
                    "kind": "supplementary" if rules.get("supplementary") else "basic",
                }
            )
        # the same choice the workstation makes from this answer: the first basic cover in force pays (an
        # overlap never pays twice), a supplementary one pays part of what is left
        basic, extra, overlap = choose_coverages(coverages)
        hid = Hid.from_serial(ExchangeDB.next_serial(c, "hid", 100_000_000_000_000)).value
        c.execute(
            "INSERT INTO hids VALUES (?,?,?,?,?,?,?)",
            (
                hid,
                patient.id.kind,
                patient.id.value,
                facility,
                plan_code(basic) or "NONE",
                basic["insurer_percent"] if basic else 0,
                utcnow(),
            ),
        )
        c.execute(
            "INSERT INTO hid_plans (hid, basic, supplementary, overlap) VALUES (?,?,?,?)",
            (hid, plan_code(basic) or "NONE", plan_code(extra), int(overlap)),
        )
        ExchangeDB.event(c, facility, "hid", hid, str(patient.id))
        insured = basic is not None
        disposition = (
            ("insured" if insured else "known, not insured: self-pay")
            if known
            else "not found in the insured-persons database: self-pay"
        )
        born, sex = (known[0] or "", known[1] or "") if known and patient.id.kind != "newborn" else ("", "")
        e = fhir.Eligibility(hid, insured, coverages, overlap, disposition, sex=sex, birth_date=born)
        return 200, fhir.eligibility_response(body, e, key or "")

    return run_once(db, facility, key, body_hash(body), work)
