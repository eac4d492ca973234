"""The GP's use cases (national rules, section 9-1): write, sign and queue a prescription; edit it; cancel it.

Each takes the workstation (`app.workstation.Workstation`) and plain values, and returns the prescription
(`app.domain.Prescription`). Every function completes against the local store: the signed prescription and
its outbox rows commit in one transaction. Signatures (prescriber + facility seal, 9-1 steps 1 and 3) come
from the workstation's signers, which ask their PINs and passphrases through its prompter; nothing is asked
before the input has been checked and priced.

Before a prescription is written, eligibility is asked (9-1 step 2, `app.services.checking.admit`): online
the visit's HID and the coverage found come at once and the lines are priced under them; offline the
admission is pending and an eligibility row is queued ahead of the registration. Before every signature —
writing, signing a kept draft, editing — the insurance and clinical rules run (9-1 step 4): the exchange's
online, the local engine's offline; a standing rejection refuses the signature (`RulesRejected`) unless
every rejection may be overridden and a reason is given, which is then signed with the prescription.

Raises `NoskheError` (its subclasses `NotFound`, `IllegalTransition`, `ConfigError`, token errors) with a
message in both languages.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from app.canonical import canonical_bytes
from app.domain import (
    CostSplit,
    Coverage,
    Patient,
    PatientId,
    Prescriber,
    Prescription,
    PrescriptionItem,
    Sex,
    now,
    provider_user_id,
)
from app.errors import DiskFull, NoskheError
from app.legal import SERVICE_BACK, phone_of, service_period
from app.lifecycle import RxEvent, RxState, next_state
from app.services import outbox
from app.services.checking import (
    admit,
    adopt_prescription_verdict,
    rules_before_signing,
)
from app.services.clock import Clock, system_clock
from app.services.pricing import drug_or_error, item_cost
from app.signature_policy import DocumentKind, required_roles
from app.signing import Signature, SignatureRole, Signer
from app.text import clean_free_text, reason_of

if TYPE_CHECKING:
    from app.store import Store
    from app.workstation import Workstation

PRESCRIPTION_ROLES = required_roles(DocumentKind.PRESCRIPTION)


@dataclass(frozen=True)
class ItemRequest:
    """One line as the GP asks for it; name and cost come from the catalog."""

    drug_code: str
    quantity: int
    instructions: str = ""
    repeats: int = 0
    days: int | None = None  # how many days it is meant to last (the rules' maximum duration)
    #: a line that orders a service (lab, imaging, physiotherapy; 7-6, 8-1) by its code, not a drug
    service: bool = False
    #: the prescriber forbids another product of the drug's interchangeable group (`app.substitution`)
    no_substitution: bool = False

    #: the most units one line may ask for, and the longest instructions: beyond them it is a typing
    #: mistake or an attack, refused before anything is signed or queued
    MAX_QUANTITY: ClassVar[int] = 10_000
    MAX_DAYS: ClassVar[int] = 366
    MAX_INSTRUCTIONS: ClassVar[int] = 500

    def __post_init__(self) -> None:
        """Refuse impossible values at once (`NoskheError`): a quantity outside 1..`MAX_QUANTITY` (10^20
        units would be signed and then quarantined by the exchange), days outside 1..`MAX_DAYS`,
        instructions over `MAX_INSTRUCTIONS` characters."""
        if not 1 <= self.quantity <= self.MAX_QUANTITY:
            raise NoskheError(
                f"Quantity {self.quantity} of {self.drug_code} is not possible: 1 to {self.MAX_QUANTITY} units.",
                f"تعداد {self.quantity} برای {self.drug_code} ممکن نیست: ۱ تا {self.MAX_QUANTITY} واحد.",
            )
        if self.days is not None and not 1 <= self.days <= self.MAX_DAYS:
            raise NoskheError(
                f"Days {self.days} of {self.drug_code} is not possible: 1 to {self.MAX_DAYS}.",
                f"{self.days} روز برای {self.drug_code} ممکن نیست: ۱ تا {self.MAX_DAYS}.",
            )
        if len(self.instructions) > self.MAX_INSTRUCTIONS:
            raise NoskheError(
                f"The instructions of {self.drug_code} are over {self.MAX_INSTRUCTIONS} characters.",
                f"دستور مصرف {self.drug_code} بیش از {self.MAX_INSTRUCTIONS} نویسه است.",
            )

    @classmethod
    def parse_service(cls, text: str) -> ItemRequest:
        """`CODE[:QTY][:instructions]` of a service as typed after `--service` (`801010`, `601010:10`);
        one unit when no quantity is given."""
        code, _, rest = text.partition(":")
        req = cls.parse(f"{code}:{rest or '1'}")
        return replace(req, service=True)

    @classmethod
    def parse(cls, text: str) -> ItemRequest:
        """`CODE[!]:QTY[/DAYS][:instructions]`, as typed on the command line (`101002:21/7:هر ۸ ساعت`: 21
        units for 7 days; `101002!:21` — the code followed by `!` — forbids substituting another product
        of its interchangeable group at the pharmacy)."""
        from app.text import to_ascii_digits

        parts = text.split(":", 2)
        try:
            qty, _, days = to_ascii_digits(parts[1]).strip().partition("/")
            return cls(
                parts[0].strip().removesuffix("!").strip(),
                int(qty),
                parts[2] if len(parts) > 2 else "",
                days=int(days.removesuffix("d")) if days.strip() else None,
                no_substitution=parts[0].strip().endswith("!"),
            )
        except (IndexError, ValueError):
            raise NoskheError(
                f"Item {text!r} must be CODE:QUANTITY[/DAYS]:instructions.",
                f"قلم «{text}» باید به شکل کد:تعداد[/روز]:دستور مصرف باشد.",
            ) from None


def price_items(store: Store, patient: Patient, requests: Sequence[ItemRequest]) -> list[PrescriptionItem]:
    """The requested lines, named from the catalog and priced for `patient`'s coverage (section 7: the cost
    split, insurer and patient shares in rials). A line of quantity 0 costs nothing. Raises `NoskheError`
    for a drug code the catalog does not know."""
    from app.catalog import national_code

    items = []
    for req in requests:
        if req.service:
            items.append(_service_item(store, patient, req))
            continue
        drug = drug_or_error(store, req.drug_code)
        items.append(
            PrescriptionItem(
                drug_code=drug.code,
                drug_name=drug.label_fa,
                quantity=req.quantity,
                instructions=req.instructions,
                repeats=req.repeats,
                cost=item_cost(store, patient, drug, req.quantity) if req.quantity > 0 else CostSplit(),
                days=req.days,
                no_substitution=req.no_substitution or None,
                national_code=national_code(store, drug.code),
            )
        )
    return items


def _service_item(store: Store, patient: Patient, req: ItemRequest) -> PrescriptionItem:
    """A service line (lab, imaging, physiotherapy) named and priced from the services catalog
    (`app.costs.service_cost`). Raises `NoskheError` for a code it does not know or a visit (registered
    with `app.services.visits.register_visit`, not ordered)."""
    from app.catalog import national_code, service
    from app.costs import service_cost
    from app.services.pricing import plans_for

    svc = service(req.drug_code)
    if svc is None or svc.kind == "visit":
        raise NoskheError(
            f"No lab, imaging or physiotherapy service with code {req.drug_code} in the catalog.",
            f"خدمت آزمایشگاهی، تصویربرداری یا فیزیوتراپی با کد {req.drug_code} در فهرست نیست.",
        )
    return PrescriptionItem(
        drug_code=svc.code,
        drug_name=svc.name_fa,
        quantity=req.quantity,
        instructions=req.instructions,
        cost=service_cost(svc.tariff, req.quantity, svc.kind, plans_for(store, patient)),
        service=svc.kind,
        national_code=national_code(store, svc.code),
    )


def sign_with(
    signers: Sequence[Signer], document: dict[str, Any], roles: Sequence[SignatureRole]
) -> list[Signature]:
    """One signature per required role over the document's canonical bytes; all or none."""
    by_role = {s.role: s for s in signers}
    missing = [r.value for r in roles if r not in by_role]
    if missing:
        raise NoskheError(
            f"Signing needs a {' and a '.join(missing)} signature; that token or key is not available.",
            "امضای لازم در دسترس نیست: توکن یا کلید مربوط را وصل کنید.",
            missing=missing,
        )
    data = canonical_bytes(document)
    return [by_role[r].sign(data) for r in roles]


