"""The GP's use cases: write, sign and queue a prescription; edit it; cancel it.

Every function completes against the local store: the signed prescription and its outbox rows commit in one
transaction. A prescription with no HID yet gets an eligibility row ahead of its registration, so the
exchange is asked for the visit's HID first.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.canonical import canonical_bytes
from app.domain import CostSplit, Patient, Prescriber, Prescription, PrescriptionItem
from app.errors import NoskheError
from app.lifecycle import RxEvent, RxState, next_state
from app.services import outbox
from app.services.clock import Clock, system_clock
from app.services.pricing import drug_or_error, item_cost
from app.signature_policy import DocumentKind, required_roles
from app.signing import Signature, SignatureRole, Signer

PRESCRIPTION_ROLES = required_roles(DocumentKind.PRESCRIPTION)


@dataclass(frozen=True)
class ItemRequest:
    """One line as the GP asks for it; name and cost come from the catalog."""

    drug_code: str
    quantity: int
    instructions: str = ""
    repeats: int = 0

    @classmethod
    def parse(cls, text: str) -> ItemRequest:
        """`CODE:QTY[:instructions]`, as typed on the command line."""
        parts = text.split(":", 2)
        try:
            return cls(parts[0].strip(), int(parts[1]), parts[2] if len(parts) > 2 else "")
        except (IndexError, ValueError):
            raise NoskheError(
                f"Item {text!r} must be CODE:QUANTITY:instructions.",
                f"قلم «{text}» باید به شکل کد:تعداد:دستور مصرف باشد.",
            ) from None


def price_items(store: Any, patient: Patient, requests: Sequence[ItemRequest]) -> list[PrescriptionItem]:
    items = []
    for req in requests:
        drug = drug_or_error(store, req.drug_code)
        items.append(
            PrescriptionItem(
                drug_code=drug.code,
                drug_name=drug.label_fa,
                quantity=req.quantity,
                instructions=req.instructions,
                repeats=req.repeats,
                cost=item_cost(store, patient, drug, req.quantity) if req.quantity > 0 else CostSplit(),
            )
        )
    return items


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


def _reaches_exchange(conn: Any, rx: Prescription) -> bool:
    """True when a registration of this prescription is done or on its way (so changes go as edits)."""
    if rx.tracking_code:
        return True
    row = conn.execute(
        "SELECT 1 FROM outbox WHERE chain = ? AND op IN ('register', 'edit') AND state IN ('pending', 'done')",
        (outbox.chain_of(rx.id),),
    ).fetchone()
    return row is not None


def _queue_rows(conn: Any, rx: Prescription) -> None:
    chain = outbox.chain_of(rx.id)
    outbox.Outbox.acknowledge_chain(conn, chain)
    subject = f"rx:{rx.id}"
    if rx.hid is None:
        asked = conn.execute(
            "SELECT 1 FROM outbox WHERE chain = ? AND op = 'eligibility' AND state IN ('pending', 'done')",
            (chain,),
        ).fetchone()
        if not asked:
            outbox.enqueue(
                conn,
                op="eligibility",
                subject=subject,
                chain=chain,
                payload={"patient": rx.patient.to_dict(), "visit_at": rx.prescribed_at.isoformat()},
                version=rx.version,
            )
    op = "edit" if _reaches_exchange(conn, rx) else "register"
    outbox.enqueue(
        conn, op=op, subject=subject, chain=chain, payload={"rx": rx.to_dict()}, version=rx.version
    )


def sign_and_queue(store: Any, rx: Prescription, signers: Sequence[Signer], *, action: str) -> Prescription:
    """Sign the current version as prescriber + facility, queue it, and save both in one transaction."""
    if not rx.items:
        raise NoskheError("A prescription needs at least one item.", "نسخه باید دست‌کم یک قلم داشته باشد.")
    next_state(rx.state, RxEvent.SIGN)  # refuse before asking the token for anything
    signatures = sign_with(signers, rx.document(), PRESCRIPTION_ROLES)
    rx.mark_signed()
    rx.mark_queued()
    store.save_prescription(rx, signatures, action=action, also=lambda c: _queue_rows(c, rx))
    return rx


def prescriber_of(store: Any, signer: Any) -> Prescriber:
    """The prescriber as the signing certificate names him (name, council number, national code)."""
    who = signer.identity()
    if not who.medical_council_number:
        raise NoskheError(
            "The signing certificate names no medical council number.", "گواهی امضا شماره نظام پزشکی ندارد."
        )
    return Prescriber(
        who.name,
        who.medical_council_number,
        store.meta("prescriber.specialty") or "پزشک عمومی",
        national_code=who.national_code or "",
    )


def write_prescription(
    store: Any,
    *,
    patient: Patient,
    prescriber: Prescriber,
    items: Sequence[ItemRequest],
    signers: Sequence[Signer],
    notes: str = "",
    clock: Clock = system_clock,
    draft_id: str | None = None,
) -> Prescription:
    """Create, sign and queue a new prescription.

    The draft is saved first, so what the GP wrote survives a failed signature (a token pulled out, a wrong
    PIN): it then stays an unsigned draft with no outbox row, and its id is in the error's
    `details["draft_id"]`. Passing that id back as `draft_id` signs the same prescription (with what is
    written now) instead of leaving the old draft behind."""
    priced = price_items(store, patient, items)
    rx = None
    if draft_id:
        old = store.get_prescription(draft_id)
        if old.state is RxState.DRAFT:
            old.patient, old.prescriber, old.prescribed_at = patient, prescriber, clock()
            old.edit(items=priced, notes=notes)
            rx = old
    if rx is None:
        rx = Prescription(patient, prescriber, store.facility_siam, priced, notes, prescribed_at=clock())
    store.save_prescription(rx, action="prescription.draft")
    try:
        return sign_and_queue(store, rx, signers, action="prescription.create")
    except NoskheError as exc:
        exc.details["draft_id"] = rx.id
        raise


def edit_prescription(
    store: Any,
    rx_id: str,
    *,
    signers: Sequence[Signer],
    items: Sequence[ItemRequest] | None = None,
    notes: str | None = None,
) -> Prescription:
    """A new signed version; refused (IllegalTransition) once the prescription is known to be dispensed."""
    rx = store.get_prescription(rx_id)
    rx.edit(items=price_items(store, rx.patient, items) if items is not None else None, notes=notes)
    return sign_and_queue(store, rx, signers, action="prescription.edit")


def cancellation_document(rx: Prescription, at: str) -> dict[str, Any]:
    """What the prescriber signs to cancel: which prescription, which version, when, by whom."""
    return {
        "resourceType": "NoskheCancellation",
        "prescription": rx.id,
        "version": rx.version,
        "cancelledAt": at,
        "prescriber": rx.prescriber.medical_council_number,
    }


def cancel_prescription(
    store: Any, rx_id: str, *, signer: Signer, clock: Clock = system_clock
) -> Prescription:
    """Cancel locally at once; if the exchange has it (or will), a signed cancellation is queued behind it."""
    rx = store.get_prescription(rx_id)
    rx.cancel()
    payload = None
    if _reaches_exchange(store.conn(), rx):
        doc = cancellation_document(rx, clock().isoformat())
        (sig,) = sign_with([signer], doc, required_roles(DocumentKind.CANCELLATION))
        payload = {
            "document": doc,
            "signature": {
                "role": sig.role.value,
                "cms": base64.b64encode(sig.cms).decode(),
                "signed_at": sig.signed_at.isoformat(),
            },
        }

    def queue(conn: Any) -> None:
        if payload is not None:
            outbox.enqueue(
                conn,
                op="cancel",
                subject=f"rx:{rx.id}",
                chain=outbox.chain_of(rx.id),
                payload=payload,
                version=rx.version,
            )

    store.save_prescription(rx, action="prescription.cancel", also=queue)
    return rx
