"""The insurance and clinical rules (national rules, 9-1 step 4 before prescribing, 9-2 step 5 before
dispensing), as one pure engine over a rule set.

The workstation runs it offline on the rule set cached from the exchange (`sync refresh`; the one shipped in
`app/data/rules.json` until then) and its cached catalog; the reference exchange runs the same engine on its
own rule set, price list and the HID's plans. So for the same input both give the same findings and the
same cost split (`app.costs.line_cost`); online, the exchange's answer is the one kept.

    ref = Reference(rules=rule_set, drug=lookup, plans=Plans.of(basic, supplementary))
    result = check_prescription(rx, ref)
    result.findings, result.costs, result.rejected, result.overridable
    result = result.override("the patient is under a pain specialist's care")   # a reason, when allowed

Each finding is an advisory, a warning or a rejection, about one line or the whole prescription. A
rejection stops signing (and registration, and dispensing) unless the rule allows an override
(`overridable`) and a reason is given: the finding then stays, marked `overridden`, and the reason travels
with the prescription (it is part of what the prescriber signs).

The rule set (a JSON object): `max_items`; `quantity` {`warn_above`, `reject_above`, `overridable`};
`duration` {`default_max_days`, `max_days`: [{`atc`, `days`}], `overridable`}; `specialist_only_atc`,
`controlled_atc` (ATC prefixes); `age_limits` / `sex_limits`: [{`atc`, `min_age` | `max_age` | `sex`,
`level`, `overridable`, `en`, `fa`}]; `interactions`: [{`a`, `b`, `severity`, `overridable`, `en`, `fa`}].

Service lines (lab, imaging, physiotherapy; 7-6, 8-1) are judged on the services catalog
(`Reference.service`, the bundled one on both sides): a known code, at most its `max_quantity`, its sex;
priced with `app.costs.service_cost`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from typing import TYPE_CHECKING, Any

from app.costs import CostSplit, Plans, line_cost, pro_rata, service_cost
from app.substitution import refusal
from app.text import has_visible_text

if TYPE_CHECKING:
    from app.domain import Dispensing, Drug, Prescription, Service
    from app.store import Store

ADVISORY, WARNING, REJECTION = "advisory", "warning", "rejection"
#: the store's blob holding the rule set fetched from the exchange
RULES_BLOB = "reference.rules"
GP = "پزشک عمومی"


@dataclass(frozen=True)
class Finding:
    """One message of the rules: `level` (advisory | warning | rejection), `code` (what kind: quantity,
    interaction, duration, age, sex, not-covered, …), English and Persian text, the 1-based `line` it is
    about (None: the whole prescription), whether a reason may `override` a rejection and whether one did."""

    level: str
    code: str
    en: str
    fa: str
    line: int | None = None
    overridable: bool = False
    overridden: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The wire form: `{"level", "code", "en", "fa", "line"?, "overridable"?, "overridden"?}` (the last
        three only when set)."""
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """From `to_dict`'s form (other keys ignored)."""
        return cls(
            str(data["level"]),
            str(data["code"]),
            str(data.get("en", "")),
            str(data.get("fa", "")),
            int(data["line"]) if data.get("line") is not None else None,
            bool(data.get("overridable")),
            bool(data.get("overridden")),
        )


