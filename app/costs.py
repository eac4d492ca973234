"""Money, in one place: who pays what for an item, a prescription or a dispensing (national rules, section 7:
the insurer's and the patient's shares are computed at prescribing and again at dispensing and shown both
times; 9-1 step 7 and 9-2 step 6 register them with the services).

Units
- Every amount is an integer number of **rials** (ریال), never tomans, never a float.
- A percent is an integer from 0 to 100: the part of the price the insurer pays (`insurer_percent`); the
  patient's part is the rest. Rules are data (`app/data/insurers.json`, refreshed from the exchange): an
  insurer percent per service kind (`drug_outpatient`, `visit_outpatient`) and ATC prefixes not covered.

Rounding rule
- The insurer's share is rounded **down** to the whole rial; the patient pays the rest. So the two shares
  always add up to the price exactly, and a patient never pays a rial less than owed.
- Sums add shares separately (insurers' with insurers', patients' with patients'): a total is never split
  again from a percent (`total_of`, `CostSplit.sum`), so the total of the lines is the sum of the lines.
- A part of a line (fewer units dispensed than prescribed, when only the prescriber's estimate is known) is
  priced pro rata, rounded down to the rial, and split at the line's own percent, rounded down to a whole
  percent (`pro_rata`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from app.domain import Drug, Insurer


@dataclass(frozen=True)
class CostSplit:
    """What an item, a prescription or a dispensing costs and who pays it, in rials.

    `insurer` is the insurer's share, `patient` the patient's; both are non-negative integers of rials and
    `total` is their sum. Split a price with `CostSplit.of`; add splits with `+` or `CostSplit.sum`."""

    insurer: int = 0
    patient: int = 0

    @property
    def total(self) -> int:
        """The whole price in rials: insurer's share + patient's share."""
        return self.insurer + self.patient

    def __add__(self, other: CostSplit) -> CostSplit:
        return CostSplit(self.insurer + other.insurer, self.patient + other.patient)

    @classmethod
    def sum(cls, splits: Iterable[CostSplit]) -> CostSplit:
        """The shares of `splits` added separately (an empty iterable is a zero split)."""
        insurer = patient = 0
        for split in splits:
            insurer += split.insurer
            patient += split.patient
        return cls(insurer, patient)

    @classmethod
    def of(cls, price: int, insurer_percent: int) -> CostSplit:
        """Split `price` (rials, ≥ 0) at `insurer_percent` (0–100): the insurer's share rounded down to the
        rial, the patient pays the rest. Raises `ValueError` for a negative price or a percent outside 0–100."""
        if price < 0:
            raise ValueError(f"a price cannot be negative: {price} rials")
        if not 0 <= insurer_percent <= 100:
            raise ValueError(f"an insurer percent is 0–100, not {insurer_percent}")
        insurer = price * insurer_percent // 100  # patients never pay a rounding rial less than owed
        return cls(insurer, price - insurer)

    def to_dict(self) -> dict[str, int]:
        """`{"insurer": rials, "patient": rials}`: the wire and storage form."""
        return {"insurer": self.insurer, "patient": self.patient}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CostSplit:
        """From `to_dict`'s form; a missing share is 0 and other keys are ignored."""
        return cls(**{k: data[k] for k in ("insurer", "patient") if k in data})


class Costed(Protocol):
    """Anything with a cost split: a prescription item, a dispensing item, a priced line on a screen."""

    @property
    def cost(self) -> CostSplit: ...


def split(price: int, insurer_percent: int) -> CostSplit:
    """`CostSplit.of`: `price` rials split at `insurer_percent` (0–100) under the rounding rule."""
    return CostSplit.of(price, insurer_percent)


def total_of(items: Iterable[Costed]) -> CostSplit:
    """The total split of `items` (each with a `.cost`): insurers' shares summed, patients' shares summed.
    What a prescription, a dispensing and every screen or paper shows as its total."""
    return CostSplit.sum(item.cost for item in items)


def percent_of(cost: CostSplit) -> int:
    """The insurer's percent of a split, rounded down to a whole percent (0 for a zero total)."""
    return cost.insurer * 100 // cost.total if cost.total else 0


def pro_rata(cost: CostSplit, part: int, whole: int) -> CostSplit:
    """The split of `part` units of a line whose `whole` units cost `cost` (the prescriber's estimate, when
    the local catalog has no price): price `cost.total * part // whole` rials, split at `percent_of(cost)`.
    Raises `ValueError` unless 0 ≤ part ≤ whole and whole > 0."""
    if whole <= 0 or not 0 <= part <= whole:
        raise ValueError(f"{part} units of {whole}")
    return CostSplit.of(cost.total * part // whole, percent_of(cost))


# ---- the insurers' rules --------------------------------------------------------------------------------


def covered(rules: Mapping[str, Any], atc: str) -> bool:
    """Whether an insurer's `rules` cover a drug of ATC code `atc` (not under an excluded ATC prefix)."""
    return not any(atc.startswith(prefix) for prefix in rules.get("excluded_atc_prefixes", ()))


def insurer_percent(rules: Mapping[str, Any], kind: str = "drug_outpatient") -> int:
    """The percent (0–100) an insurer's `rules` pay for service `kind` (`drug_outpatient`,
    `visit_outpatient`); 0 when the rules do not name that kind."""
    return int(rules.get(kind, {}).get("insurer_percent", 0))


def drug_cost(
    drug: Drug, quantity: int, insurer: Insurer | None, *, unit_price: int | None = None
) -> CostSplit:
    """The split for `quantity` units of `drug` at its catalog price (or `unit_price`), in rials, under
    `insurer`'s outpatient drug percent; no insurer, or a drug the insurer excludes → the patient pays all."""
    price = (drug.price if unit_price is None else unit_price) * quantity
    if insurer is None or not covered(insurer.rules, drug.atc):
        return CostSplit(0, price)
    return CostSplit.of(price, insurer_percent(insurer.rules))


def visit_cost(price: int, insurer: Insurer | None) -> CostSplit:
    """The split of a visit (9-1 step 7) of `price` rials under `insurer`'s outpatient visit percent; no
    insurer → the patient pays all."""
    if insurer is None:
        return CostSplit(0, price)
    return CostSplit.of(price, insurer_percent(insurer.rules, "visit_outpatient"))