def _reaches_exchange(store: Store, rx: Prescription) -> bool:
    """True when a registration of this prescription is done or on its way (so changes go as edits)."""
    return bool(rx.tracking_code) or store.outbox.has_live(outbox.chain_of(rx.id), ("register", "edit"))


def _queue_rows(store: Store, rx: Prescription) -> None:
    """Queue what the exchange must learn of this signed version (inside the caller's transaction)."""
    chain = outbox.chain_of(rx.id)
    store.outbox.acknowledge_chain(chain)
    subject = f"rx:{rx.id}"
    if rx.hid is None and not store.outbox.has_live(chain, ("eligibility",)):
        store.outbox.enqueue(
            op="eligibility",
            subject=subject,
            chain=chain,
            payload={"patient": rx.patient.to_dict(), "visit_at": rx.prescribed_at.isoformat()},
            version=rx.version,
        )
    op = "edit" if _reaches_exchange(store, rx) else "register"
    store.outbox.enqueue(op=op, subject=subject, chain=chain, payload={"rx": rx.to_dict()}, version=rx.version)


def sign_and_queue(
    ws: Workstation, rx: Prescription, *, action: str, override_reason: str | None = None
) -> Prescription:
    """Check the rules (9-1 step 4), then sign the current version as prescriber + facility seal (9-1 steps
    1 and 3) with the workstation's signers, queue it for registration (9-1 step 5, or an edit, step 6) and
    save both in one transaction; `action` names the audit entry. Returns `rx`, now queued.

    The rules are the exchange's when it answers — its split is then the one signed (`cost_basis`
    exchange) — else the local engine's on the cached rule set (the split an estimate); what they said is
    kept (`store.results`, kind `rules`). `override_reason` (default: the one the prescription already
    carries) lets overridable rejections through and is signed with it. Raises `NoskheError` for an empty
    prescription, `IllegalTransition` when its state cannot be signed, `RulesRejected` while a rejection
    stands (all before any signature), and the signers' errors (the prescription is then left as it
    was)."""
    if not rx.items:
        raise NoskheError("A prescription needs at least one item.", "نسخه باید دست‌کم یک قلم داشته باشد.")
    next_state(rx.state, RxEvent.SIGN)  # refuse before asking the token for anything
    reason = (
        reason_of(override_reason, "override reason", "دلیل نادیده‌گرفتن")
        if override_reason is not None
        else rx.override_reason
    )
    if reason and len(reason) > MAX_REASON:  # signed and printed with the prescription
        raise NoskheError(
            f"The override reason is over {MAX_REASON} characters.", f"دلیل نادیده‌گرفتن بیش از {MAX_REASON} نویسه است."
        )
    verdict = rules_before_signing(ws, rx, reason)
    adopt_prescription_verdict(rx, verdict, reason)
    if rx.service_start is not None:  # section 7-7: the service ends when it is signed, unless said
        moment = max(now(), rx.service_start)  # a clock given to `write_prescription` may run ahead
        rx.service_start, rx.service_end = service_period(rx.service_start, rx.service_end, now=moment)
    signatures = sign_with(ws.signers(), rx.document(), PRESCRIPTION_ROLES)
    rx.mark_signed()
    rx.mark_queued()

    def also(_c: object) -> None:
        _queue_rows(ws.store, rx)
        ws.store.results.keep(f"rx:{rx.id}", "rules", {**verdict.to_dict(), "version": rx.version})

    ws.store.save_prescription(rx, signatures, action=action, also=also)
    return rx


