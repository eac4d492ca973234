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

One model, both sides
- `line_cost(unit_price, quantity, atc, plans)` is the only place a line is split: the workstation's
  estimate (`app.services.pricing`, from the cached catalog and the plans eligibility named) and the
  reference exchange's figure (`exchange.rules`, from its price list and the HID's plans) both call it, so
  the same prices and plans give the same split. `choose_coverages` picks, on both sides, which of the
  coverages eligibility found pay: the first basic one in force (an overlap never pays twice) and a
  supplementary one, which pays its percent of what is left to the patient.
- Offline the workstation's figure is an estimate and says so; once the exchange answers, its split is the
  one shown and charged, and a difference from the estimate is surfaced (`Settlement`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


# ---- the pricing model: one function for the client and the exchange -------------------------------------


@dataclass(frozen=True)
class Plans:
    """The plans that pay for one visit's items, as eligibility found them (9-1 step 2, 9-2 step 4):
    `basic` is the rules of the basic insurer or scheme that pays first, `supplementary` the rules of a
    supplementary plan that pays part of what is left to the patient; None where there is none. `basic_code`
    and `supplementary_code` name them (for screens and messages)."""

    basic: Mapping[str, Any] | None = None
    supplementary: Mapping[str, Any] | None = None
    basic_code: str | None = None
    supplementary_code: str | None = None
    basic_names: tuple[str, str] = ("", "")  # (English, Persian)

    @classmethod
    def of(cls, basic: Insurer | None, supplementary: Insurer | None = None) -> Plans:
        """From the insurers (or schemes) found for the codes eligibility named."""
        return cls(
            basic.rules if basic is not None else None,
            supplementary.rules if supplementary is not None else None,
            basic.code if basic is not None else None,
            supplementary.code if supplementary is not None else None,
            (basic.name_en, basic.name_fa) if basic is not None else ("", ""),
        )

    def basic_pays(self, atc: str, kind: str = "drug_outpatient") -> bool:
        """Whether the basic plan pays anything for a drug of ATC code `atc` (False without one)."""
        return self.basic is not None and covered(self.basic, atc) and insurer_percent(self.basic, kind) > 0


def line_cost(
    unit_price: int, quantity: int, atc: str, plans: Plans, kind: str = "drug_outpatient"
) -> CostSplit:
    """The split of one line, in rials: `quantity` units at `unit_price` rials, a drug of ATC code `atc`,
    service `kind`. The one pricing model of the program: the client's estimate and the exchange's figure
    both come from here, so the same prices and plans give the same split on both sides.

    - The basic plan pays its percent of the price (rounded down to the rial) for a drug it covers (not
      under one of its excluded ATC prefixes); nothing otherwise.
    - A supplementary plan pays its percent of what is left to the patient (rounded down), for a drug it
      covers; it never pays a share the basic plan already paid, so the shares never exceed the price.
    - The patient pays the rest. No plan at all → the patient pays everything.

    Raises `ValueError` for a negative price or quantity."""
    if unit_price < 0 or quantity < 0:
        raise ValueError(f"a price cannot be negative: {unit_price} rials × {quantity}")
    price = unit_price * quantity
    basic = 0
    if plans.basic is not None and covered(plans.basic, atc):
        basic = CostSplit.of(price, insurer_percent(plans.basic, kind)).insurer
    extra = 0
    if plans.supplementary is not None and covered(plans.supplementary, atc):
        extra = CostSplit.of(price - basic, insurer_percent(plans.supplementary, kind)).insurer
    return CostSplit(basic + extra, price - basic - extra)


def is_supplementary(coverage: Mapping[str, Any]) -> bool:
    """Whether an eligibility coverage (`{"insurer", "scheme", "kind", …}`) is a supplementary plan."""
    return coverage.get("kind") == "supplementary"


def choose_coverages(
    coverages: Sequence[Mapping[str, Any]],
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, bool]:
    """Which of the coverages eligibility found pay (9-1 step 2: "check insurance overlap"): `(basic,
    supplementary, overlap)`. Only coverages in force count (`inforce` absent counts as in force). The
    basic one is the first basic coverage in force; when more than one basic coverage is in force that is
    an overlap: the others never pay (no item is paid twice), and `overlap` is True. The supplementary one
    is the first supplementary coverage in force. Each is the coverage's dict as given, or None."""
    inforce = [c for c in coverages if c.get("inforce", True)]
    basics = [c for c in inforce if not is_supplementary(c)]
    extras = [c for c in inforce if is_supplementary(c)]
    return (basics[0] if basics else None, extras[0] if extras else None, len(basics) > 1)


def plan_code(coverage: Mapping[str, Any] | None) -> str | None:
    """The code whose rules apply to a coverage: its scheme when it has one, else its insurer."""
    if coverage is None:
        return None
    return str(coverage.get("scheme") or coverage.get("insurer") or "") or None


def drug_cost(
    drug: Drug, quantity: int, insurer: Insurer | None, *, unit_price: int | None = None
) -> CostSplit:
    """The split for `quantity` units of `drug` at its catalog price (or `unit_price`), in rials, under
    `insurer`'s outpatient drug percent alone (`line_cost` with that one plan); no insurer, or a drug the
    insurer excludes → the patient pays all."""
    price = drug.price if unit_price is None else unit_price
    return line_cost(price, quantity, drug.atc, Plans.of(insurer))


# ---- an estimate and the exchange's figure ---------------------------------------------------------------

ESTIMATE, EXCHANGE = "estimate", "exchange"


@dataclass(frozen=True)
class Settlement:
    """What a prescription or a dispensing costs as far as this workstation knows, in rials.

    `estimate` is the split worked out here (offline, from the cached prices and plans); `exchange` the
    split the exchange answered, when it has; `shown` is the one to show and charge — the exchange's once
    known, else the estimate — and `basis` says which (`"exchange"` or `"estimate"`). `difference` is the
    exchange's split minus the estimate, share by share (None until the exchange answered)."""

    estimate: CostSplit
    exchange: CostSplit | None = None

    @property
    def shown(self) -> CostSplit:
        return self.exchange if self.exchange is not None else self.estimate

    @property
    def basis(self) -> str:
        return EXCHANGE if self.exchange is not None else ESTIMATE

    @property
    def difference(self) -> tuple[int, int] | None:
        """(insurer, patient): how much more (positive) or less each pays than estimated."""
        if self.exchange is None:
            return None
        return (self.exchange.insurer - self.estimate.insurer, self.exchange.patient - self.estimate.patient)

    @property
    def differs(self) -> bool:
        """True when the exchange answered a split other than the estimate."""
        return self.exchange is not None and self.exchange != self.estimate

    def to_dict(self) -> dict[str, Any]:
        """`{"basis", "insurer", "patient", "estimate": {…}, "exchange": {…}?, "difference": {…}?}`, rials."""
        out: dict[str, Any] = {
            "basis": self.basis,
            **self.shown.to_dict(),
            "estimate": self.estimate.to_dict(),
        }
        if self.exchange is not None:
            out["exchange"] = self.exchange.to_dict()
            diff = self.difference or (0, 0)
            out["difference"] = {"insurer": diff[0], "patient": diff[1]}
        return out

    def describe(self) -> tuple[str, str]:
        """One line for people (English, Persian): the split shown, marked as an estimate until the
        exchange answered, and the difference from the estimate when there is one."""
        s = self.shown
        en = f"insurer {s.insurer:,} rials, patient {s.patient:,} rials"
        fa = f"سهم بیمه {s.insurer:,} ریال، سهم بیمار {s.patient:,} ریال"
        if self.exchange is None:
            return en + " (estimate)", fa + " (برآورد)"
        en, fa = en + " (the exchange's)", fa + " (اعلام سامانه)"
        if self.differs:
            e = self.estimate
            en += f"; the estimate was insurer {e.insurer:,}, patient {e.patient:,}"
            fa += f"؛ برآورد: سهم بیمه {e.insurer:,}، سهم بیمار {e.patient:,}"
        return en, fa


def visit_cost(price: int, insurer: Insurer | None) -> CostSplit:
    """The split of a visit (9-1 step 7) of `price` rials under `insurer`'s outpatient visit percent; no
    insurer → the patient pays all."""
    if insurer is None:
        return CostSplit(0, price)
    return CostSplit.of(price, insurer_percent(insurer.rules, "visit_outpatient"))


def service_cost(tariff: int, quantity: int, kind: str, plans: Plans) -> CostSplit:
    """The split of `quantity` units of a non-drug service (7-6, 8-1; a visit, 9-1-7) at `tariff` rials
    each, in rials: `line_cost` under the plans' `<kind>_outpatient` percent when the basic plan names one
    (`lab_outpatient`…), else their outpatient visit percent (`visit_outpatient`). No ATC exclusion applies."""
    named = f"{kind}_outpatient"
    use = named if plans.basic is not None and named in plans.basic else "visit_outpatient"
    return line_cost(tariff, quantity, "", plans, use)