@dataclass
class RulesResult:
    """What the rules said: `findings` in the order they were found, the cost split per line (`costs`,
    line → `CostSplit`, rials) and the rule set's version (`rule_set`)."""

    findings: list[Finding]
    costs: dict[int, CostSplit] = field(default_factory=dict)
    rule_set: str = ""

    @property
    def rejections(self) -> list[Finding]:
        """The rejections still standing (not overridden)."""
        return [f for f in self.findings if f.level == REJECTION and not f.overridden]

    @property
    def rejected(self) -> bool:
        """True while a rejection stands: signing (or dispensing) is refused."""
        return bool(self.rejections)

    @property
    def overridable(self) -> bool:
        """True when it is rejected and every standing rejection may be overridden with a reason."""
        return self.rejected and all(f.overridable for f in self.rejections)

    @property
    def total(self) -> CostSplit:
        """The lines' splits added share by share, in rials (`app.costs`)."""
        return CostSplit.sum(self.costs.values())

    def override(self, reason: str | None) -> RulesResult:
        """The result once `reason` is given: when every standing rejection is overridable and the reason
        is not blank, they are marked overridden (and no longer reject); otherwise the result unchanged."""
        if not has_visible_text(reason) or not self.overridable:
            return self
        return RulesResult(
            [replace(f, overridden=True) if f.level == REJECTION else f for f in self.findings],
            dict(self.costs),
            self.rule_set,
        )

    def to_dict(self) -> dict[str, Any]:
        """`{"findings": [...], "costs": {"<line>": {"insurer", "patient"}}, "total": {...}, "rejected",
        "overridable", "ruleSet"}`: what the exchange answers and `noskhe rx check --json` prints."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "costs": {str(k): v.to_dict() for k, v in self.costs.items()},
            "total": self.total.to_dict(),
            "rejected": self.rejected,
            "overridable": self.overridable,
            "ruleSet": self.rule_set,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RulesResult:
        """From `to_dict`'s form (the exchange's answer)."""
        return cls(
            [Finding.from_dict(f) for f in data.get("findings") or ()],
            {int(k): CostSplit.from_dict(v) for k, v in (data.get("costs") or {}).items()},
            str(data.get("ruleSet") or ""),
        )


@dataclass(frozen=True)
class Reference:
    """What the rules are run against: the rule set, the drugs (by code: ATC code and unit price in
    rials, None for an unknown code) and the plans that pay (`app.costs.Plans`)."""

    rules: Mapping[str, Any]
    drug: Callable[[str], Drug | None]
    plans: Plans = field(default_factory=Plans)
    #: the services (lab, imaging, physiotherapy) by code: the bundled services catalog, on both sides
    service: Callable[[str], Service | None] = field(default_factory=lambda: _bundled_service)
    #: the interchangeable group of a drug code (`app.substitution`), None for a drug in no group
    group: Callable[[str], str | None] = field(default_factory=lambda: _bundled_group)

    @property
    def version(self) -> str:
        return str(self.rules.get("version") or "")


def _bundled_service(code: str) -> Service | None:
    from app.catalog import service

    return service(code)


def _bundled_group(code: str) -> str | None:
    from app.substitution import bundled_groups

    return bundled_groups().group_of(code)


def _service_findings(it: Any, svc: Service | None, sex: str | None) -> list[Finding]:
    """The rules on a service line (7-6, 8-1): a code the catalog knows (not a visit, which is registered,
    not ordered), at most the service's `max_quantity` units, the sex it is for. Rejections, none
    overridable."""
    if svc is None or svc.kind == "visit":
        return [
            Finding(
                REJECTION,
                "unknown-service",
                f"Service code {it.drug_code} is not in the national list of services.",
                f"کد خدمت {it.drug_code} در فهرست ملی خدمات نیست.",
                it.line,
            )
        ]
    out = []
    if it.quantity > svc.max_quantity:
        out.append(
            Finding(
                REJECTION,
                "quantity",
                f"{it.quantity} of {svc.name_en} is more than the {svc.max_quantity} one prescription may order.",
                f"تعداد {it.quantity} {svc.name_fa} بیش از {svc.max_quantity} مجاز در یک نسخه است.",
                it.line,
            )
        )
    if svc.sex and sex is not None and sex != "other" and sex != svc.sex:
        out.append(
            Finding(
                REJECTION,
                "sex",
                f"{svc.name_en} is for {svc.sex} patients only.",
                f"{svc.name_fa} فقط برای بیماران {'زن' if svc.sex == 'female' else 'مرد'} است.",
                it.line,
            )
        )
    return out


def bundled_rule_set() -> dict[str, Any]:
    """The rule set shipped with the program (`app/data/rules.json`), a fresh dict on every call."""
    return json.loads(resources.files("app").joinpath("data/rules.json").read_text(encoding="utf-8"))


def cached_rule_set(store: Store) -> dict[str, Any]:
    """The rule set this workstation holds: the exchange's, as last fetched, else the bundled one."""
    raw = store.get_blob(RULES_BLOB)
    return json.loads(raw) if raw else bundled_rule_set()


def _prefix(atc: str, prefixes: Any) -> bool:
    return any(atc.startswith(str(p)) for p in prefixes or ())


def _max_days(rules: Mapping[str, Any], atc: str) -> int | None:
    d = rules.get("duration") or {}
    best: tuple[int, int] | None = None  # (prefix length, days): the most specific prefix wins
    for entry in d.get("max_days") or ():
        if atc.startswith(entry["atc"]) and (best is None or len(entry["atc"]) > best[0]):
            best = (len(entry["atc"]), int(entry["days"]))
    if best is not None:
        return best[1]
    default = d.get("default_max_days")
    return int(default) if default else None


