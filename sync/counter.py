"""At the pharmacy counter (national rules, section 9-2): claim a prescription, check the packs with TTAC,
dispense — online, offline, or from a paper prescription — and give up a claim.

    result = dispense(ws, ref="100000000008", lines=[DispenseLine(1, 15, packs=(DispensedPack(code),))])
    result = dispense(ws, ref="100000000008", all_lines=True, ttac_reason="label torn")  # what remains
    result = dispense(ws, paper=lambda: read_paper(ws, texts), lines=…)   # offline, from paper
    release_claim(ws, "100000000008")

Nothing the pharmacist does waits for the network: the dispensing is signed and queued locally
(`app.services.dispensing.record_dispensing`); online it is also sent at once. Online, the prescription is
claimed first (a second pharmacy is told at once who holds or dispensed it, and a cancelled prescription is
refused and remembered as cancelled) and each pack's authenticity code is checked with TTAC (9-2-7), both
before anything is signed; when the exchange does not answer, the dispensing goes on offline and the
result says why. Offline, the packs' check is queued with the dispensing: the exchange checks every code
when it arrives, and a pack TTAC does not vouch for comes back as an item that needs attention. Packs
without codes, or a check skipped, need a reason, signed with the dispensing. What this workstation knows
is refused before any token is asked: a prescription cancelled, rejected or fully dispensed, a paper
already dispensed from, a paper by a prescriber the trust list names as suspended. The exchange is reached
through the workstation (`ws.client`, `ws.sync`). Money is in rials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from app.domain import Dispensing, Prescription
from app.errors import NoskheError
from app.legal import SERVICE_BACK, service_period
from app.rules import REJECTION, Finding
from app.services.checking import Offline, RulesRejected, Verdict
from app.services.clock import Clock, system_clock
from app.services.dispensing import (
    DispenseLine,
    NotDispensable,
    PackRefused,
    TtacReasonNeeded,
    check_lines,
    draft_dispensing,
    keep_paper,
    kept_prescription,
    known_copy,
    open_lines,
    pack_drugs,
    pharmacist_of,
    record_dispensing,
    refuse_bad_packs,
    ttac_reason_of,
    with_substitutes,
)
from sync.checking import dispensing_verdict, release_quietly
from sync.client import ExchangeRefused, ExchangeUnavailable
from sync.drain import DrainReport
from sync.statuses import adopt_status

if TYPE_CHECKING:
    import datetime as dt

    from app.packs import PackScan
    from app.workstation import Workstation


@dataclass
class DispenseResult:
    """What `dispense` did.

    `dispensing` is as saved, or as the exchange answered when it was sent at once (state `queued`,
    `registered`, `conflict`, `rejected`…); `prescription` is the copy it was dispensed from (kept in this
    store); `claimed` is true when the exchange granted this pharmacy the claim; `packs` are TTAC's answers
    for the packs handed over, when they were checked; `offline` is why the exchange could not be used,
    when it was tried and did not answer (the dispensing was then queued as an offline one); `sync` is the
    drain run right after an online dispensing; `ttac` says what became of the packs' check (9-2-7):
    `checked` (online, before signing), `queued` (the exchange checks them when the dispensing reaches
    it), `skipped` (no code or no check, for the reason signed in `dispensing.ttac_reason`)."""

    dispensing: Dispensing
    prescription: Prescription
    from_paper: bool = False
    claimed: bool = False
    packs: list[dict[str, Any]] = field(default_factory=list)
    offline: ExchangeUnavailable | None = None
    sync: DrainReport | None = None
    ttac: str = "queued"

    @property
    def needs_attention(self) -> bool:
        """True when the exchange refused it: a conflict or a rejection a person must look at."""
        return self.dispensing.state in ("conflict", "rejected")

    def to_dict(self) -> dict[str, Any]:
        """What `noskhe dispense --json` prints: `{"dispensing": id, "prescription": id, "state", "lines":
        [line numbers], "quantities": {line: "dispensed/prescribed"} (the prescription's lines after this
        dispensing), "ttac": checked | queued | skipped, "ttac_reason" (when given), "cost":
        CostSplit.to_dict() (insurer and patient shares, rials), "source": "paper (verified offline)"
        (from paper only), "sync": {"done", "conflicts", "rejected"} (online only), "substitutions": {line:
        {"dispensed", "prescribed"}} (drug codes; only when another product of a line's group was handed over)}`."""
        d, rx = self.dispensing, self.prescription
        out: dict[str, Any] = {
            "dispensing": d.id,
            "prescription": rx.id,
            "state": d.state,
            "lines": [i.line for i in d.items],
            "quantities": {str(it.line): f"{rx.dispensed_of(it.line)}/{it.quantity}" for it in rx.items},
            "ttac": self.ttac,
            **({"ttac_reason": d.ttac_reason} if d.ttac_reason else {}),
            "cost": d.cost.to_dict(),
        }
        swapped = {
            str(i.line): {"dispensed": i.drug_code, "prescribed": i.prescribed_code}
            for i in d.items
            if i.substituted
        }
        if swapped:  # another product of a line's group was handed over
            out["substitutions"] = swapped
        if self.from_paper:
            out["source"] = "paper (verified offline)"
        if self.sync is not None:
            r = self.sync
            out["sync"] = {"done": r.done, "conflicts": r.conflicts, "rejected": r.rejected}
        return out


@dataclass(frozen=True)
class ClaimRelease:
    """The exchange's answer to giving up a claim: `released` is false when this pharmacy held none;
    `answer` is the exchange's reply as it came (`{"prescription": id, "released": bool}`)."""

    prescription_id: str
    released: bool
    answer: dict[str, Any]


