"""Who pays what: the cost split of an item under an insurer's (or scheme's) outpatient rules.

Rules are data (`app/data/insurers.json`, refreshed from the exchange): an insurer percent per service
kind and ATC prefixes the insurer does not cover. The split is computed at prescribing and again at
dispensing, and shown to the user both times (domain.md, section 7).
"""

from __future__ import annotations

from typing import Any

from app.domain import CostSplit, Drug, Insurer


def covered(rules: dict[str, Any], atc: str) -> bool:
    return not any(atc.startswith(prefix) for prefix in rules.get("excluded_atc_prefixes", ()))


def insurer_percent(rules: dict[str, Any], kind: str = "drug_outpatient") -> int:
    return int(rules.get(kind, {}).get("insurer_percent", 0))


def drug_cost(drug: Drug, quantity: int, insurer: Insurer | None, *, unit_price: int | None = None) -> CostSplit:
    """The split for `quantity` units of `drug`; no insurer or an excluded drug → the patient pays all."""
    price = (drug.price if unit_price is None else unit_price) * quantity
    if insurer is None or not covered(insurer.rules, drug.atc):
        return CostSplit(0, price)
    return CostSplit.of(price, insurer_percent(insurer.rules))


def visit_cost(price: int, insurer: Insurer | None) -> CostSplit:
    if insurer is None:
        return CostSplit(0, price)
    return CostSplit.of(price, insurer_percent(insurer.rules, "visit_outpatient"))