def specialty_of(ws: Workstation, council_number: str, *, online: bool = False) -> str:
    """The prescriber's specialty (section 7-3) as the medical council knows it: with `online`, asked
    through the exchange and kept (`app.services.council`); else, or when it cannot be asked, the answer
    kept from the last inquiry; the specialty set on this workstation (`prescriber.specialty`) when the
    council said none; GP when nothing is known. The certificates carry no specialty. Never raises; the
    rules judge specialist-only drugs on it."""
    from app.services.council import council_status

    try:
        said = council_status(ws, council_number, online=online).answer.specialty
    except NoskheError:
        said = ""
    return said or ws.store.meta("prescriber.specialty") or "پزشک عمومی"


def prescriber_of(ws: Workstation) -> Prescriber:
    """The prescriber as the user's signing certificate names him (section 7: name, medical council number,
    national code) with his specialty as the council's last answer kept here says (`specialty_of`; nothing
    waits for the network — `write_prescription` asks the council again once the exchange answered). Opens
    the user's signer (asks its PIN). Raises `NoskheError` when the certificate has no council number."""
    who = ws.user_signer().identity()
    if not who.medical_council_number:
        raise NoskheError(
            "The signing certificate names no medical council number.", "گواهی امضا شماره نظام پزشکی ندارد."
        )
    return Prescriber(
        who.name,
        who.medical_council_number,
        specialty_of(ws, who.medical_council_number),
        national_code=who.national_code or "",
    )