def claim(ws: Workstation, rx: Prescription) -> str:
    """Claim `rx` (by tracking code, else id) at the exchange for this pharmacy before dispensing it online;
    returns the claim's secret, which goes with the dispensing. A prescription another pharmacy holds or
    dispensed is refused at once: `ExchangeRefused` (status 409, `details`: `facility_name`, `at`).
    `ExchangeUnavailable` when the exchange does not answer."""
    return str(ws.client.claim(rx.tracking_code or rx.id)["claim"])


def check_packs(ws: Workstation, codes: Sequence[str]) -> list[dict[str, Any]]:
    """TTAC's answer for each 16-digit authenticity code, in order (9-2-7): `{"code", "status": genuine |
    dispensed | expired | unknown, "drug", "gtin", "dispensedBy", "dispensedAt", "batch"}` (more than code
    and status only when TTAC knows the pack). Raises `ExchangeUnavailable`, `ExchangeRefused`."""
    return [ws.client.ttac(code) for code in codes]


def check_dispensed_packs(
    ws: Workstation, rx: Prescription, lines: Sequence[DispenseLine]
) -> list[dict[str, Any]]:
    """Check every pack handed over in `lines` with TTAC and refuse the dispensing when one is not genuine
    or not of its line's drug (`PackRefused`, 9-2-7). Returns TTAC's answers ([] when no pack code was
    given). Raises as `check_packs` does."""
    drug_of = pack_drugs(rx, lines)
    if not drug_of:
        return []
    checks = check_packs(ws, list(drug_of))
    refuse_bad_packs(checks, drug_of)
    return checks


def adopt_refusal(ws: Workstation, rx: Prescription, exc: ExchangeRefused) -> None:
    """Remember what a refused claim said about `rx` (cancelled by its prescriber, dispensed elsewhere), so
    the counter refuses it at once next time, even offline."""
    if exc.code in ("cancelled", "already-dispensed") and isinstance(exc.details.get("state"), str):
        with ws.store.transaction():
            kept = ws.store.get_prescription(rx.id)
            if adopt_status(kept, exc.details):
                ws.store.save_prescription(kept, action="prescription.status")


def refuse_suspended_prescriber(ws: Workstation, rx: Prescription) -> None:
    """Refuse a copy the exchange has not vouched for (a paper one: no tracking code) when the trust list
    names its prescriber as suspended by the medical council, or the council's answer kept here (an earlier
    inquiry) says suspended or revoked: `NotDispensable` (reason `prescriber-suspended`)."""
    from app.services.council import kept_bar

    if rx.tracking_code:
        return
    suspended = ws.trust.suspension(rx.prescriber.medical_council_number)
    if suspended is not None or kept_bar(ws, rx.prescriber.medical_council_number) is not None:
        council = rx.prescriber.medical_council_number
        raise NotDispensable(
            f"The prescriber (council number {council}) is suspended by the medical council; this paper "
            "prescription must not be dispensed.",
            f"پروانهٔ تجویزگر (شماره نظام {council}) تعلیق شده است؛ این نسخهٔ کاغذی نباید پیچیده شود.",
            state=rx.state.value,
            prescription=rx.id,
            reason="prescriber-suspended",
        )


