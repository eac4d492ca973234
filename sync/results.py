"""What the exchange's answers change locally: HIDs, tracking codes, rule ids, receipts; and, for refusals,
the local state the exchange says is true, plus a "needs attention" reason with what to do.

Every function runs inside the drain's transaction (the store's repositories join it), together with the
outbox row's own change. Where the
exchange contradicts what this workstation believed (a dispensing elsewhere came first), its word is taken
and written directly, not through the lifecycle: the lifecycle guards what a person may do, not the news.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.domain import Prescription
from app.lifecycle import RxState
from app.services.checking import adopt_eligibility, with_item_rule_ids
from app.services.outbox import CONFLICT, QUARANTINED, REJECTED, OutboxRow, OutboxState
from app.services.settling import surface_split_difference
from sync import fhir
from sync.client import ExchangeRefused

if TYPE_CHECKING:
    from app.store import Store

ACTIONS: dict[str, tuple[str, str]] = {
    "rules-rejected": (
        "Change the prescription as the rules say and sign it again.",
        "نسخه را مطابق قواعد اصلاح کنید و دوباره امضا کنید.",
    ),
    "already-dispensed": (
        "It was dispensed: tell the patient; it can no longer be edited or cancelled.",
        "نسخه پیچیده شده است: به بیمار اطلاع دهید؛ دیگر قابل ویرایش یا ابطال نیست.",
    ),
    "pack-dispensed": (
        "A pack with this code was already handed out: check the pack (possible counterfeit).",
        "بسته‌ای با این کد پیش‌تر تحویل شده است: بسته را بررسی کنید (احتمال تقلب).",
    ),
    "unknown-pack": (
        "TTAC does not know this pack: do not hand it out; check the code.",
        "کد اصالت در سامانه نیست: بسته را تحویل ندهید و کد را بررسی کنید.",
    ),
    "signer-mismatch": ("Sign with the prescriber's own token.", "با توکن خود تجویزگر امضا کنید."),
    "hid-mismatch": (
        "Re-queue it: eligibility will be asked again.",
        "دوباره در صف بگذارید تا استحقاق‌سنجی تکرار شود.",
    ),
    "cancelled": (
        (
            "The prescription was cancelled by the prescriber: do not dispense it again; settle what was "
            "handed over with the patient."
        ),
        "نسخه را پزشک ابطال کرده است: دوباره پیچیده نشود؛ دربارهٔ آنچه تحویل شده با بیمار هماهنگ کنید.",
    ),
    "pack-mismatch": (
        "The pack's code is of another drug: check the pack and the code scanned.",
        "کد اصالت از داروی دیگری است: بسته و کد خوانده‌شده را بررسی کنید.",
    ),
    "ttac-missing": (
        "Scan the packs' TTAC codes, or dispense again with the reason they could not be scanned.",
        "کد اصالت بسته‌ها را بخوانید یا با ذکر دلیل دوباره ثبت کنید.",
    ),
    "prescriber-suspended": (
        (
            "The prescriber is suspended and the prescription was never registered: do not dispense it "
            "again; tell the patient and the insurer."
        ),
        "پروانهٔ تجویزگر تعلیق شده و نسخه ثبت نشده است: دوباره پیچیده نشود؛ به بیمار و بیمه اطلاع دهید.",
    ),
}
DEFAULT_ACTION: dict[OutboxState, tuple[str, str]] = {
    REJECTED: (
        "Read the reason, correct and send again, or acknowledge.",
        "دلیل را بخوانید، اصلاح کنید و دوباره بفرستید یا تأیید کنید.",
    ),
    CONFLICT: (
        "Settle it with the other party, then acknowledge.",
        "موضوع را با طرف دیگر حل کنید و سپس تأیید کنید.",
    ),
    QUARANTINED: (
        "Re-queue once the cause is fixed, or acknowledge.",
        "پس از رفع مشکل دوباره در صف بگذارید یا تأیید کنید.",
    ),
}
#: refusals that may pass on their own: retried with backoff, not shown as needing attention
PASSING = {"not-registered", "claimed", "claim-superseded", "no-trust-list"}


def action_for(state: OutboxState, code: str) -> tuple[str, str]:
    """What a person should do about a row left in `state` by a refusal with `code`: (English, Persian)."""
    if code.startswith("signature-"):
        return (
            "Sign again with a valid certificate (check the token and the trust list).",
            "با گواهی معتبر دوباره امضا کنید (توکن و فهرست مراجع را بررسی کنید).",
        )
    return ACTIONS.get(code, DEFAULT_ACTION[state])


def _set_state(rx: Prescription, state: str | None, dispensed: Any) -> None:
    rx.reconcile(state if state in {s.value for s in RxState} else None, dispensed)


def _dispensed(answer: dict[str, Any]) -> Any:
    """What an answer says was dispensed: units per line when it says so, else the lines done in full."""
    return answer.get("dispensedQuantities") or answer.get("dispensedLines")


# ---- success ------------------------------------------------------------------------------------------


def applied(store: Store, row: OutboxRow, body: Any) -> dict[str, Any]:
    """Apply a 2xx answer (`body`, the FHIR resource the exchange returned) to what `row` carried: the
    visit's HID (section 9-1 step 2), the tracking code and rule-approval ids of a registration or edit
    (9-1 steps 4-6), a cancellation, a dispensing's receipt and the prescription's state (9-2 step 6).
    Returns the summary kept on the outbox row. Raises `FhirError`/`KeyError` for an answer it cannot read
    (the drain then quarantines the row)."""
    if row.op == "eligibility":
        e = fhir.read_eligibility(body)
        rx = store.get_prescription(row.subject_id)
        # the pending admission answered: the HID, the patient's coverage kept, a changed plan noted
        store.save_prescription(adopt_eligibility(store, rx, e.to_dict()), action="prescription.hid")
        return {"hid": e.hid, "insured": e.insured, "overlap": e.overlap}
    out = fhir.read_task(body)
    if row.op in ("visit", "outcome"):
        return _applied_service(store, row, out)
    if row.op in ("register", "edit"):
        rx = store.get_prescription(row.subject_id)
        if rx.version == row.version and rx.state is RxState.QUEUED:
            rx.mark_registered(out["trackingCode"])
        rx.tracking_code = out["trackingCode"]
        rx.rule_approval_id = out.get("ruleApprovalId")
        with_item_rule_ids(rx, out.get("itemRuleApprovalIds"))  # per line too (9-1 step 4)
        rx.hid = rx.hid or out.get("hid")
        store.save_prescription(rx, action="prescription.registered")
        store.results.keep(row.subject, "registration", out)
        return {k: out.get(k) for k in ("trackingCode", "ruleApprovalId", "version", "itemRuleApprovalIds")}
    if row.op == "cancel":
        store.results.keep(row.subject, "cancellation", out)
        return out
    if row.op == "dispense":
        d = store.get_dispensing(row.subject_id)
        d.state = "registered"
        d.tracking_code = d.tracking_code or out.get("trackingCode")
        d.hid = d.hid or out.get("hid")
        store.save_dispensing(d)
        rx = store.get_prescription(d.prescription_id)
        _set_state(rx, out.get("prescriptionState"), _dispensed(out))
        rx.tracking_code = rx.tracking_code or out.get("trackingCode")
        rx.hid = rx.hid or out.get("hid")
        store.save_prescription(rx, action="prescription.dispensed")
        store.results.keep(row.subject, "receipt", out)
        if "insurer" in out:  # who pays, as eligibility found it for the HID: the claim's insurer
            store.results.keep(f"rx:{rx.id}", "payer", {k: out.get(k) for k in ("insurer", "supplementary")})
        surface_split_difference(store, d)  # charged an estimate the exchange priced otherwise
        return {k: out.get(k) for k in ("receipt", "prescriptionState", "cost")}
    raise KeyError(row.op)


def _applied_service(store: Store, row: OutboxRow, out: dict[str, Any]) -> dict[str, Any]:
    """A registered visit (its tracking code and the exchange's split kept) or outcome."""
    if row.op == "visit":
        v = store.visits.get(row.subject_id)
        v.state, v.tracking_code = "registered", out.get("trackingCode")
        store.visits.save(v, action="visit.registered")
    else:
        o = store.visits.get_outcome(row.subject_id)
        o.state = "registered"
        store.visits.save_outcome(o, action="outcome.registered")
    store.results.keep(row.subject, "registration", out)
    return out


# ---- refusals -----------------------------------------------------------------------------------------


def _last_accepted(store: Store, row: OutboxRow) -> Prescription | None:
    payload = store.outbox.last_done_payload(row.chain, ("register", "edit"), row.seq)
    return Prescription.from_dict(payload["rx"]) if payload else None


def refused(store: Store, row: OutboxRow, err: ExchangeRefused) -> OutboxState:
    """Apply a refusal (`err`: HTTP status, code, reason, details) to what `row` carried: a prescription
    the exchange says was dispensed is shown as the exchange kept it, a rejected registration marks the
    prescription rejected, a refused dispensing gives its lines back. Returns the outbox state it leaves
    the row in: conflict (409), quarantined (400) or rejected."""
    state = CONFLICT if err.status == 409 else QUARANTINED if err.status == 400 else REJECTED
    details: dict[str, Any] = err.details
    if row.op in ("register", "edit", "cancel"):
        rx = store.get_prescription(row.subject_id)
        if err.status == 409 and details.get("state") in ("dispensed", "partially_dispensed"):
            # The exchange kept the last version it accepted: show that one, as dispensed, not the refused one.
            kept = _last_accepted(store, row) or rx
            kept.tracking_code, kept.hid, kept.rule_approval_id = (
                rx.tracking_code,
                rx.hid,
                rx.rule_approval_id,
            )
            _set_state(kept, details["state"], _dispensed(details) or details.get("lines"))
            store.save_prescription(kept, action="prescription.reconcile", adopt=True)
        elif (
            state == REJECTED
            and row.op != "cancel"
            and rx.version == row.version
            and rx.state is RxState.QUEUED
        ):
            rx.mark_rejected()
            store.save_prescription(rx, action="prescription.rejected")
    elif row.op == "visit":
        v = store.visits.get(row.subject_id)
        v.state = "rejected"
        store.visits.save(v, action="visit.rejected")
    elif row.op == "outcome":
        o = store.visits.get_outcome(row.subject_id)
        o.state = "rejected"
        store.visits.save_outcome(o, action="outcome.rejected")
    elif row.op == "dispense":
        d = store.get_dispensing(row.subject_id)
        d.state = "conflict" if state == CONFLICT else "rejected"
        store.save_dispensing(d)
        rx = store.get_prescription(d.prescription_id)
        # refused: its units are free again, to be dispensed right (from a copy the exchange vouched for
        # or from paper alike: the count holds only what the exchange did not refuse). A paper whose
        # prescription is cancelled, dispensed elsewhere or from a suspended prescriber stays refused by
        # its state below.
        for it in d.items:
            rx.dispensed[it.line] = max(0, rx.dispensed_of(it.line) - it.quantity)
        rx.dispensed = {k: v for k, v in rx.dispensed.items() if v}
        if rx.state in (RxState.DISPENSED, RxState.PARTIALLY_DISPENSED) and not rx.fully_dispensed:
            opened = RxState.REGISTERED if rx.tracking_code else RxState.SIGNED  # a paper copy: as kept
            rx.state = RxState.PARTIALLY_DISPENSED if rx.dispensed else opened
        rx.reconcile(None, _dispensed(details) or [])
        if err.code == "prescriber-suspended":  # never registered, and never will be
            rx.state = RxState.REJECTED
        elif isinstance(details.get("state"), str):  # cancelled, dispensed elsewhere: the exchange's word
            _set_state(rx, details["state"], None)
        store.save_prescription(rx, action="prescription.reconcile")
    store.results.keep(
        row.subject,
        f"refusal:{row.op}",
        {"status": err.status, "code": err.code, "en": err.en, "fa": err.fa, "details": details},
    )
    return state
