"""The local cost estimate: catalog price × quantity, split under the patient's insurer rules (`app.costs`).

It is what the GP and the pharmacist see at once, offline; the exchange's own estimate (its price list, its
rules) comes back with the registration result.
"""

from __future__ import annotations

from typing import Any

from app.costs import drug_cost
from app.domain import CostSplit, Drug, Insurer, Patient
from app.errors import NoskheError


def drug_or_error(store: Any, code: str) -> Drug:
    drug = store.catalog.get(code)
    if drug is None:
        raise NoskheError(
            f"No drug with code {code} in the catalog.", f"دارویی با کد {code} در فهرست دارویی نیست."
        )
    return drug


def patient_insurer(store: Any, patient: Patient) -> Insurer | None:
    """The plan whose rules apply: the coverage's scheme when the catalog knows it, else its insurer."""
    cov = patient.coverage
    if cov is None:
        return None
    return (cov.scheme and store.catalog.insurer(cov.scheme)) or store.catalog.insurer(cov.insurer_code)


def item_cost(store: Any, patient: Patient, drug: Drug, quantity: int) -> CostSplit:
    return drug_cost(drug, quantity, patient_insurer(store, patient))