def release_claim(ws: Workstation, ref: str) -> ClaimRelease:
    """Give up this pharmacy's claim on a prescription kept here (id or tracking code), e.g. when the
    patient leaves without the drugs, so another pharmacy may dispense it. Raises `NotFound`,
    `ExchangeRefused` (the claim is another pharmacy's), `ExchangeUnavailable`."""
    rx = kept_prescription(ws.store, ref)
    answer = ws.client.release(rx.id, None)
    return ClaimRelease(rx.id, bool(answer.get("released")), answer)


def dispense(
    ws: Workstation,
    *,
    ref: str | None = None,
    paper: Callable[[], Prescription] | None = None,
    lines: Sequence[DispenseLine] = (),
    all_lines: bool = False,
    offline: bool = False,
    ttac: bool = True,
    ttac_reason: str | None = None,
    payment_id: str = "",
    pos_terminal_id: str = "",
    clock: Clock = system_clock,
    substitutes: Mapping[int, str] | None = None,
    service_start: dt.datetime | None = None,
    service_end: dt.datetime | None = None,
) -> DispenseResult:
    """Dispense `lines` (and, with `all_lines`, what remains of every other line) of one prescription,
    signed by the pharmacist and the pharmacy (9-2-1, 9-2-2) and registered through the outbox (9-2-6);
    what `noskhe dispense` does. A line's quantity defaults to what remains of it: 15 of a line of 20
    today, the other 5 later.

    The prescription is `ref` — the id or tracking code of one kept here (`sync.retrieve`) — or `paper`: a
    function that reads and verifies a paper QR (`printing.pharmacy.read_paper`), called once the
    arguments are checked, so the paper is verified before anything is written or a PIN is asked; the copy
    already kept of it, if any, is the one dispensed from (what was dispensed from the paper counts); else
    it is kept (`keep_paper`). A paper is claimed like a retrieved copy when the exchange answers and knows
    it (a cancelled or dispensed one is refused then); one it does not know yet is dispensed offline
    (section 12).

    Before any token is asked, the prescription and the lines are checked against what this workstation
    knows (`check_lines`: cancelled, rejected, fully dispensed, a line with nothing left, packs without
    codes and no `ttac_reason`; a paper copy by a suspended prescriber). Then the pharmacist's and the
    seal's signers are opened (PINs through the workstation's prompter). Online (not `offline`, a paper
    too), the prescription is claimed and, with `ttac`, every pack checked with TTAC (9-2-7) — all before
    anything is signed; skipping that check (`ttac=False`) needs `ttac_reason`. If the exchange does not
    answer, the dispensing goes on offline and `result.offline` says why. The dispensing is then signed and
    queued and, online, sent at once (`ws.sync.run()`).

    `substitutes` (line → drug code) hands over another product of a line's interchangeable group
    (`app.substitution`), priced at its own price, when the prescriber allowed it (`SubstitutionRefused`
    otherwise, before any token is asked). `service_start` and `service_end` are the start and end of the
    service signed with it (7-7; default the moment it is recorded and the signature's time), refused
    before any token is asked as `record_dispensing` refuses them (to come, or an end before the start).

    Raises `NoskheError` (neither or both of `ref` and `paper`; the lines as `record_dispensing` refuses
    them), `NotDispensable`, `TtacReasonNeeded`, `NotFound`, the paper's errors (`PaperPayloadError`,
    `PaperSignatureError`), `PackRefused`, `ExchangeRefused` (the claim refused: another pharmacy holds or
    dispensed it, or it was cancelled — remembered here) and the signers' errors (`ConfigError`,
    `WrongPin`, `PinLocked`…)."""
    if paper is not None and ref:
        raise NoskheError(
            "Give either a prescription or a paper QR, not both.", "یا نسخه را نام ببرید یا کد QR کاغذی را."
        )
    if not ref and paper is None:
        raise NoskheError("Name the prescription to dispense.", "نسخه‌ای را که پیچیده می‌شود نام ببرید.")
    read = paper() if paper is not None else None
    rx = (known_copy(ws.store, read) or read) if read is not None else kept_prescription(ws.store, str(ref))
    reason = ttac_reason_of(ttac_reason)
    # a paper too is claimed first when the exchange answers; with no exchange set up it is dispensed offline
    online = not offline and (read is None or bool(ws.setting("exchange.url", "NOSKHE_EXCHANGE_URL")))
    if online and not ttac and not reason:
        raise TtacReasonNeeded(
            "Skipping the TTAC check needs a reason (--no-ttac-reason).",
            "نادیده گرفتن استعلام کد اصالت دلیل می‌خواهد (--no-ttac-reason).",
            lines=[],
        )
    refuse_suspended_prescriber(ws, rx)
    given = [ln.line for ln in lines]
    wanted = with_substitutes([*lines, *(open_lines(rx, but=given) if all_lines else [])], substitutes or {})
    refuse_service_lines(rx, wanted)
    check_lines(ws.store, rx, wanted, reason)  # refused before a token or the exchange is asked anything
    service_period(
        service_start or clock(), service_end, now=clock(), born=rx.patient.birth_date, max_back=SERVICE_BACK
    )
    user, seal = ws.signing_user(), ws.seal()
    if read is not None:
        rx = keep_paper(ws, read)
    secret: str | None = None
    packs: list[dict[str, Any]] = []
    unreachable: ExchangeUnavailable | None = None
    if online:
        try:
            secret = claim(ws, rx)
            if ttac:
                packs = check_dispensed_packs(ws, rx, wanted)
        except ExchangeUnavailable as exc:
            unreachable, online = exc, False
        except ExchangeRefused as exc:
            if read is None or exc.status != 404:
                adopt_refusal(ws, rx, exc)
                raise
            online = False  # a paper the exchange does not know yet: dispensed from the paper (section 12)
    try:
        d = record_dispensing(
            ws.store,
            rx.id,
            pharmacist=pharmacist_of(user),
            lines=wanted,
            signers=[user, seal],
            claim=secret,
            payment_id=payment_id,
            pos_terminal_id=pos_terminal_id,
            ttac_reason=reason,
            clock=clock,
            rules=dispensing_verdict(ws, online=online),  # 9-2 step 5: the exchange's rules, else local
            service_start=service_start,
            service_end=service_end,
        )
    except RulesRejected:
        if secret is not None:  # not dispensed: another pharmacy may take it
            release_quietly(ws, rx)
        raise
    report = None
    if online:
        report = ws.sync.run()
        d = ws.store.get_dispensing(d.id)
    has_packs = any(it.packs for it in d.items)
    return DispenseResult(
        d,
        ws.store.get_prescription(rx.id),
        from_paper=paper is not None,
        claimed=secret is not None,
        packs=packs,
        offline=unreachable,
        sync=report,
        ttac="checked" if packs else "queued" if has_packs and not (online and not ttac) else "skipped",
    )