def write_prescription(
    ws: Workstation,
    *,
    patient: Patient,
    items: Sequence[ItemRequest],
    prescriber: Prescriber | None = None,
    notes: str = "",
    clock: Clock = system_clock,
    draft_id: str | None = None,
    override_reason: str | None = None,
    service_start: dt.datetime | None = None,
    service_end: dt.datetime | None = None,
) -> Prescription:
    """Create, sign and queue a new prescription (9-1 steps 2 to 5); returns it queued.

    Section 7's legal elements are signed with it: the prescriber's specialty (7-3; the council asked again
    when the exchange answers eligibility, else its kept answer), the provider user id (7-5: this
    facility's SIAM id and the prescriber's national code), the facility's national id (the
    `facility_national_id` setting, 7-9 note 1) and the start and end of the service (7-7):
    `service_start` defaults to when this is called, `service_end` to the signature's time; an end before
    the start or a time to come is refused (`NoskheError`) before any token is asked.

    The items are priced first (an unknown drug code is refused before any token is asked), then the
    signers are opened (PINs and passphrases through the prompter; a refusal there saves nothing). The
    prescriber defaults to the one the user's certificate names (`prescriber_of`). Eligibility is asked
    next (`admit`): online the visit's HID and the patient's coverage as found (basic plan, supplementary
    plan, overlap; kept with the patient and in `store.results`, kind `eligibility`) and the lines are
    priced again under them; offline the admission is pending. The draft is saved next, so what the GP
    wrote survives a refusal of the rules or a failed signature (a token pulled out): it then stays an
    unsigned draft with no outbox row, and its id is in the error's `details["draft_id"]`. Passing that id
    back as `draft_id` signs the same prescription (with what is written now) instead of leaving the old
    draft behind. The rules then run as `sign_and_queue` runs them, `override_reason` letting overridable
    rejections through."""
    store = ws.store
    notes = check_notes(notes)  # kept without invisible format characters
    check_patient(store, patient)
    begun = clock()
    # refused before a token is asked: in the future, more than SERVICE_BACK ago, before the patient's birth
    service_period(
        service_start or begun, service_end, now=begun, born=patient.birth_date, max_back=SERVICE_BACK
    )
    priced = price_items(store, patient, items)  # an unknown drug is refused before anything is asked
    ws.signers()  # the tokens are asked now, before anything is saved
    asked_council = prescriber is None
    prescriber = prescriber or prescriber_of(ws)
    at = clock()
    rx = None
    if draft_id:
        old = store.get_prescription(draft_id)
        if old.state is RxState.DRAFT:
            old.patient, old.prescriber, old.prescribed_at = patient, prescriber, at
            old.edit(items=priced, notes=notes)
            rx = old
    if rx is None:
        rx = Prescription(patient, prescriber, store.facility_siam, priced, notes, prescribed_at=at)
    rx.provider_user_id = (
        provider_user_id(store.facility_siam, prescriber.national_code or prescriber.medical_council_number)
        or None
    )
    rx.facility_national_id = store.facility().national_id or None
    rx.service_start, rx.service_end = service_start or begun, service_end
    store.save_prescription(rx, action="prescription.draft")
    try:
        admission = admit(ws, patient, at)
        if admission.confirmed and asked_council:  # the exchange answers: the council's specialty now
            specialty = specialty_of(ws, prescriber.medical_council_number, online=True)
            rx.prescriber = replace(rx.prescriber, specialty=specialty)
        if admission.confirmed:  # priced again under the coverage eligibility found
            ws.sync.refresh_if_never()  # the exchange answers: its national codes and prices, if never fetched
            rx.patient, rx.hid = admission.patient, admission.hid
            rx.items = [
                replace(it, cost=new.cost, national_code=new.national_code or it.national_code)
                for it, new in zip(rx.items, price_items(store, rx.patient, items))
            ]

        def keep(_c: object) -> None:
            if admission.confirmed:
                store.patients.save(admission.patient)
            else:
                _keep_as_record(store, rx.patient)
            store.results.keep(f"rx:{rx.id}", "eligibility", admission.to_dict())

        store.save_prescription(rx, action="prescription.admission", also=keep)
        return sign_and_queue(ws, rx, action="prescription.create", override_reason=override_reason)
    except NoskheError as exc:
        exc.details["draft_id"] = rx.id
        raise
    except Exception as exc:  # the disk filled up after the draft was saved (a SQLite or OS error): say so
        from app.store.db import user_error

        named = user_error(exc, store.data_dir)
        if named is None:
            raise
        if isinstance(named, DiskFull):
            named = DiskFull(named.details["where"], kept=rx.id)
        named.details["draft_id"] = rx.id
        raise named from None


