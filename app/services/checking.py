"""Eligibility and the rules, asked before anything is signed (national rules, section 9).

- **Eligibility at admission** (9-1 step 2): before a GP writes, the patient's identity and insurance are
  asked — the visit's HID, the insurer and scheme, a supplementary plan, an overlap of basic insurers. Online
  the answer comes at once and the prescription is priced and signed under it; offline the admission is
  *pending*: the prescription is written under what the GP typed, its eligibility is queued ahead of its
  registration, and the answer, when it comes, updates the prescription (`adopt_eligibility`).
- **Rules before signing and before dispensing, every time** (9-1 step 4, 9-2 step 5): online the
  exchange's insurance and clinical rules answer; offline the local engine (`app.rules`) runs on the rule
  set cached from the exchange — the same engine the reference exchange runs, so the same input gives the
  same findings. A rejection blocks signing unless every rejection may be overridden and a reason is
  given; the reason is signed with the prescription.
- **Money** (section 7): online the exchange's split is the one signed; offline the local figure is an
  estimate and says so (`cost_basis`).

The exchange is reached through the workstation's `national` services (`NationalServices`, implemented in
`sync.checking`): this module never touches the network itself, and every function here works offline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from app.costs import ESTIMATE, EXCHANGE, CostSplit, Settlement, choose_coverages
from app.domain import Coverage, Dispensing, Patient, Prescription, Sex
from app.errors import NoskheError
from app.rules import Reference, RulesResult, cached_rule_set
from app.rules import check_dispensing as local_dispensing_check
from app.rules import check_prescription as local_prescription_check
from app.services.pricing import plans_for

if TYPE_CHECKING:
    from app.store import Store
    from app.workstation import Workstation

CONFIRMED, PENDING = "confirmed", "pending"


class Offline(NoskheError):
    """The exchange cannot be asked now (unreachable, not configured, found unreachable a moment ago): the
    work goes on offline."""

    code = "offline"


class RulesRejected(NoskheError):
    """The insurance or clinical rules reject a prescription or a dispensing, so it is not signed.
    `details`: `findings` (each `Finding.to_dict()`), `overridable` (true when a reason would let it
    through), `source` (`exchange` or `local`)."""

    code = "rules-rejected"


# ---- what the exchange answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Admission:
    """Eligibility at admission (9-1 step 2): `patient` with the coverage eligibility found (as given while
    pending), the visit's `hid` (None while pending), whether it is `confirmed`, whether basic coverages
    `overlap` (only the first pays), whether the patient is `insured`, the `coverages` as answered, and
    why it is pending (`reason_en`/`reason_fa`)."""

    patient: Patient
    hid: str | None
    confirmed: bool
    overlap: bool = False
    insured: bool | None = None
    coverages: list[dict[str, Any]] = field(default_factory=list)
    reason_en: str = ""
    reason_fa: str = ""

    @property
    def status(self) -> str:
        """`confirmed` or `pending`."""
        return CONFIRMED if self.confirmed else PENDING

    def to_dict(self) -> dict[str, Any]:
        """`{"status", "hid", "insured", "overlap", "coverages", "basic", "supplementary", "reason_en"?,
        "reason_fa"?}` (plan codes of the chosen coverages): what is kept and printed as JSON."""
        cov, extra = self.patient.coverage, self.patient.supplementary
        out: dict[str, Any] = {
            "status": self.status,
            "hid": self.hid,
            "insured": self.insured,
            "overlap": self.overlap,
            "coverages": list(self.coverages),
            "basic": (cov.scheme or cov.insurer_code) if cov else None,
            "supplementary": extra.insurer_code if extra else None,
        }
        if not self.confirmed:
            out.update(reason_en=self.reason_en, reason_fa=self.reason_fa)
        return out


@dataclass(frozen=True)
class Verdict:
    """What the rules said before a signature: the `result` (findings, each line's split), whether it is
    the exchange's answer (`online`) or the local engine's, why the exchange was not asked, and — for a
    dispensing — the rule-approval ids the exchange issued for the prescription and its lines."""

    result: RulesResult
    online: bool
    reason_en: str = ""
    reason_fa: str = ""
    rule_approval_id: str | None = None
    item_rule_approval_ids: dict[int, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """`exchange` or `local`."""
        return "exchange" if self.online else "local"

    @property
    def cost_basis(self) -> str:
        """`exchange` when the split is the exchange's, else `estimate`."""
        return EXCHANGE if self.online else ESTIMATE

    def to_dict(self) -> dict[str, Any]:
        """The result's wire form with `source`, `cost_basis` and, offline, why (`reason_en`/`reason_fa`)."""
        out = {**self.result.to_dict(), "source": self.source, "cost_basis": self.cost_basis}
        if not self.online:
            out.update(reason_en=self.reason_en, reason_fa=self.reason_fa)
        return out


class NationalServices(Protocol):
    """The exchange's eligibility and rules services as the use cases ask them; each raises `Offline`
    when the exchange cannot be asked now, `NoskheError` when it refuses."""

    def eligibility(self, patient: Patient, visit_at: dt.datetime) -> Admission:
        """Eligibility for `patient` for a visit at `visit_at` (a new HID)."""
        ...

    def prescription_rules(self, rx: Prescription) -> RulesResult:
        """The rules on `rx`, not yet signed (nothing is kept)."""
        ...

    def dispensing_rules(self, rx: Prescription, d: Dispensing) -> Verdict:
        """The rules on dispensing `d` of `rx`, not yet signed (nothing is kept)."""
        ...


# ---- eligibility -----------------------------------------------------------------------------------------


def _coverage(c: Mapping[str, Any]) -> Coverage:
    until = c.get("valid_until")
    return Coverage(
        insurer_code=str(c.get("insurer") or ""),
        scheme=str(c.get("scheme") or ""),
        insurance_number=str(c.get("insurance_number") or ""),
        insurer_percent=int(c.get("insurer_percent") or 0),
        valid_until=dt.date.fromisoformat(until) if until else None,
    )


def patient_with_coverages(patient: Patient, coverages: Sequence[Mapping[str, Any]]) -> Patient:
    """`patient` with the coverage eligibility answered (`coverages`, its dicts): the basic coverage and
    the supplementary one that pay (`app.costs.choose_coverages`, the choice the exchange makes too); no
    basic coverage in force → none (self-pay)."""
    basic, extra, _ = choose_coverages(coverages)
    return replace(
        patient,
        coverage=_coverage(basic) if basic is not None else None,
        supplementary=_coverage(extra) if extra is not None else None,
    )


def admission_from_answer(patient: Patient, answer: Mapping[str, Any]) -> Admission:
    """An admission from eligibility's answer (`{"hid", "insured", "coverages", "overlap", "sex",
    "birth_date", …}`): the patient with the coverage found, and the sex and birth date the exchange
    knows where none was typed (the rules' age and sex limits judge on them, as the exchange's do)."""
    coverages = [dict(c) for c in answer.get("coverages") or ()]
    return Admission(
        _known_facts(patient_with_coverages(patient, coverages), answer),
        str(answer["hid"]),
        True,
        overlap=bool(answer.get("overlap")),
        insured=bool(answer.get("insured")),
        coverages=coverages,
    )


def _known_facts(patient: Patient, answer: Mapping[str, Any]) -> Patient:
    """`patient` with the sex and birth date of eligibility's `answer` where none was typed."""
    sex, born = str(answer.get("sex") or ""), str(answer.get("birth_date") or "")
    new_sex = patient.sex or (Sex(sex) if sex in {s.value for s in Sex} else None)
    try:
        new_born = patient.birth_date or (dt.date.fromisoformat(born) if born else None)
    except ValueError:
        new_born = patient.birth_date
    if (new_sex, new_born) == (patient.sex, patient.birth_date):
        return patient
    return replace(patient, sex=new_sex, birth_date=new_born)


def admit(ws: Workstation, patient: Patient, visit_at: dt.datetime) -> Admission:
    """Eligibility at admission (9-1 step 2): the exchange's answer — the visit's HID and the patient with
    the coverage it found — or, offline, a pending admission of the patient as given. Raises only what
    the exchange refuses (`NoskheError`)."""
    try:
        return ws.national.eligibility(patient, visit_at)
    except Offline as exc:
        return Admission(patient, None, False, reason_en=exc.en, reason_fa=exc.fa)


def _plan(c: Coverage | None) -> str | None:
    return (c.scheme or c.insurer_code) if c else None


def _differs(a: Coverage | None, b: Coverage | None) -> bool:
    return _plan(a) != _plan(b)


def adopt_eligibility(store: Store, rx: Prescription, answer: Mapping[str, Any]) -> Prescription:
    """Bring a prescription written while eligibility was pending up to date with its answer, which came
    later (the queued eligibility, 9-1 step 2): its HID, and the patient's coverage as eligibility found
    it kept for the next visit; the answer is kept (`store.results`, kind `eligibility`, status
    `confirmed`, `coverage_changed` when it names other plans than the signed prescription). The signed
    content is not changed: the exchange prices the registration under the HID's plans and its split is
    adopted when it answers. Returns `rx` (saved by the caller)."""
    admission = admission_from_answer(rx.patient, answer)
    if rx.hid is None:
        rx.hid = admission.hid
    changed = _differs(rx.patient.coverage, admission.patient.coverage) or _differs(
        rx.patient.supplementary, admission.patient.supplementary
    )
    store.patients.save(admission.patient)
    store.results.keep(
        f"rx:{rx.id}", "eligibility", {**dict(answer), **admission.to_dict(), "coverage_changed": changed}
    )
    return rx


# ---- the rules -------------------------------------------------------------------------------------------


def local_reference(store: Store, patient: Patient) -> Reference:
    """What the local engine runs against: the cached rule set, the cached catalog (ATC codes, prices) and
    the plans of `patient`'s coverage as this store knows them, and its catalog's interchangeable groups."""
    from app.substitution import store_groups

    groups = store_groups(store)
    return Reference(cached_rule_set(store), store.catalog.get, plans_for(store, patient), group=groups.group_of)


def local_prescription_rules(store: Store, rx: Prescription) -> RulesResult:
    """The local engine's findings and split for `rx` (offline, 9-1 step 4)."""
    return local_prescription_check(rx, local_reference(store, rx.patient))


def local_dispensing_rules(store: Store, rx: Prescription, d: Dispensing) -> Verdict:
    """The local engine's findings and split for dispensing `d` of `rx` (offline, 9-2 step 5), the
    rule-approval ids being the ones this store kept for `rx`."""
    result = local_dispensing_check(
        rx, d, local_reference(store, rx.patient), dispensed=getattr(rx, "dispensed", None)
    )
    ids = {it.line: it.rule_approval_id for it in rx.items if it.rule_approval_id}
    return Verdict(result, False, rule_approval_id=rx.rule_approval_id, item_rule_approval_ids=ids)


def rejection(result: RulesResult, source: str) -> RulesRejected:
    """The error a standing rejection raises: its findings, and whether a reason would let it through."""
    lines = "; ".join(f"{('line ' + str(f.line) + ': ') if f.line else ''}{f.en}" for f in result.rejections)
    lines_fa = "؛ ".join(
        f"{('ردیف ' + str(f.line) + ': ') if f.line else ''}{f.fa}" for f in result.rejections
    )
    if result.overridable:
        en = f"The rules reject it ({lines}); it may be signed only with a reason (--override-reason)."
        fa = f"قواعد آن را رد می‌کند ({lines_fa})؛ فقط با ذکر دلیل (‎--override-reason‎) امضا می‌شود."
    else:
        en = f"The rules reject it ({lines}); change it and try again."
        fa = f"قواعد آن را رد می‌کند ({lines_fa})؛ آن را اصلاح کنید."
    return RulesRejected(
        en,
        fa,
        findings=[f.to_dict() for f in result.findings],
        overridable=result.overridable,
        source=source,
    )


def rules_before_signing(ws: Workstation, rx: Prescription, override_reason: str | None = None) -> Verdict:
    """The rules on `rx` before it is signed (9-1 step 4), every time: the exchange's when it answers, the
    local engine's otherwise; `override_reason` lets overridable rejections through. Returns the verdict;
    raises `RulesRejected` while a rejection stands (before any signature), or what the exchange refuses."""
    try:
        verdict = Verdict(ws.national.prescription_rules(rx), True)
    except Offline as exc:
        verdict = Verdict(local_prescription_rules(ws.store, rx), False, exc.en, exc.fa)
    result = verdict.result.override(override_reason)
    if result.rejected:
        raise rejection(result, verdict.source)
    return replace(verdict, result=result)


def adopt_prescription_verdict(rx: Prescription, verdict: Verdict, override_reason: str | None) -> None:
    """Before signing: the lines' split becomes the exchange's when it answered (`cost_basis` exchange),
    stays the local estimate otherwise; the override reason is kept on the prescription when it overrode a
    rejection (and only then), so it is signed with it."""
    costs = verdict.result.costs
    if verdict.online:
        rx.items = [replace(it, cost=costs.get(it.line, it.cost)) for it in rx.items]
    rx.cost_basis = verdict.cost_basis
    overridden = any(f.overridden for f in verdict.result.findings)
    rx.override_reason = (override_reason or "").strip() if overridden else ""


def with_item_rule_ids(rx: Prescription, ids: Mapping[str, Any] | None) -> None:
    """Keep the rule-approval id the exchange issued for each line (`{"<line>": id}`) on `rx`'s items."""
    if ids:
        rx.items = [
            replace(it, rule_approval_id=ids.get(str(it.line)) or it.rule_approval_id) for it in rx.items
        ]


def dispensing_rules(
    store: Store, ask: Callable[[Prescription, Dispensing], Verdict] | None, rx: Prescription, d: Dispensing
) -> Verdict:
    """The rules on dispensing `d` of `rx` before it is signed (9-2 step 5): `ask`'s verdict (the
    exchange's, from `sync.checking`, which falls back to the local engine itself) or the local engine's.
    Raises `RulesRejected` while a rejection stands."""
    verdict = ask(rx, d) if ask is not None else local_dispensing_rules(store, rx, d)
    if verdict.result.rejected:
        raise rejection(verdict.result, verdict.source)
    return verdict


def adopt_dispensing_verdict(d: Dispensing, rx: Prescription, verdict: Verdict) -> None:
    """Before signing: each line's split is the verdict's (the exchange's, or the local estimate), the
    dispensing says which (`cost_basis`), and it carries the rule-approval ids of the prescription and of
    each line (9-2 step 6): the exchange's when it answered, else those kept with the prescription."""
    costs = verdict.result.costs
    kept = {it.line: it.rule_approval_id for it in rx.items}
    ids = {**{k: v for k, v in kept.items() if v}, **verdict.item_rule_approval_ids}
    d.items = [
        replace(it, cost=costs.get(it.line, it.cost), rule_approval_id=ids.get(it.line)) for it in d.items
    ]
    d.cost_basis = verdict.cost_basis
    d.rule_approval_id = verdict.rule_approval_id or rx.rule_approval_id


# ---- the estimate and the exchange's figure ---------------------------------------------------------------


def dispensing_settlement(store: Store, d: Dispensing) -> Settlement:
    """The split of dispensing `d`: as signed (the exchange's already, or an estimate) and the exchange's
    from its receipt once it answered (`Settlement.shown` is the one to charge; a difference is surfaced)."""
    signed = d.cost
    receipt = store.results.get(f"disp:{d.id}", "receipt")
    answered = CostSplit.from_dict(receipt["cost"]) if receipt and receipt.get("cost") else None
    if d.cost_basis == EXCHANGE and answered is None:
        answered = signed
    return Settlement(signed, answered)


def dispensing_line_costs(store: Store, d: Dispensing) -> dict[int, CostSplit]:
    """Each line's split of dispensing `d` as the exchange answered it (its receipt), else as signed."""
    receipt = store.results.get(f"disp:{d.id}", "receipt") or {}
    answered = {int(k): CostSplit.from_dict(v) for k, v in (receipt.get("costs") or {}).items()}
    return {it.line: answered.get(it.line, it.cost) for it in d.items}


def prescription_settlement(store: Store, rx: Prescription) -> Settlement:
    """The split of prescription `rx`: as signed (the exchange's when its rules answered before signing,
    else an estimate) and the exchange's from its registration once it answered."""
    signed = rx.cost
    registration = store.results.get(f"rx:{rx.id}", "registration")
    answered = (
        CostSplit.from_dict(registration["cost"]) if registration and registration.get("cost") else None
    )
    if rx.cost_basis == EXCHANGE and answered is None:
        answered = signed
    return Settlement(signed, answered)


__all__ = [
    "CONFIRMED",
    "PENDING",
    "Admission",
    "NationalServices",
    "Offline",
    "RulesRejected",
    "Verdict",
    "admission_from_answer",
    "admit",
    "adopt_dispensing_verdict",
    "adopt_eligibility",
    "adopt_prescription_verdict",
    "dispensing_line_costs",
    "dispensing_rules",
    "dispensing_settlement",
    "local_dispensing_rules",
    "local_prescription_rules",
    "local_reference",
    "patient_with_coverages",
    "prescription_settlement",
    "rejection",
    "rules_before_signing",
    "with_item_rule_ids",
]