# ---- at the counter, before signing: the rules, each pack as it is scanned -----------------------------


def preview_dispensing(
    ws: Workstation, ref: str, lines: Sequence[DispenseLine], *, offline: bool = False
) -> Verdict:
    """What the rules say about dispensing `lines` of the prescription kept here as `ref` (id or tracking
    code), before anything is signed (9-2 step 5): the exchange's findings and split online (the local
    engine's, saying why, when it cannot answer or does not hold the prescription — a paper one), the
    local engine's and an estimate with `offline`. The prescription's own clinical findings come first
    (`clinical_findings`: interactions, duplicate therapy… as the rules engine finds them, a rejection
    marked overridden by the prescriber), so the pharmacist sees them; they never block. Nothing is
    written; a standing rejection is a finding here, not an error. The pharmacist is the one whose signer
    is open (asked through the prompter otherwise). Raises `NotFound`, `NotDispensable`, `NoskheError`
    (the lines, as `check_lines`; a service line, as `refuse_service_lines`)."""
    rx = kept_prescription(ws.store, ref)
    refuse_service_lines(rx, lines)
    d = draft_dispensing(ws.store, rx, lines, pharmacist_of(ws.user_signer()))
    try:
        verdict = dispensing_verdict(ws, online=not offline and bool(rx.tracking_code))(rx, d)
    except (ExchangeUnavailable, ExchangeRefused, Offline) as exc:
        local = dispensing_verdict(ws, online=False)(rx, d)
        verdict = replace(local, reason_en=exc.en, reason_fa=exc.fa)
    clinical = clinical_findings(ws, rx)
    if not clinical:
        return verdict
    result = verdict.result
    return replace(verdict, result=replace(result, findings=[*clinical, *result.findings]))