def sign_draft(ws: Workstation, ref: str, *, override_reason: str | None = None) -> Prescription:
    """Sign and queue a kept draft (one whose signing was interrupted, or that the rules refused), found by
    id or tracking code, after the rules run again (`sign_and_queue`, with `override_reason`); returns it
    queued. Raises `NotFound`, `IllegalTransition` when it is no longer a draft, `RulesRejected`."""
    from app.services.records import find_prescription

    return sign_and_queue(
        ws, find_prescription(ws.store, ref), action="prescription.sign", override_reason=override_reason
    )


def edit_prescription(
    ws: Workstation,
    rx_id: str,
    *,
    items: Sequence[ItemRequest] | None = None,
    notes: str | None = None,
    override_reason: str | None = None,
) -> Prescription:
    """A new signed version of prescription `rx_id` with new `items` and/or `notes` (None: unchanged),
    queued as an edit (9-1 step 6: allowed until it is dispensed), after the rules run again
    (`sign_and_queue`, with `override_reason`). Returns it queued. Raises `NotFound`, `RulesRejected`,
    and `IllegalTransition` once the prescription is known to be dispensed or is cancelled."""
    store = ws.store
    rx = store.get_prescription(rx_id)
    notes = check_notes(notes) if notes is not None else None
    rx.edit(items=price_items(store, rx.patient, items) if items is not None else None, notes=notes)
    return sign_and_queue(ws, rx, action="prescription.edit", override_reason=override_reason)


def cancellation_document(rx: Prescription, at: str) -> dict[str, Any]:
    """What the prescriber signs to cancel: which prescription, which version, when, by whom."""
    return {
        "resourceType": "NoskheCancellation",
        "prescription": rx.id,
        "version": rx.version,
        "cancelledAt": at,
        "prescriber": rx.prescriber.medical_council_number,
    }


def cancel_prescription(ws: Workstation, rx_id: str, *, clock: Clock = system_clock) -> Prescription:
    """Cancel prescription `rx_id` locally at once (9-1 step 6: until it is dispensed); if the exchange has
    it (or will), a cancellation signed by the prescriber alone is queued behind it (the token is asked
    only then). Returns the cancelled prescription. Raises `NotFound`, `IllegalTransition`."""
    store = ws.store
    rx = store.get_prescription(rx_id)
    rx.cancel()
    payload = None
    if _reaches_exchange(store, rx):
        doc = cancellation_document(rx, clock().isoformat())
        (sig,) = sign_with([ws.signing_user()], doc, required_roles(DocumentKind.CANCELLATION))
        payload = {
            "document": doc,
            "signature": {
                "role": sig.role.value,
                "cms": base64.b64encode(sig.cms).decode(),
                "signed_at": sig.signed_at.isoformat(),
            },
        }

    def queue(_conn: object) -> None:
        if payload is not None:
            store.outbox.enqueue(
                op="cancel",
                subject=f"rx:{rx.id}",
                chain=outbox.chain_of(rx.id),
                payload=payload,
                version=rx.version,
            )

    store.save_prescription(rx, action="prescription.cancel", also=queue)
    return rx


def parse_birth_date(text: str | None) -> dt.date | None:
    """A birth date as typed — Jalali by default (`1370/05/12`), Gregorian from the year 1900 on
    (`1991-08-03`), any digit script (`app.dates.parse_user_date`) — or None when nothing was typed.
    Raises `InvalidDate` (a `NoskheError`) for anything else or a day after today. (Section 7: the
    patient's birth date or age.)"""
    from app.dates import parse_user_date

    if not text or not text.strip():
        return None
    born = parse_user_date(text, not_after=now().date())
    if born.year < now().year - 130:
        raise NoskheError(
            f"Birth date {text.strip()[:20]!r} is more than 130 years ago.",
            f"تاریخ تولد «{text.strip()[:20]}» بیش از ۱۳۰ سال پیش است.",
        )
    return born


