"""Settling what was charged with what the exchange says is owed (issue 9 point 1; section 7, 9-2 step 6).

A dispensing made offline is charged at the pharmacy's estimate; when the exchange registers it, its split is
the one kept and shown (`app.services.checking.dispensing_settlement`). When the patient was charged another
amount, a person must settle the difference with the patient: `surface_split_difference` turns it into an
item that needs attention — an outbox row of op `settle` that never goes out, listed by `noskhe sync
attention` and the desktop's attention panel (they read the same outbox), closed with `noskhe sync ack ID`.

Amounts are integer rials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.costs import Settlement
from app.errors import NoskheError
from app.services.checking import dispensing_settlement
from app.services.outbox import CONFLICT, chain_of

if TYPE_CHECKING:
    from app.domain import Dispensing
    from app.store import Store

SETTLE = "settle"


class SplitDiffers(NoskheError):
    """The patient was charged another share than the exchange's split says they owe."""

    code = "split-differs"


def difference_text(settled: Settlement) -> tuple[str, str]:
    """What the patient was charged and owes, and by how much they over- or underpaid (English, Persian):
    `settled.estimate` is what was charged, `settled.shown` the exchange's split."""
    charged, owes = settled.estimate.patient, settled.shown.patient
    gap = charged - owes
    s = settled.shown
    split_en = f"the exchange's split: insurer {s.insurer:,}, patient {s.patient:,} rials"
    split_fa = f"سهم اعلام‌شدهٔ سامانه: بیمه {s.insurer:,}، بیمار {s.patient:,} ریال"
    if gap > 0:
        how_en, how_fa = f"overpaid {gap:,} rials", f"{gap:,} ریال بیشتر پرداخته است"
    elif gap < 0:
        how_en, how_fa = f"underpaid {-gap:,} rials", f"{-gap:,} ریال کمتر پرداخته است"
    else:
        how_en, how_fa = "the patient's share is the same", "سهم بیمار تغییری نکرده است"
    en = f"The patient was charged {charged:,} rials but owes {owes:,} ({split_en}): {how_en}."
    fa = f"از بیمار {charged:,} ریال گرفته شد ولی سهم او {owes:,} ریال است ({split_fa}): {how_fa}."
    return en, fa


def _action(settled: Settlement) -> tuple[str, str]:
    gap = settled.estimate.patient - settled.shown.patient
    if gap > 0:
        return (
            f"Refund {gap:,} rials to the patient, then acknowledge.",
            f"{gap:,} ریال به بیمار بازگردانید و سپس تأیید کنید.",
        )
    if gap < 0:
        return (
            f"Collect {-gap:,} rials from the patient (or write it off), then acknowledge.",
            f"{-gap:,} ریال از بیمار دریافت کنید (یا ببخشید) و سپس تأیید کنید.",
        )
    return (
        "Note the insurer's share for the claim, then acknowledge.",
        "سهم بیمه را در نظر بگیرید و تأیید کنید.",
    )


def surface_split_difference(store: Store, d: Dispensing) -> str | None:
    """When the exchange's split of dispensing `d` (its receipt) differs from the one charged (signed as an
    estimate), add an item that needs attention saying what the patient was charged, what they owe and the
    difference (once per dispensing). Joins the caller's transaction. Returns the item's id, or None when
    the split agrees or the item exists already."""
    settled = dispensing_settlement(store, d)
    chain = f"{SETTLE}:{d.id}"
    if not settled.differs or store.outbox.for_chain(chain):
        return None
    en, fa = difference_text(settled)
    row_id = store.outbox.enqueue(
        op=SETTLE,
        subject=f"disp:{d.id}",
        chain=chain,
        payload={"prescription": d.prescription_id, **settled.to_dict()},
    )
    store.outbox.hold(
        store.outbox.get(row_id),
        CONFLICT,
        SplitDiffers(en, fa),
        action=_action(settled),
        result={"details": {"prescription": d.prescription_id, **settled.to_dict()}},
    )
    return row_id


@dataclass(frozen=True)
class DispensingCost:
    """One dispensing of a prescription, as `rx show` lists it: its id, state and its `settlement` (the
    exchange's split once it answered, else the estimate charged)."""

    id: str
    state: str
    settlement: Settlement

    def describe(self) -> tuple[str, str]:
        """`Settlement.describe()`, with what was charged and is owed when they differ (English, Persian)."""
        en, fa = self.settlement.describe()
        if self.settlement.differs:
            more_en, more_fa = difference_text(self.settlement)
            en, fa = f"{en}. {more_en}", f"{fa}. {more_fa}"
        return en, fa


def dispensing_costs(store: Store, rx_id: str) -> list[DispensingCost]:
    """Every dispensing of prescription `rx_id` this store sent or queued (oldest first) with its split:
    the exchange's once it answered, else the estimate (section 7). Reads the store only."""
    out = []
    for row in store.outbox.for_chain(chain_of(rx_id)):
        if row.op == "dispense":
            d = store.get_dispensing(row.subject_id)
            out.append(DispensingCost(d.id, d.state, dispensing_settlement(store, d)))
    return out


__all__ = [
    "DispensingCost",
    "SplitDiffers",
    "difference_text",
    "dispensing_costs",
    "surface_split_difference",
]