def _limit(entry: Mapping[str, Any], code: str, line: int) -> Finding:
    return Finding(
        str(entry.get("level", WARNING)),
        code,
        str(entry["en"]),
        str(entry["fa"]),
        line,
        bool(entry.get("overridable")) and entry.get("level") == REJECTION,
    )


def _unknown_limit(d: Any, facts: list[str], line: int) -> Finding:
    """A warning that `d` has sex/age limits (`facts`: "sex", "age") this patient cannot be judged by:
    neither typed nor known from eligibility — the prescriber checks."""
    fa = {"sex": "جنس", "age": "سن"}
    return Finding(
        WARNING,
        "limit-unknown",
        f"{d.generic_en} has {'/'.join(facts)} limits and the patient's {'/'.join(facts)} is unknown — check.",
        f"{d.generic_fa} محدودیت {'/'.join(fa[f] for f in facts)} دارد و {'/'.join(fa[f] for f in facts)}"
        " بیمار معلوم نیست — بررسی کنید.",
        line,
    )


def check_prescription(rx: Prescription, ref: Reference) -> RulesResult:
    """The rules on prescription `rx` before it is signed or registered (9-1 step 4): the number of items,
    each line's drug, quantity, duration (`days`, when given), coverage, specialist-only and controlled
    drugs, the patient's age (on the day it is written) and sex when known, duplicate therapy and
    interactions; and each line's cost split under `ref.plans`. Pure: no clock, no I/O."""
    rules = ref.rules
    findings: list[Finding] = []
    costs: dict[int, CostSplit] = {}
    atcs: dict[int, str] = {}
    max_items = int(rules.get("max_items", 10))
    if len(rx.items) > max_items:
        findings.append(
            Finding(
                REJECTION,
                "too-many-items",
                f"More than {max_items} items in one prescription.",
                f"بیش از {max_items} قلم در یک نسخه مجاز نیست.",
            )
        )
    q = rules.get("quantity") or {}
    age = rx.patient.age(rx.prescribed_at.date())
    sex = rx.patient.sex.value if rx.patient.sex is not None else None
    for it in rx.items:
        if getattr(it, "service", None):  # a lab, imaging or physiotherapy line: its own rules and tariff
            svc = ref.service(it.drug_code)
            findings += _service_findings(it, svc, sex)
            if svc is not None:
                costs[it.line] = service_cost(svc.tariff, it.quantity, svc.kind, ref.plans)
            continue
        d = ref.drug(it.drug_code)
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
        costs[it.line] = line_cost(d.price, it.quantity, d.atc, ref.plans)
        if ref.plans.basic is not None and not ref.plans.basic_pays(d.atc) and costs[it.line].total:
            name_en, name_fa = _plan_names(ref.plans)
            findings.append(
                Finding(
                    ADVISORY,
                    "not-covered",
                    f"{d.generic_en} is not covered by {name_en}.",
                    f"{d.generic_fa} تحت پوشش {name_fa} نیست.",
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
                    bool(q.get("overridable")),
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
        if _prefix(d.atc, rules.get("specialist_only_atc")) and rx.prescriber.specialty == GP:
            findings.append(
                Finding(
                    REJECTION,
                    "specialist-only",
                    f"{d.generic_en} is prescribed by specialists only.",
                    f"{d.generic_fa} فقط با نسخهٔ پزشک متخصص.",
                    it.line,
                )
            )
        if _prefix(d.atc, rules.get("controlled_atc")):
            findings.append(
                Finding(
                    ADVISORY,
                    "controlled",
                    f"{d.generic_en} is a controlled drug: record it in the register.",
                    f"{d.generic_fa} داروی کنترل‌شده است و باید در دفتر ثبت شود.",
                    it.line,
                )
            )
        days = getattr(it, "days", None)
        most = _max_days(rules, d.atc)
        if days and most is not None and days > most:
            findings.append(
                Finding(
                    REJECTION,
                    "duration",
                    f"{days} days of {d.generic_en} is longer than the {most} days the rules allow.",
                    f"{days} روز {d.generic_fa} بیش از {most} روز مجاز است.",
                    it.line,
                    bool((rules.get("duration") or {}).get("overridable")),
                )
            )
        unknown: list[str] = []  # limits of this drug that cannot be judged: the fact is not known
        for entry in rules.get("age_limits") or ():
            if not d.atc.startswith(entry["atc"]):
                continue
            if age is None:
                unknown.append("age")
            elif ("min_age" in entry and age < int(entry["min_age"])) or (
                "max_age" in entry and age > int(entry["max_age"])
            ):
                findings.append(_limit(entry, "age", it.line))
        for entry in rules.get("sex_limits") or ():
            if not d.atc.startswith(entry["atc"]):
                continue
            if sex is None:
                unknown.append("sex")
            elif sex != "other" and sex != entry["sex"]:
                findings.append(_limit(entry, "sex", it.line))
        if unknown:
            findings.append(_unknown_limit(d, sorted(set(unknown), reverse=True), it.line))
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
    for rule in rules.get("interactions") or ():
        a = [ln for ln, atc in atcs.items() if atc.startswith(rule["a"])]
        b = [ln for ln, atc in atcs.items() if atc.startswith(rule["b"])]
        if a and b:
            level = str(rule["severity"])
            findings.append(
                Finding(
                    level,
                    "interaction",
                    str(rule["en"]),
                    str(rule["fa"]),
                    b[0],
                    bool(rule.get("overridable")) and level == REJECTION,
                )
            )
    return RulesResult(findings, costs, ref.version)


def _plan_names(plans: Plans) -> tuple[str, str]:
    code = plans.basic_code or "the plan"
    return (plans.basic_names[0] or code, plans.basic_names[1] or code)


def check_dispensing(
    rx: Prescription,
    d: Dispensing,
    ref: Reference,
    *,
    dispensed: Mapping[int, int] | None = None,
) -> RulesResult:
    """The rules on dispensing `d` of prescription `rx` before it is signed or registered (9-2 step 5):
    every line must be a line of the prescription, of its drug — or of another product of its
    interchangeable group (`ref.group`) when the prescriber did not forbid substitution —, and no more
    units than are left of it
    (`dispensed`: units of each line handed over before; none when not given); each line is priced under
    `ref.plans` (`app.costs.line_cost`) — a drug the reference has no price for is priced pro rata from the
    prescriber's estimate — and a drug the basic plan does not cover is an advisory. Pure: no clock, no I/O
    (TTAC's pack checks are not rules: the counter and the exchange make them)."""
    prescribed = {it.line: it for it in rx.items}
    before = dict(dispensed or {})
    findings: list[Finding] = []
    costs: dict[int, CostSplit] = {}
    for it in d.items:
        p = prescribed.get(it.line)
        named = it.prescribed_code or it.drug_code  # a substituted line names the prescribed product
        if p is None or named != p.drug_code:
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
        why = refusal(p, it.drug_code, ref.group)  # a generic substitution (`app.substitution`)
        if why is not None:
            findings.append(Finding(REJECTION, why[0], why[1], why[2], it.line))
            continue
        if it.quantity > p.quantity - before.get(it.line, 0):
            findings.append(
                Finding(
                    REJECTION,
                    "quantity",
                    f"Line {it.line}: more units than prescribed.",
                    f"ردیف {it.line}: بیش از مقدار تجویزشده.",
                    it.line,
                )
            )
            continue
        drug = ref.drug(it.drug_code)
        if drug is not None and drug.price:
            costs[it.line] = line_cost(drug.price, it.quantity, drug.atc, ref.plans)
        else:  # no price here: the prescriber's estimate, pro rata
            costs[it.line] = pro_rata(p.cost, it.quantity, p.quantity)
        if (
            drug is not None
            and ref.plans.basic is not None
            and not ref.plans.basic_pays(drug.atc)
            and costs[it.line].total
        ):
            name_en, name_fa = _plan_names(ref.plans)
            findings.append(
                Finding(
                    ADVISORY,
                    "not-covered",
                    f"{drug.generic_en} is not covered by {name_en}.",
                    f"{drug.generic_fa} تحت پوشش {name_fa} نیست.",
                    it.line,
                )
            )
    return RulesResult(findings, costs, ref.version)


__all__ = [
    "ADVISORY",
    "REJECTION",
    "RULES_BLOB",
    "WARNING",
    "Finding",
    "Reference",
    "RulesResult",
    "bundled_rule_set",
    "cached_rule_set",
    "check_dispensing",
    "check_prescription",
]