def parse_patient_id(text: str) -> PatientId:
    """A patient id as typed: `kind:value` (`national-code:…`, `fida:…`, `unique-id:…`, `newborn:…`) or a
    bare value whose kind is guessed from its shape (section 7: national code, FIDA, unique id, the
    mother's national code for a newborn). Raises `InvalidIdentifier`/`NoskheError`."""
    text = text.strip()
    if ":" in text and not text[0].isdigit():
        return PatientId.parse(*text.split(":", 1))
    return PatientId.guess(text)


#: the longest first or last name kept (a longer one is a paste gone wrong, or an attack)
MAX_NAME = 100
#: the longest note a prescription carries (printed on the A5 paper; 10,000 characters took minutes)
MAX_NOTES = 2000
#: the longest reason to sign despite an overridable rejection (signed and printed with it)
MAX_REASON = 500


def check_notes(notes: str) -> str:
    """`notes` as kept, once it is at most `MAX_NOTES` characters; raises `NoskheError` (one line, both
    languages, the limit named) for a longer one. Invisible format characters are removed first
    (`clean_free_text`)."""
    notes = clean_free_text(notes, multiline=True)
    if len(notes) > MAX_NOTES:
        raise NoskheError(
            f"The notes are {len(notes)} characters; a prescription's notes may be {MAX_NOTES} at most.",
            f"یادداشت {len(notes)} نویسه است؛ یادداشت نسخه حداکثر {MAX_NOTES} نویسه می‌تواند باشد.",
        )
    return notes


def _name(text: str, en: str, fa: str) -> str:
    """A first or last name as kept (`normalize_text`); refuses one that is empty once control characters,
    line breaks and spaces are gone, or longer than `MAX_NAME`."""
    from app.text import normalize_text

    kept = normalize_text("".join(ch if ch.isprintable() else " " for ch in text))
    if not kept:
        raise NoskheError(f"The patient's {en} is empty.", f"{fa} بیمار خالی است.")
    if len(kept) > MAX_NAME:
        raise NoskheError(
            f"The patient's {en} is over {MAX_NAME} characters.", f"{fa} بیمار بیش از {MAX_NAME} نویسه است."
        )
    return kept


def check_patient(store: Store, patient: Patient) -> None:
    """Refuse (`NoskheError`, before any token is asked) a patient whatever front end built him from: a
    first or last name empty once line breaks, controls and spaces are gone, or over `MAX_NAME`
    characters; an insurer or scheme the catalog does not know (the known codes named)."""
    _name(patient.first_name, "first name", "نام")
    _name(patient.last_name, "last name", "نام خانوادگی")
    cov = patient.coverage
    if cov is not None:
        coverage_for(store, cov.scheme or cov.insurer_code)


def coverage_for(store: Store, code: str) -> Coverage:
    """The coverage an insurer or scheme code names (`IHIO`, `SSO`, `IHIO-RUR`…, any case), as the desktop
    picks it: a scheme under its insurer. Raises `NoskheError` naming the known codes for any other code
    (section 7: the patient's insurer)."""
    wanted = code.strip().upper()
    known = {ins.code: ins.rules.get("parent") for ins in store.catalog.insurers()}
    if wanted not in known:
        codes = ", ".join(sorted(known))
        raise NoskheError(
            f"Unknown insurer {code!r}; known codes: {codes}.", f"بیمه‌گر «{code}» شناخته نیست؛ کدهای شناخته: {codes}."
        )
    parent = known[wanted]
    return Coverage(parent, scheme=wanted) if parent else Coverage(wanted)


def _same_insurer(a: Coverage | None, b: Coverage) -> bool:
    return a is not None and (a.insurer_code, a.scheme or "") == (b.insurer_code, b.scheme or "")


