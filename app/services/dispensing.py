"""The pharmacist's use cases against the local store (national rules, section 9-2): keep a retrieved or a
paper prescription, refuse wrong lines and packs TTAC does not vouch for, record the dispensing signed by
the pharmacist and the pharmacy, queue it.

A dispensing is signed by the pharmacist and the facility and queued in the same transaction that saves it
(`record_dispensing`): nothing the pharmacist does waits for the network. Quantities are tracked per line:
a line may be handed over in parts (15 of 20 today, the other 5 later) and a later dispensing takes only
what remains. What this workstation knows is refused at once: a prescription cancelled, rejected or fully
dispensed, a line with nothing left, more units than remain, a pack without its TTAC code unless a reason
is given (9-2-7). Lines dispensed elsewhere are the exchange's to catch (a conflict comes back through the
outbox). The counter's whole flow — claim, TTAC, sign, send, or offline — is `sync.counter.dispense`;
reading a paper QR back is `printing.pharmacy`. Money is in rials.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from app.costs import pro_rata
from app.domain import (
    DispensedPack,
    Dispensing,
    DispensingItem,
    Pharmacist,
    Prescription,
    PrescriptionItem,
    provider_user_id,
)
from app.errors import NoskheError
from app.identifiers import AuthenticityCode
from app.legal import SERVICE_BACK, payment_fields, service_period
from app.lifecycle import RxState
from app.services import outbox
from app.services.checking import Verdict, adopt_dispensing_verdict, dispensing_rules
from app.services.clock import Clock, system_clock
from app.services.prescribing import sign_with
from app.services.pricing import item_cost
from app.signature_policy import DocumentKind, required_roles
from app.signing import Signature, Signer
from app.text import normalize_code, reason_of, to_ascii_digits

if TYPE_CHECKING:
    from app.store import Store
    from app.workstation import Workstation

DISPENSING_ROLES = required_roles(DocumentKind.DISPENSING)


class NotDispensable(NoskheError):
    """The prescription cannot be dispensed: it is cancelled, rejected or already dispensed in full, as this
    workstation knows (from the exchange's answers, its status pull, or its own dispensings).
    `details['state']` is its state (an `RxState` value)."""

    code = "not-dispensable"


class TtacReasonNeeded(NoskheError):
    """Packs handed over without their 16-digit TTAC authenticity codes, or without the online check, need
    a reason that is signed with the dispensing (9-2-7). `details['lines']`: the lines without a code."""

    code = "ttac-reason-needed"


_NOT_DISPENSABLE = {
    RxState.CANCELLED: (
        "This prescription was cancelled by its prescriber; it must not be dispensed.",
        "این نسخه را تجویزگر ابطال کرده است و نباید پیچیده شود.",
    ),
    RxState.REJECTED: (
        "The exchange rejected this prescription; it must not be dispensed.",
        "سامانهٔ تبادل این نسخه را رد کرده است و نباید پیچیده شود.",
    ),
    RxState.DISPENSED: (
        "This prescription is already dispensed in full.",
        "این نسخه پیش‌تر به‌طور کامل پیچیده شده است.",
    ),
}


def refuse_if_closed(rx: Prescription) -> None:
    """Raise `NotDispensable` when `rx` is cancelled, rejected or dispensed in full (a copy from paper
    included: what was handed over from it counts)."""
    state = rx.state
    if state not in (RxState.CANCELLED, RxState.REJECTED) and rx.items and rx.fully_dispensed:
        state = RxState.DISPENSED
    if state in _NOT_DISPENSABLE:
        en, fa = _NOT_DISPENSABLE[state]
        raise NotDispensable(en, fa, state=rx.state.value, prescription=rx.id)


def ttac_reason_of(text: str | None) -> str | None:
    """A reason for dispensing without TTAC codes or checks, as kept (`clean_free_text`); None when none
    was typed. Raises `NoskheError` for one made only of invisible characters or spaces."""
    return reason_of(text, "reason for no TTAC check", "دلیل نبودن بررسی تی‌تک")


@dataclass(frozen=True)
class DispenseLine:
    """One prescription line handed over: how many units (default: all that remain of it) and the packs'
    codes."""

    line: int
    quantity: int | None = None
    packs: tuple[DispensedPack, ...] = ()
    #: the product handed over in place of the prescribed one (another of its interchangeable group,
    #: `app.substitution`); None: the prescribed product
    substitute: str | None = None

    @classmethod
    def parse(cls, text: str) -> DispenseLine:
        """`LINE[:QTY[:CODE,CODE…]]`, as typed on the command line; codes are TTAC authenticity codes.
        Format characters (direction marks, half-spaces) are dropped and Persian/Arabic-Indic digits read
        as ASCII, like every other typed code (`app.text.normalize_code`); the Persian comma separates
        codes too."""
        parts = normalize_code(text).replace("\u060c", ",").split(":", 2)
        try:
            line = int(parts[0])
            qty = int(parts[1]) if len(parts) > 1 and parts[1].strip() else None
        except ValueError:
            raise NoskheError(
                f"Line {text!r} must be LINE:QUANTITY:CODE,CODE.",
                f"ردیف «{text}» باید به شکل ردیف:تعداد:کدها باشد.",
            ) from None
        codes = [c for c in (parts[2].split(",") if len(parts) > 2 else []) if c.strip()]
        packs = tuple(DispensedPack(AuthenticityCode.parse(c).value) for c in codes)
        return cls(line, qty, packs)


class SubstitutionRefused(NoskheError):
    """The product named for a line may not replace the prescribed one: it is not of the prescribed
    drug's interchangeable group, or the prescriber marked the line no substitution. `details['line']`."""

    code = "substitution-refused"


def substitute_of(store: Store, item: PrescriptionItem, code: str | None) -> str:
    """The drug code handed over for prescription line `item`: `code` (any digit script) when it is
    another product of the prescribed drug's group that the line allows (`app.substitution.refusal`), the
    prescribed one when `code` is None or the same. Raises `SubstitutionRefused`."""
    from app.substitution import refusal, store_groups

    wanted = to_ascii_digits(code or "").strip() or item.drug_code
    why = refusal(item, wanted, store_groups(store).group_of)
    if why is not None:
        raise SubstitutionRefused(why[1], why[2], line=item.line)
    return wanted


@dataclass(frozen=True)
class ProductChoice:
    """A product the counter may hand over for a line: its drug `code`, names (the brand, or the generic
    for the group's own row), unit `price` in rials (0 when the catalog has none) and whether it is the
    one `prescribed`."""

    code: str
    name_fa: str
    name_en: str
    price: int
    prescribed: bool


def substitutes_for(store: Store, item: PrescriptionItem) -> list[ProductChoice]:
    """What may be handed over for prescription line `item`: the prescribed product first, then the other
    products of its interchangeable group (`app.substitution`) in catalog order — only the prescribed one
    when the prescriber forbade substitution, the drug is in no group, or the line orders a service."""
    from app.substitution import store_groups

    groups = store_groups(store)
    codes = [item.drug_code]
    if not item.no_substitution and not item.is_service:
        codes += [p.code for p in groups.alternatives(item.drug_code) if p.code != item.drug_code]
    out = []
    for code in codes:
        drug, product = store.catalog.get(code), groups.product(code)
        label_fa, label_en = (drug.label_fa, drug.label_en) if drug else (item.drug_name, item.drug_name)
        if product is not None and product.brand_en:
            label_fa, label_en = f"{product.brand_fa} — {label_fa}", f"{product.label_en} — {label_en}"
        price = drug.price if drug else 0
        out.append(ProductChoice(code, label_fa, label_en, price, code == item.drug_code))
    return out


def with_substitutes(lines: Sequence[DispenseLine], substitutes: Mapping[int, str]) -> list[DispenseLine]:
    """`lines` with the product to hand over set for the lines in `substitutes` (line → drug code).
    Raises `NoskheError` for a substitute of a line not being dispensed."""
    named = {ln.line for ln in lines}
    missing = sorted(set(substitutes) - named)
    if missing:
        raise NoskheError(
            f"Line {missing[0]} has a substitute but is not dispensed (--line {missing[0]}).",
            f"برای ردیف {missing[0]} جایگزین آمده ولی این ردیف پیچیده نمی‌شود.",
        )
    return [replace(ln, substitute=substitutes.get(ln.line, ln.substitute)) for ln in lines]


def parse_substitutes(texts: Sequence[str]) -> dict[int, str]:
    """`--substitute LINE:CODE` as typed (any digit script) → {line: drug code}. Raises `NoskheError`."""
    out: dict[int, str] = {}
    for text in texts:
        line, _, code = to_ascii_digits(text).partition(":")
        if not line.strip().isdigit() or not code.strip().isdigit():
            raise NoskheError(
                f"Substitute {text!r} must be LINE:CODE.", f"جایگزین «{text}» باید به شکل ردیف:کد باشد."
            )
        out[int(line)] = code.strip()
    return out


def keep_prescription(
    store: Store, rx: Prescription, signatures: Sequence[Signature] = (), *, source: str
) -> None:
    """Save a prescription the pharmacy received as it came: `source` is `retrieved` (from the exchange,
    with its verified signatures, 9-2-3) or `paper` (read from a verified paper QR, section 12); the audit
    action is `prescription.<source>`."""
    store.save_prescription(rx, list(signatures), action=f"prescription.{source}")


def _items(
    store: Store,
    rx: Prescription,
    lines: Sequence[DispenseLine],
    ttac_reason: str | None = None,
    *,
    packs_needed: bool = True,
) -> list[DispensingItem]:
    refuse_if_closed(rx)
    by_line = {it.line: it for it in rx.items}
    seen: set[int] = set()
    items = []
    for req in lines:
        item = by_line.get(req.line)
        if item is None:
            raise NoskheError(f"The prescription has no line {req.line}.", f"نسخه ردیف {req.line} ندارد.")
        if req.line in seen:
            raise NoskheError(f"Line {req.line} is named twice.", f"ردیف {req.line} دو بار آمده است.")
        seen.add(req.line)
        done, left = rx.dispensed_of(req.line), rx.remaining(req.line)
        if left == 0:
            raise NoskheError(
                f"Line {req.line} is already dispensed ({done}/{item.quantity}).",
                f"ردیف {req.line} پیش‌تر پیچیده شده است ({done}/{item.quantity}).",
            )
        qty = left if req.quantity is None else req.quantity
        if not 0 < qty <= left:
            if done:
                en = f"Line {req.line}: {qty} units asked, {left} remain ({done}/{item.quantity} dispensed)."
                fa = f"ردیف {req.line}: {qty} عدد خواسته شده و {left} عدد مانده است ({done}/{item.quantity})."
            else:
                en = f"Line {req.line}: {qty} units asked, {item.quantity} prescribed."
                fa = f"ردیف {req.line}: {qty} عدد خواسته شده و {item.quantity} عدد تجویز شده است."
            raise NoskheError(en, fa)
        code = substitute_of(store, item, req.substitute)
        drug = store.catalog.get(code)
        if drug is not None and drug.price:  # the price of the product handed over
            cost = item_cost(store, rx.patient, drug, qty)
        else:  # not in our catalog: the prescriber's estimate, pro rata
            cost = pro_rata(item.cost, qty, item.quantity)
        prescribed = item.drug_code if code != item.drug_code else None
        items.append(DispensingItem(req.line, code, qty, tuple(req.packs), cost, prescribed_code=prescribed))
    if not items:
        raise NoskheError(
            "Choose at least one line to dispense.", "دست‌کم یک ردیف را برای نسخه‌پیچی انتخاب کنید."
        )
    refuse_packs_twice(items)
    bare = [it.line for it in items if not it.packs]
    if bare and not ttac_reason and packs_needed:
        listed = ", ".join(map(str, bare))
        raise TtacReasonNeeded(
            f"Line(s) {listed}: no pack authenticity code. Scan each pack's 16-digit TTAC code "
            "(LINE:QTY:CODE), or give the reason it cannot be done (--no-ttac-reason).",
            f"ردیف(های) {listed}: کد اصالت بسته داده نشده است. کد ۱۶ رقمی هر بسته را بخوانید یا دلیل آن را "
            "بنویسید (--no-ttac-reason).",
            lines=bare,
        )
    return items


def refuse_packs_twice(items: Sequence[DispensingItem]) -> None:
    """Raises `NoskheError` (one line, both languages, naming the code and its lines) when one pack's
    authenticity code is given twice in a dispensing, on one line or across lines: a pack is handed over
    once (9-2-7)."""
    where: dict[str, list[int]] = {}
    for it in items:
        for pack in it.packs:
            where.setdefault(pack.authenticity_code, []).append(it.line)
    twice = {code: lines for code, lines in where.items() if len(lines) > 1}
    if twice:
        code, lines = next(iter(twice.items()))
        named = ", ".join(map(str, sorted(set(lines))))
        raise NoskheError(
            f"Pack {code} is scanned {len(lines)} times (line {named}); each pack is handed over once.",
            f"بستهٔ {code} {len(lines)} بار خوانده شده است (ردیف {named})؛ هر بسته یک بار تحویل می‌شود.",
            packs=sorted(twice),
        )


def record_dispensing(
    store: Store,
    rx_id: str,
    *,
    pharmacist: Pharmacist,
    lines: Sequence[DispenseLine],
    signers: Sequence[Signer],
    claim: str | None = None,
    payment_id: str = "",
    pos_terminal_id: str = "",
    ttac_reason: str | None = None,
    clock: Clock = system_clock,
    rules: Callable[[Prescription, Dispensing], Verdict] | None = None,
    service_start: dt.datetime | None = None,
    service_end: dt.datetime | None = None,
) -> Dispensing:
    """Sign and queue a dispensing of `lines` of prescription `rx_id` (kept in this store); returns it,
    state `queued`. A line's quantity defaults to what remains of it. Each line is costed from the local
    catalog (insurer and patient shares in rials), else pro rata from the prescriber's estimate. The
    dispensing, its two signatures (`signers`: the pharmacist and the facility seal, 9-2-1 and 9-2-2), the
    units now dispensed per line of the prescription (partially dispensed until every line is complete)
    and the outbox row that registers it (9-2-6) are written in one transaction.

    `claim` is the secret the exchange gave when this pharmacy claimed the prescription online; offline
    (paper) dispensings have none and the exchange claims at delivery. `ttac_reason` says why packs go
    without their TTAC codes or checks (9-2-7); it is signed with the dispensing and the exchange sees it.
    `rules(rx, d)` answers the insurance rules before signing (9-2 step 5; default: the local engine on the
    cached rule set): its split is the one signed (`cost_basis` says whether it is the exchange's or an
    estimate) and a standing rejection raises `RulesRejected` before anything is signed.

    Section 7's legal elements are signed with it: `payment_id` (the patient's electronic payment id, 7-8)
    and `pos_terminal_id` (7-9) as typed — checked and made canonical (`app.legal.payment_fields`,
    `InvalidIdentifier` for a wrong one); the provider user id (7-5: this pharmacy's SIAM id and the
    pharmacist's national code), the pharmacy's national id (the `facility_national_id` setting, 7-9 note 1)
    and the start and end of the service (7-7: `service_start`, default the moment this is called;
    `service_end`, default the signature's time; `NoskheError` for an end before the start or a time to
    come).
    Raises `NotFound` (no such prescription here), `NotDispensable` (cancelled, rejected or dispensed in
    full), `TtacReasonNeeded` (a line without pack codes and no reason), `NoskheError` (a line missing,
    named twice, with nothing left or more units than remain; no line chosen; a signature missing or
    refused by its token)."""
    begun = clock()
    payment_id, pos_terminal_id = payment_fields(payment_id, pos_terminal_id)
    rx = store.get_prescription(rx_id)
    # refused before anything is asked: in the future, more than SERVICE_BACK ago, before the patient's birth
    service_period(
        service_start or begun, service_end, now=begun, born=rx.patient.birth_date, max_back=SERVICE_BACK
    )
    reason = ttac_reason_of(ttac_reason)
    d = Dispensing(
        prescription_id=rx.id,
        pharmacist=pharmacist,
        facility_siam=store.facility_siam,
        items=_items(store, rx, lines, reason),
        hid=rx.hid,
        tracking_code=rx.tracking_code,
        dispensed_at=clock(),
        payment_id=payment_id,
        pos_terminal_id=pos_terminal_id,
        ttac_reason=reason,
        prescriber_council=rx.prescriber.medical_council_number or None,
        provider_user_id=provider_user_id(store.facility_siam, pharmacist.national_code or pharmacist.licence)
        or None,
        facility_national_id=store.facility().national_id or None,
    )
    # 9-2 step 5, before signing: `rules` (the exchange's, online) or the local engine; the split signed is
    # the verdict's and the dispensing carries the rule-approval ids (9-2 step 6); a rejection stops here
    adopt_dispensing_verdict(d, rx, dispensing_rules(store, rules, rx, d))
    d.service_start, d.service_end = service_period(service_start or begun, service_end, now=clock())
    signatures = sign_with(signers, d.document(), DISPENSING_ROLES)
    d.state = "queued"
    handed = {it.line: it.quantity for it in d.items}
    if rx.state in (RxState.SIGNED, RxState.REGISTERED, RxState.PARTIALLY_DISPENSED):
        # a paper copy (signed) counts too: what was handed over from it is remembered before the exchange
        # confirms it
        rx.record_dispensing(handed)
    else:  # a copy kept as its writer held it (queued there): the units count, the state is the exchange's
        rx.dispensed = {ln: rx.dispensed_of(ln) + handed.get(ln, 0) for ln in {*rx.dispensed, *handed}}

    def queue(_: object) -> None:  # inside the dispensing's transaction: all three commit together
        store.save_prescription(rx, action="prescription.dispense")
        store.outbox.enqueue(
            op="dispense",
            subject=f"disp:{d.id}",
            chain=outbox.chain_of(rx.id),
            payload={"dispensing": d.to_dict(), "claim": claim},
        )

    store.save_dispensing(d, signatures, also=queue)
    return d


# ---- at the counter: the pure parts (the exchange is reached from `sync.counter`) ------------------------


class PackRefused(NoskheError):
    """A pack TTAC does not vouch for: unknown, already dispensed, expired, or of another drug than its
    line. `details`: `code` (the 16-digit authenticity code) and `status` (TTAC's answer)."""

    code = "pack-refused"


def kept_prescription(store: Store, ref: str) -> Prescription:
    """A prescription this store holds, by its id, its tracking code or its visit's HID (any digits, marks;
    `app.services.records.find_prescription`). Raises `NotFound`."""
    from app.services.records import find_prescription  # one lookup for the desk, the counter and the CLI

    return find_prescription(store, ref)


def keep_paper(ws: Workstation, rx: Prescription) -> Prescription:
    """Keep a prescription read from a verified paper QR (`printing.pharmacy.read_paper`) so it can be
    dispensed without the network (section 12), and return the copy to dispense from: when this store
    already holds it (retrieved online, or the same paper kept before) that richer copy stays, unchanged."""
    same = known_copy(ws.store, rx)
    if same is not None:
        return same
    keep_prescription(ws.store, rx, source="paper")
    return rx


def known_copy(store: Store, rx: Prescription) -> Prescription | None:
    """The copy of `rx` (same id) this store already holds — retrieved online, or the same paper kept
    before, with what was dispensed from it and the exchange's verdicts — or None. Writes nothing."""
    known = store.find_prescriptions(patient_value=rx.patient.id.value, limit=1000)
    return next((k for k in known if k.id == rx.id), None)


def pharmacist_of(signer: Signer) -> Pharmacist:
    """The pharmacist as the signing certificate names him: name, licence number, national code (9-2-2)."""
    who = signer.identity()
    return Pharmacist(who.name, who.pharmacist_licence or "", who.national_code or "")


def open_lines(rx: Prescription, but: Sequence[int] = ()) -> list[DispenseLine]:
    """Every drug line of `rx` with units left to hand over (as far as this store knows), except the lines
    in `but`, each for what remains of it (5 of a line of 20 when 15 were dispensed). Service lines (lab,
    imaging, physiotherapy) are performed, not dispensed: their outcomes are registered instead."""
    return [
        DispenseLine(it.line, rx.remaining(it.line))
        for it in rx.items
        if rx.remaining(it.line) > 0 and it.line not in but and not it.is_service
    ]


def check_lines(
    store: Store, rx: Prescription, lines: Sequence[DispenseLine], ttac_reason: str | None = None
) -> None:
    """Refuse, before anything is asked or signed, what `record_dispensing` would refuse: a prescription
    cancelled, rejected or dispensed in full; a line the prescription lacks, with nothing left, or asked
    for more than remains; no line at all; a line without pack codes and no `ttac_reason`."""
    _items(store, rx, lines, ttac_reason_of(ttac_reason))


def draft_dispensing(
    store: Store, rx: Prescription, lines: Sequence[DispenseLine], pharmacist: Pharmacist
) -> Dispensing:
    """An unsigned dispensing of `lines` of `rx` by `pharmacist`, for the rules to look at before the
    pharmacist signs (9-2 step 5: the counter shows their findings and the split while packs are still
    being scanned); packs are not required yet. Nothing is written. Raises as `check_lines` does, except
    `TtacReasonNeeded`."""
    return Dispensing(
        prescription_id=rx.id,
        pharmacist=pharmacist,
        facility_siam=store.facility_siam,
        items=_items(store, rx, lines, packs_needed=False),
        hid=rx.hid,
        tracking_code=rx.tracking_code,
        prescriber_council=rx.prescriber.medical_council_number or None,
    )


def pack_drugs(rx: Prescription, lines: Sequence[DispenseLine]) -> dict[str, str]:
    """Authenticity code → drug code of its line, for every pack handed over in `lines`."""
    drug = {it.line: it.drug_code for it in rx.items}
    return {
        p.authenticity_code: ln.substitute or drug[ln.line]
        for ln in lines
        for p in ln.packs
        if ln.line in drug
    }


def refuse_bad_packs(checks: Sequence[dict[str, Any]], drug_of: dict[str, str]) -> None:
    """Raise `PackRefused` for the first pack TTAC does not vouch for (9-2-7): each of `checks` (TTAC's
    answers, `{"code", "status", "drug", …}`) must be `genuine` and of the drug of its line (`drug_of`:
    authenticity code → drug code)."""
    from app.timefmt import format_times

    for c in checks:
        status = c.get("status")
        if status == "genuine" and c.get("drug") == drug_of[c["code"]]:
            continue
        at_en, at_fa = format_times(c.get("dispensedAt"))
        why = {
            "unknown": ("is unknown to TTAC", "در سامانهٔ ردیابی نیست"),
            "dispensed": (
                f"was already dispensed ({c.get('dispensedBy')} at {at_en})",
                f"پیش‌تر تحویل شده است ({c.get('dispensedBy')}، {at_fa})",
            ),
            "expired": ("is expired", "تاریخ گذشته است"),
        }.get(str(status), (f"is not drug {drug_of[c['code']]}", "با داروی این ردیف جور نیست"))
        raise PackRefused(
            f"Pack {c['code']} {why[0]}; it must not be handed out.",
            f"بسته با کد اصالت {c['code']} {why[1]}؛ نباید تحویل شود.",
            code=c["code"],
            status=status,
        )


__all__ = [
    "DISPENSING_ROLES",
    "DispenseLine",
    "NotDispensable",
    "PackRefused",
    "ProductChoice",
    "SubstitutionRefused",
    "TtacReasonNeeded",
    "check_lines",
    "draft_dispensing",
    "keep_paper",
    "keep_prescription",
    "kept_prescription",
    "known_copy",
    "open_lines",
    "pack_drugs",
    "parse_substitutes",
    "pharmacist_of",
    "record_dispensing",
    "refuse_bad_packs",
    "refuse_if_closed",
    "substitute_of",
    "substitutes_for",
    "ttac_reason_of",
    "with_substitutes",
]
