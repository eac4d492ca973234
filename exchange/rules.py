"""Insurance and clinical rules, before prescribing and before dispensing.

Each finding is an advisory, a warning or a rejection, about one line or the whole prescription. A rejection
stops a registration or a dispensing (422 with the findings); advisories and warnings travel with the result.
The cost estimate uses the exchange's own price list and the insurer plan found at eligibility (the HID).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from app.costs import CostSplit, drug_cost
from app.domain import Dispensing, Drug, Insurer, Prescription
from exchange.db import ExchangeDB

ADVISORY, WARNING, REJECTION = "advisory", "warning", "rejection"


@dataclass(frozen=True)
class Finding:
    level: str
    code: str
    en: str
    fa: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class RulesResult:
    findings: list[Finding]
    costs: dict[int, CostSplit]

    @property
    def rejected(self) -> bool:
        return any(f.level == REJECTION for f in self.findings)

    @property
    def total(self) -> CostSplit:
        """The lines' splits added share by share, in rials (`app.costs`)."""
        return CostSplit.sum(self.costs.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "costs": {str(k): v.to_dict() for k, v in self.costs.items()},
            "total": self.total.to_dict(),
        }


def rule_set(db: ExchangeDB) -> dict[str, Any]:
    row = db.one("SELECT body FROM reference WHERE kind = 'rules'")
    return json.loads(row[0]) if row else {}


def plan(db: ExchangeDB, code: str | None) -> Insurer | None:
    row = db.one("SELECT doc FROM insurers WHERE code = ?", (code,)) if code else None
    if row is None:
        return None
    doc = json.loads(row[0])
    return Insurer(doc["code"], doc["name_fa"], doc["name_en"], doc["rules"])


def drug(db: ExchangeDB, code: str) -> Drug | None:
    row = db.one("SELECT doc FROM drugs WHERE code = ?", (code,))
    if row is None:
        return None
    d = json.loads(row[0])
    return Drug(
        **{
            k: d[k]
            for k in (
                "code",
                "generic_fa",
                "generic_en",
                "form",
                "strength",
                "route",
                "atc",
                "form_fa",
                "price",
            )
        }
    )


def _atc_match(atc: str, prefixes: list[str]) -> bool:
    return any(atc.startswith(p) for p in prefixes)


def check_prescription(
    db: ExchangeDB, rx: Prescription, insurer_code: str | None, specialty: str
) -> RulesResult:
    rules = rule_set(db)
    insurer = plan(db, insurer_code)
    findings: list[Finding] = []
    costs: dict[int, CostSplit] = {}
    atcs: dict[int, str] = {}
    if len(rx.items) > rules.get("max_items", 10):
        findings.append(
            Finding(
                REJECTION,
                "too-many-items",
                f"More than {rules['max_items']} items in one prescription.",
                f"بیش از {rules['max_items']} قلم در یک نسخه مجاز نیست.",
            )
        )
    q = rules.get("quantity", {})
    for it in rx.items:
        d = drug(db, it.drug_code)
        if d is None:
            findings.append(
                Finding(
                    REJECTION,
                    "unknown-drug",
                    f"Drug code {it.drug_code} is not in the national list.",
                    f"کد دارو {it.drug_code} در فهرست ملی نیست.",
                    it.line,
                )
            )
            continue
        atcs[it.line] = d.atc
        costs[it.line] = drug_cost(d, it.quantity, insurer)
        if insurer is not None and costs[it.line].insurer == 0 and costs[it.line].total:
            findings.append(
                Finding(
                    ADVISORY,
                    "not-covered",
                    f"{d.generic_en} is not covered by {insurer.name_en}.",
                    f"{d.generic_fa} تحت پوشش {insurer.name_fa} نیست.",
                    it.line,
                )
            )
        if it.quantity > q.get("reject_above", 10**9):
            findings.append(
                Finding(
                    REJECTION,
                    "quantity",
                    f"{it.quantity} units is more than the rules allow.",
                    f"تعداد {it.quantity} بیش از حد مجاز است.",
                    it.line,
                )
            )
        elif it.quantity > q.get("warn_above", 10**9):
            findings.append(
                Finding(
                    WARNING,
                    "quantity",
                    f"{it.quantity} units is an unusually large quantity.",
                    f"تعداد {it.quantity} بیش از معمول است.",
                    it.line,
                )
            )
        if _atc_match(d.atc, rules.get("specialist_only_atc", [])) and specialty == "پزشک عمومی":
            findings.append(
                Finding(
                    REJECTION,
                    "specialist-only",
                    f"{d.generic_en} is prescribed by specialists only.",
                    f"{d.generic_fa} فقط با نسخهٔ پزشک متخصص.",
                    it.line,
                )
            )
        if _atc_match(d.atc, rules.get("controlled_atc", [])):
            findings.append(
                Finding(
                    ADVISORY,
                    "controlled",
                    f"{d.generic_en} is a controlled drug: record it in the register.",
                    f"{d.generic_fa} داروی کنترل‌شده است و باید در دفتر ثبت شود.",
                    it.line,
                )
            )
    seen: dict[str, int] = {}
    for line, atc in atcs.items():
        if atc[:5] in seen:
            findings.append(
                Finding(
                    WARNING,
                    "duplicate-therapy",
                    f"Lines {seen[atc[:5]]} and {line} are the same therapy.",
                    f"ردیف‌های {seen[atc[:5]]} و {line} درمان تکراری‌اند.",
                    line,
                )
            )
        seen.setdefault(atc[:5], line)
    for rule in rules.get("interactions", []):
        a = [ln for ln, atc in atcs.items() if atc.startswith(rule["a"])]
        b = [ln for ln, atc in atcs.items() if atc.startswith(rule["b"])]
        if a and b:
            findings.append(Finding(rule["severity"], "interaction", rule["en"], rule["fa"], b[0]))
    return RulesResult(findings, costs)


def check_dispensing(
    db: ExchangeDB, rx: Prescription, d: Dispensing, insurer_code: str | None
) -> RulesResult:
    insurer = plan(db, insurer_code)
    prescribed = {it.line: it for it in rx.items}
    findings: list[Finding] = []
    costs: dict[int, CostSplit] = {}
    today = dt.date.today().isoformat()
    for it in d.items:
        p = prescribed.get(it.line)
        if p is None or p.drug_code != it.drug_code:
            findings.append(
                Finding(
                    REJECTION,
                    "not-prescribed",
                    f"Line {it.line} does not match the prescription.",
                    f"ردیف {it.line} با نسخه جور نیست.",
                    it.line,
                )
            )
            continue
        if it.quantity > p.quantity:
            findings.append(
                Finding(
                    REJECTION,
                    "quantity",
                    f"Line {it.line}: more units than prescribed.",
                    f"ردیف {it.line}: بیش از مقدار تجویزشده.",
                    it.line,
                )
            )
        dr = drug(db, it.drug_code)
        if dr is not None:
            costs[it.line] = drug_cost(dr, it.quantity, insurer)
        for pack in it.packs:
            row = db.one("SELECT expiry FROM packs WHERE code = ?", (pack.authenticity_code,))
            if row and row[0] < today:
                findings.append(
                    Finding(
                        REJECTION,
                        "expired-pack",
                        f"Pack {pack.authenticity_code} expired on {row[0]}.",
                        f"بستهٔ {pack.authenticity_code} تاریخ گذشته است.",
                        it.line,
                    )
                )
    return RulesResult(findings, costs)