def patient_from(
    store: Store,
    id_text: str,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    birth_date: str | None = None,
    sex: str | None = None,
    insurer: str | None = None,
    phone: str | None = None,
) -> Patient:
    """The patient a prescription is written for, from plain values (section 7-2).

    `id_text` as `parse_patient_id` reads it; `birth_date` as `parse_birth_date`; `sex` one of `female`,
    `male`, `other`; `insurer` an insurer or scheme code the catalog knows (`coverage_for`); `phone` the
    patient's contact (`app.legal.phone_of`: 11 digits from 0, `+98` read as 0). A new patient needs both
    names (neither empty once line breaks and spaces are gone, nor over `MAX_NAME` characters).

    A patient this store knows: without names, the kept record is used and what is typed completes it — a
    birth date or sex it lacks is filled in, an insurer replaces the kept one (coverage changes) — but a
    birth date or sex that contradicts the record is refused, naming the kept value (a typo, or the wrong
    patient id); typing both names again corrects the record with what is typed. Either way what was not
    typed is kept (phone, supplementary plan…). The prescription carries the result and
    `write_prescription` keeps it as the patient's record. Raises `NoskheError` (bad id, missing or empty
    names, bad date or sex, unknown insurer, a contradiction)."""
    pid = parse_patient_id(id_text)
    try:
        known: Patient | None = store.get_patient(pid)
    except NoskheError:
        known = None
    try:
        sex_value = Sex(sex) if sex else None
    except ValueError:
        raise NoskheError(f"Sex {sex!r} must be female, male or other.", f"جنس «{sex}» شناخته نیست.") from None
    born = parse_birth_date(birth_date)
    contact = phone_of(phone)  # a new number replaces the kept one (people change numbers)
    coverage = coverage_for(store, insurer) if insurer and insurer.strip() else None
    if known is not None and not (first_name or last_name):
        _refuse_contradictions(known, born, sex_value)
        changes: dict[str, Any] = {}
        if born is not None:
            changes["birth_date"] = born
        if sex_value is not None:
            changes["sex"] = sex_value
        if coverage is not None and not _same_insurer(known.coverage, coverage):
            changes["coverage"] = coverage
        if contact:
            changes["phone"] = contact
        return replace(known, **changes) if changes else known
    if first_name is None or last_name is None:
        raise NoskheError(
            "A new patient needs --first-name and --last-name.", "بیمار تازه نام و نام خانوادگی لازم دارد."
        )
    first, last = _name(first_name, "first name", "نام"), _name(last_name, "last name", "نام خانوادگی")
    if known is not None:
        same = coverage is None or _same_insurer(known.coverage, coverage)
        kept_coverage = known.coverage if same else coverage
        return replace(
            known,
            first_name=first,
            last_name=last,
            birth_date=born or known.birth_date,
            sex=sex_value or known.sex,
            phone=contact or known.phone,
            coverage=kept_coverage,
        )
    return Patient(pid, first, last, birth_date=born, sex=sex_value, phone=contact, coverage=coverage)


def _keep_as_record(store: Store, patient: Patient) -> None:
    """The patient as the GP typed him becomes the kept record when it differs from it (a birth date filled
    in, a new insurer, names corrected); a new patient's record is written by the prescription's save."""
    try:
        kept = store.patients.get(patient.id)
    except NoskheError:
        return
    if kept != patient:
        store.patients.save(patient)


def _refuse_contradictions(known: Patient, born: dt.date | None, sex: Sex | None) -> None:
    """Typed without names, a birth date or sex must agree with the kept record (or fill it in)."""
    from app.timefmt import format_date

    if born is not None and known.birth_date is not None and born != known.birth_date:
        kept_en, kept_fa = format_date(known.birth_date, "en"), format_date(known.birth_date, "fa")
        raise NoskheError(
            f"Patient {known.id.value} is kept with birth date {kept_en}, not {born.isoformat()}: check the "
            "id, or give --first-name and --last-name too to correct the record.",
            f"تاریخ تولد بیمار {known.id.value} در پرونده {kept_fa} است، نه {format_date(born, 'fa')}: شناسه "
            "را بررسی کنید، یا برای اصلاح پرونده نام و نام خانوادگی را هم وارد کنید.",
        )
    if sex is not None and known.sex is not None and sex != known.sex:
        raise NoskheError(
            f"Patient {known.id.value} is kept as {known.sex.value}, not {sex.value}: check the id, or give "
            "--first-name and --last-name too to correct the record.",
            f"جنس بیمار {known.id.value} در پرونده متفاوت است: شناسه را بررسی کنید، یا برای اصلاح پرونده نام "
            "و نام خانوادگی را هم وارد کنید.",
        )