#: the prescription's findings the dispensing's own check already makes (or that are about money only)
_DISPENSING_CODES = frozenset({"not-covered"})


def clinical_findings(ws: Workstation, rx: Prescription) -> list[Finding]:
    """The prescription's clinical findings (interaction, duplicate therapy, duration, age, sex,
    controlled or specialist-only drugs…) as the rules engine the exchange runs finds them on `rx` (the
    rule set and catalog kept here, 9-1 step 4), for the pharmacist to see at the counter (9-2 step 5).
    The prescription was registered, so a rejection among them was overridden by its prescriber: it is
    marked `overridden` (the reason is `rx.override_reason`) and never blocks the dispensing. Service lines'
    findings are left out (a laboratory or imaging centre performs them). Reads the store only."""
    from app.services.checking import local_prescription_rules

    result = local_prescription_rules(ws.store, rx)
    services = {it.line for it in rx.items if it.is_service}
    return [
        replace(f, overridden=True) if f.level == REJECTION else f
        for f in result.findings
        if f.code not in _DISPENSING_CODES and (f.line is None or f.line not in services)
    ]


def refuse_service_lines(rx: Prescription, lines: Sequence[DispenseLine]) -> None:
    """Raise `NoskheError` when `lines` name a service line of `rx` (lab, imaging, physiotherapy: 7-6, 8-1):
    a laboratory, imaging or physiotherapy centre performs it; a pharmacy never dispenses it."""
    services = {it.line: it for it in rx.items if it.is_service}
    for ln in lines:
        it = services.get(ln.line)
        if it is not None:
            raise NoskheError(
                f"Line {ln.line} is a service ({it.service}: {it.drug_name}), performed at a laboratory, "
                "imaging or physiotherapy centre; a pharmacy does not dispense it.",
                f"ردیف {ln.line} خدمت است ({it.drug_name})، در آزمایشگاه، مرکز تصویربرداری یا فیزیوتراپی "
                "انجام می‌شود و داروخانه آن را تحویل نمی‌دهد.",
                line=ln.line,
            )


@dataclass(frozen=True)
class PackCheck:
    """One pack scanned for a line: `status` is `genuine` (TTAC vouches for it, of the line's drug),
    `queued` (the exchange could not be asked: it checks the code when the dispensing reaches it, 9-2-7)
    or a refusal — `expired` (by the date on the pack, or TTAC's answer), `dispensed`, `unknown`,
    `wrong-drug`, `gtin-mismatch` (a GS1 scan whose GTIN is not the one TTAC has for its code); `answer` is TTAC's reply when it was asked; `en`/`fa` say why a pack is refused."""

    scan: PackScan
    status: str
    answer: dict[str, Any] = field(default_factory=dict)
    en: str = ""
    fa: str = ""

    @property
    def refused(self) -> bool:
        """True when the pack must not be handed out."""
        return self.status not in ("genuine", "queued")


