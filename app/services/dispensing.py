"""The pharmacist's use cases: keep a retrieved (or paper) prescription, record a dispensing, queue it.

A dispensing is signed by the pharmacist and the facility and queued in the same transaction that saves it.
Lines already dispensed *here* are refused at once; lines dispensed elsewhere are the exchange's to catch
(a conflict comes back through the outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain import CostSplit, DispensedPack, Dispensing, DispensingItem, Pharmacist, Prescription
from app.errors import NoskheError
from app.identifiers import AuthenticityCode
from app.lifecycle import RxState
from app.services import outbox
from app.services.clock import Clock, system_clock
from app.services.prescribing import sign_with
from app.services.pricing import item_cost
from app.signing import Signature, SignatureRole, Signer

DISPENSING_ROLES = (SignatureRole.PHARMACIST, SignatureRole.FACILITY)


@dataclass(frozen=True)
class DispenseLine:
    """One prescription line handed over: how many units (default: as prescribed) and the packs' codes."""

    line: int
    quantity: int | None = None
    packs: tuple[DispensedPack, ...] = ()

    @classmethod
    def parse(cls, text: str) -> DispenseLine:
        """`LINE[:QTY[:CODE,CODE…]]`, as typed on the command line; codes are TTAC authenticity codes."""
        parts = text.split(":", 2)
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


def keep_prescription(
    store: Any, rx: Prescription, signatures: Sequence[Signature] = (), *, source: str
) -> None:
    """Save a prescription the pharmacy received (from the exchange, or read from paper) as it came."""
    store.save_prescription(rx, list(signatures), action=f"prescription.{source}")


def _items(store: Any, rx: Prescription, lines: Sequence[DispenseLine]) -> list[DispensingItem]:
    by_line = {it.line: it for it in rx.items}
    seen: set[int] = set()
    items = []
    for req in lines:
        item = by_line.get(req.line)
        if item is None:
            raise NoskheError(f"The prescription has no line {req.line}.", f"نسخه ردیف {req.line} ندارد.")
        if req.line in rx.dispensed_lines or req.line in seen:
            raise NoskheError(
                f"Line {req.line} is already dispensed.", f"ردیف {req.line} پیش‌تر پیچیده شده است."
            )
        seen.add(req.line)
        qty = item.quantity if req.quantity is None else req.quantity
        if not 0 < qty <= item.quantity:
            raise NoskheError(
                f"Line {req.line}: {qty} units asked, {item.quantity} prescribed.",
                f"ردیف {req.line}: {qty} عدد خواسته شده و {item.quantity} عدد تجویز شده است.",
            )
        drug = store.catalog.get(item.drug_code)
        if drug is not None and drug.price:
            cost = item_cost(store, rx.patient, drug, qty)
        else:  # not in our catalog: the prescriber's estimate, pro rata
            cost = CostSplit.of(item.cost.total * qty // item.quantity, _percent(item.cost))
        items.append(DispensingItem(req.line, item.drug_code, qty, tuple(req.packs), cost))
    if not items:
        raise NoskheError(
            "Choose at least one line to dispense.", "دست‌کم یک ردیف را برای نسخه‌پیچی انتخاب کنید."
        )
    return items


def _percent(cost: CostSplit) -> int:
    return cost.insurer * 100 // cost.total if cost.total else 0


def record_dispensing(
    store: Any,
    rx_id: str,
    *,
    pharmacist: Pharmacist,
    lines: Sequence[DispenseLine],
    signers: Sequence[Signer],
    claim: str | None = None,
    payment_id: str = "",
    pos_terminal_id: str = "",
    clock: Clock = system_clock,
) -> Dispensing:
    """Sign and queue a dispensing of `lines` of prescription `rx_id` (kept in this store).

    `claim` is the secret the exchange gave when this pharmacy claimed the prescription online; offline
    (paper) dispensings have none and the exchange claims at delivery."""
    rx = store.get_prescription(rx_id)
    if rx.state is RxState.CANCELLED:
        raise NoskheError("This prescription was cancelled.", "این نسخه ابطال شده است.")
    d = Dispensing(
        prescription_id=rx.id,
        pharmacist=pharmacist,
        facility_siam=store.facility_siam,
        items=_items(store, rx, lines),
        hid=rx.hid,
        tracking_code=rx.tracking_code,
        dispensed_at=clock(),
        payment_id=payment_id,
        pos_terminal_id=pos_terminal_id,
    )
    signatures = sign_with(signers, d.document(), DISPENSING_ROLES)
    d.state = "queued"
    if rx.state in (RxState.REGISTERED, RxState.PARTIALLY_DISPENSED):
        rx.record_dispensing([it.line for it in d.items])
    else:  # a paper copy: what was dispensed is remembered even before the exchange confirms it
        rx.dispensed_lines = sorted(set(rx.dispensed_lines) | {it.line for it in d.items})

    def queue(conn: Any) -> None:
        store.save_prescription(rx, action="prescription.dispense")
        outbox.enqueue(
            conn,
            op="dispense",
            subject=f"disp:{d.id}",
            chain=outbox.chain_of(rx.id),
            payload={"dispensing": d.to_dict(), "claim": claim},
        )

    store.save_dispensing(d, signatures, also=queue)
    return d
