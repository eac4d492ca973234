"""The workstation's side of the one pricing model (national rules, section 7): catalog price × quantity,
split under the plans that pay for the patient by `app.costs.line_cost` — the function the reference
exchange prices with too (amounts in rials, the insurer's share rounded down to the rial).

The plans are those eligibility found (the basic insurer or scheme, a supplementary plan; see
`app.services.checking.admit`), as this store keeps their rules (refreshed with the catalog). What is
computed here is what the GP and the pharmacist see at once; offline it is an estimate, and once the
exchange answers its split is the one kept (`app.costs.Settlement`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.costs import CostSplit, Plans, line_cost
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
    """The basic plan whose rules apply: the coverage's scheme when the catalog knows it, else its insurer;
    None for a patient with no coverage (who pays all)."""
    cov = patient.coverage
    if cov is None:
        return None
    return (cov.scheme and store.catalog.insurer(cov.scheme)) or store.catalog.insurer(cov.insurer_code)


def plans_for(store: Store, patient: Patient) -> Plans:
    """The plans that pay for `patient`: the basic one (`patient_insurer`) and the supplementary plan of
    `patient.supplementary` when the catalog knows it."""
    extra = patient.supplementary
    return Plans.of(
        patient_insurer(store, patient), store.catalog.insurer(extra.insurer_code) if extra else None
    )


def item_cost(store: Store, patient: Patient, drug: Drug, quantity: int) -> CostSplit:
    """The split of `quantity` units of `drug` for `patient`, in rials: `app.costs.line_cost` at the
    catalog price under the patient's plans (`plans_for`)."""
    return line_cost(drug.price, quantity, drug.atc, plans_for(store, patient))