def check_pack(
    ws: Workstation, scan: PackScan, drug_code: str, *, today: dt.date, offline: bool = False
) -> PackCheck:
    """Check one scanned pack for a line of drug `drug_code` (9-2-7): a pack past the expiry printed on
    it is refused at once, without asking anyone; otherwise TTAC is asked (unless `offline`), and its
    answer must be `genuine` and of this drug. When the exchange does not answer, the check is queued
    (it checks every code when the dispensing arrives). Never raises for a pack TTAC refuses: the
    result says why (`PackCheck.refused`). Raises `ExchangeRefused` (the exchange refused the request)."""
    if scan.expired(today):
        assert scan.expiry is not None
        day = scan.expiry.isoformat()
        return PackCheck(
            scan,
            "expired",
            en=f"Pack {scan.code} expired on {day}; it must not be handed out.",
            fa=f"بستهٔ {scan.code} در {day} منقضی شده است و نباید تحویل شود.",
        )
    if offline:
        return PackCheck(scan, "queued")
    try:
        (answer,) = check_packs(ws, [scan.code])
    except ExchangeUnavailable:
        return PackCheck(scan, "queued")
    try:
        refuse_bad_packs([answer], {scan.code: drug_code})
    except PackRefused as exc:
        status = str(answer.get("status"))
        return PackCheck(scan, status if status != "genuine" else "wrong-drug", answer, exc.en, exc.fa)
    known = str(answer.get("gtin") or "").lstrip("0")
    if scan.gtin and known and scan.gtin.lstrip("0") != known:  # the code was copied onto another product
        return PackCheck(
            scan,
            "gtin-mismatch",
            answer,
            f"Pack {scan.code}: the barcode's GTIN {scan.gtin} is not the one TTAC has for this code "
            f"({answer.get('gtin')}); it must not be handed out.",
            f"بستهٔ {scan.code}: GTIN بارکد ({scan.gtin}) با آنچه تیتک برای این کد دارد ({answer.get('gtin')}) "
            "یکی نیست؛ نباید تحویل شود.",
        )
    return PackCheck(scan, "genuine", answer)


# ---- what needs the pharmacist after the exchange answered -------------------------------------------


@dataclass(frozen=True)
class CounterConflict:
    """A dispensing of this pharmacy the exchange refused, or one that needs a person: the outbox row
    (`row_id`, its `state`: conflict, rejected, quarantined; `code`: already-dispensed, …), the dispensing
    and its prescription (ids, the patient's name), the exchange's reason and what to do (English and
    Persian), and — for a double dispensing — who dispensed it first: the pharmacy's `facility` (SIAM
    id) and name, the pharmacist, when (`at`, ISO 8601 UTC) and which `lines`."""

    row_id: str
    state: str
    code: str
    dispensing_id: str
    prescription_id: str
    patient: str
    reason_en: str
    reason_fa: str
    action_en: str
    action_fa: str
    since: str
    facility: str = ""
    facility_name: str = ""
    pharmacist: str = ""
    at: str = ""
    lines: tuple[int, ...] = ()


def counter_conflicts(ws: Workstation) -> list[CounterConflict]:
    """Every outbox item of this workstation that needs a person (oldest first), with what the exchange
    said about who dispensed the prescription first (from its 409 `already-dispensed` details). Reads the
    store only."""
    from app.errors import NotFound

    out = []
    for row in ws.store.outbox.attention():
        details = (row.result or {}).get("details") or {}
        kind, _, ident = row.subject.partition(":")
        rx_id, d_id, patient = ident, "", ""
        if kind == "disp":
            d_id = ident
            try:
                rx_id = ws.store.get_dispensing(ident).prescription_id
            except NotFound:
                rx_id = str(details.get("prescription") or "")
        try:
            patient = ws.store.get_prescription(rx_id).patient.full_name if rx_id else ""
        except NotFound:
            pass
        out.append(
            CounterConflict(
                row.id,
                row.state.value if hasattr(row.state, "value") else str(row.state),
                row.reason_code or "",
                d_id,
                rx_id,
                patient,
                row.reason_en or "",
                row.reason_fa or "",
                row.action_en or "",
                row.action_fa or "",
                row.updated_at,
                facility=str(details.get("facility") or ""),
                facility_name=str(details.get("facility_name") or ""),
                pharmacist=str(details.get("pharmacist") or ""),
                at=str(details.get("at") or ""),
                lines=tuple(int(x) for x in details.get("lines") or ()),
            )
        )
    return out


__all__ = [
    "ClaimRelease",
    "CounterConflict",
    "DispenseResult",
    "PackCheck",
    "adopt_refusal",
    "check_dispensed_packs",
    "check_pack",
    "check_packs",
    "claim",
    "clinical_findings",
    "counter_conflicts",
    "dispense",
    "preview_dispensing",
    "refuse_service_lines",
    "refuse_suspended_prescriber",
    "release_claim",
]
