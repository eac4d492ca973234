"""Insurance and clinical rules, before prescribing and before dispensing, at the exchange.

The engine is the workstation's own (`app.rules`): the exchange runs it on its rule set, its price list and
the plans eligibility found for the visit's HID (`hid_plans`), so a workstation that holds the same rule set,
prices and plans finds the same findings and the same split. A rejection stops a registration or a
dispensing (422 with the findings) unless every rejection is overridable and the prescription carries the
prescriber's reason; advisories and warnings travel with the result. Expired packs (TTAC's data, not a rule)
are refused here too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.costs import Plans, choose_coverages, plan_code
from app.domain import Dispensing, Drug, Insurer, Patient, Prescription, Sex
from app.rules import REJECTION, Finding, Reference, RulesResult
from app.rules import check_dispensing as _check_dispensing
from app.rules import check_prescription as _check_prescription
from exchange.db import ExchangeDB

__all__ = [
    "Finding",
    "RulesResult",
    "check_dispensing",
    "check_prescription",
    "drug",
    "group",
    "plan",
    "plans_for",
    "rule_set",
]


def rule_set(db: ExchangeDB) -> dict[str, Any]:
    """The rule set the exchange publishes (`GET /reference/rules`)."""
    row = db.one("SELECT body FROM reference WHERE kind = 'rules'")
    return json.loads(row[0]) if row else {}


def plan(db: ExchangeDB, code: str | None) -> Insurer | None:
    """The insurer, scheme or supplementary plan of `code`, with its rules; None when unknown."""
    row = db.one("SELECT doc FROM insurers WHERE code = ?", (code,)) if code else None
    if row is None:
        return None
    doc = json.loads(row[0])
    return Insurer(doc["code"], doc["name_fa"], doc["name_en"], doc["rules"])


def drug(db: ExchangeDB, code: str) -> Drug | None:
    """The drug of the national list with its current unit price (rials); None for an unknown code."""
    row = db.one("SELECT doc FROM drugs WHERE code = ?", (code,))
    if row is None:
        return None
    d = json.loads(row[0])
    keys = ("code", "generic_fa", "generic_en", "form", "strength", "route", "atc", "form_fa", "price")
    return Drug(**{k: d[k] for k in keys})


def _hid_plans(db: ExchangeDB, hid: str) -> Plans | None:
    row = db.one("SELECT basic, supplementary FROM hid_plans WHERE hid = ?", (hid,))
    if row is None:  # an HID issued before plans were kept: its basic plan only
        old = db.one("SELECT insurer FROM hids WHERE hid = ?", (hid,))
        return Plans.of(plan(db, old[0])) if old else None
    return Plans.of(plan(db, row[0]), plan(db, row[1]))


def _patient_plans(db: ExchangeDB, patient: Patient) -> Plans:
    """The plans a prescription states for its patient (before eligibility answered)."""
    coverages: list[Mapping[str, Any]] = []
    if patient.coverage is not None:
        coverages.append({"insurer": patient.coverage.insurer_code, "scheme": patient.coverage.scheme})
    if patient.supplementary is not None:
        coverages.append({"insurer": patient.supplementary.insurer_code, "kind": "supplementary"})
    basic, extra, _ = choose_coverages(coverages)
    return Plans.of(plan(db, plan_code(basic)), plan(db, plan_code(extra)))


def plans_for(db: ExchangeDB, *, hid: str | None = None, patient: Patient | None = None) -> Plans:
    """The plans that pay: those eligibility found for `hid` (the authority, once issued), else the
    coverage the prescription states for `patient`; no plan at all when neither is known."""
    if hid:
        found = _hid_plans(db, hid)
        if found is not None:
            return found
    return _patient_plans(db, patient) if patient is not None else Plans()


def group(db: ExchangeDB, code: str) -> str | None:
    """The interchangeable group of drug `code` in the national list (`app.substitution`), None for a drug
    in no group."""
    row = db.one("SELECT json_extract(doc, '$.group') FROM drugs WHERE code = ?", (code,))
    return str(row[0]) if row and row[0] else None


def _reference(db: ExchangeDB, plans: Plans) -> Reference:
    return Reference(rule_set(db), lambda code: drug(db, code), plans, group=lambda code: group(db, code))


def council_specialty(db: ExchangeDB, rx: Prescription) -> Prescription:
    """`rx` as the rules judge it: with the specialty the medical council keeps for its prescriber (the
    authority, section 8-12) in place of the one the prescription states; unchanged for a prescriber the
    council does not know."""
    row = db.one("SELECT specialty FROM council WHERE number = ?", (rx.prescriber.medical_council_number,))
    if row is None or not row[0] or row[0] == rx.prescriber.specialty:
        return rx
    return replace(rx, prescriber=replace(rx.prescriber, specialty=row[0]))


def known_person(db: ExchangeDB, rx: Prescription) -> Prescription:
    """`rx` with the patient's sex and birth date as the insured-persons database keeps them where the
    prescription states none (what eligibility answered the prescriber too): both engines judge age and
    sex limits on the same facts. Unchanged for a person the exchange does not know."""
    p = rx.patient
    if p.sex is not None and p.birth_date is not None:
        return rx
    kind, value = p.id.kind, p.id.value
    if kind == "newborn":
        return rx
    row = db.one("SELECT birth_date, sex FROM persons WHERE kind = ? AND value = ?", (kind, value))
    if row is None:
        return rx
    born = p.birth_date or (dt.date.fromisoformat(row[0]) if row[0] else None)
    sex = p.sex or (Sex(row[1]) if row[1] in {s.value for s in Sex} else None)
    return replace(rx, patient=replace(p, birth_date=born, sex=sex))


def check_prescription(db: ExchangeDB, rx: Prescription, plans: Plans | None = None) -> RulesResult:
    """The rules on `rx` (9-1 step 4) under `plans` (default: `plans_for` its HID, else its coverage),
    judged on the prescriber's specialty as the council knows it (`council_specialty`), with the
    prescriber's override reason applied when the rules allow one."""
    plans = plans if plans is not None else plans_for(db, hid=rx.hid, patient=rx.patient)
    judged = known_person(db, council_specialty(db, rx))
    return _check_prescription(judged, _reference(db, plans)).override(rx.override_reason)


def check_dispensing(
    db: ExchangeDB,
    rx: Prescription,
    d: Dispensing,
    plans: Plans | None = None,
    *,
    dispensed: Mapping[int, int] | None = None,
) -> RulesResult:
    """The rules on dispensing `d` of `rx` (9-2 step 5) under `plans` (default: those of the
    prescription's HID), `dispensed` being the units of each line handed over before; and every pack past
    its expiry date (TTAC) is a rejection."""
    plans = plans if plans is not None else plans_for(db, hid=rx.hid or d.hid, patient=rx.patient)
    result = _check_dispensing(rx, d, _reference(db, plans), dispensed=dispensed)
    today = dt.date.today().isoformat()
    for it in d.items:
        for pack in it.packs:
            row = db.one("SELECT expiry FROM packs WHERE code = ?", (pack.authenticity_code,))
            if row and row[0] < today:
                result.findings.append(
                    Finding(
                        REJECTION,
                        "expired-pack",
                        f"Pack {pack.authenticity_code} expired on {row[0]}.",
                        f"بستهٔ {pack.authenticity_code} تاریخ گذشته است.",
                        it.line,
                    )
                )
    return result
