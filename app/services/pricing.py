"""The local cost estimate (national rules, section 7): catalog price × quantity, split under the patient's
insurer rules by `app.costs` (amounts in rials, the insurer's share rounded down to the rial).

It is what the GP and the pharmacist see at once, offline; the exchange's own estimate (its price list, its
rules) comes back with the registration result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.costs import CostSplit, drug_cost
from app.domain import Drug, Insurer, Patient
from app.errors import NoskheError

if TYPE_CHECKING:
    from app.store import Store


def drug_or_error(store: Store, code: str) -> Drug:
    """The catalog's drug with national code `code`; `NoskheError` (Persian and English) when unknown."""
    drug = store.catalog.get(code)
    if drug is None:
        raise NoskheError(
            f"No drug with code {code} in the catalog.", f"دارویی با کد {code} در فهرست دارویی نیست."
        )
    return drug


def patient_insurer(store: Store, patient: Patient) -> Insurer | None:
    """The plan whose rules apply: the coverage's scheme when the catalog knows it, else its insurer; None
    for a patient with no coverage (who pays all)."""
    cov = patient.coverage
    if cov is None:
        return None
    return (cov.scheme and store.catalog.insurer(cov.scheme)) or store.catalog.insurer(cov.insurer_code)


def item_cost(store: Store, patient: Patient, drug: Drug, quantity: int) -> CostSplit:
    """The split of `quantity` units of `drug` for `patient`, in rials: `app.costs.drug_cost` at the catalog
    price under the patient's plan (`patient_insurer`)."""
    return drug_cost(drug, quantity, patient_insurer(store, patient))
