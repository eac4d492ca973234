"""Keeping local copies in step with the exchange's verdicts: a prescription dispensed (in full or in part)
somewhere else, or cancelled by its prescriber.

The clinic learns that its prescription was dispensed, so an edit is refused at once, locally, instead of
after a round trip; a pharmacy learns that a prescription it holds was dispensed elsewhere or cancelled, so
its counter refuses it at once, even offline later. Copies with outbox rows still on their way are left
alone: their own answers will settle them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.domain import Prescription
from app.lifecycle import RxState
from sync.client import ExchangeClient

if TYPE_CHECKING:
    from app.store import Store

#: local states whose copy the exchange may still change: open at the exchange, or a paper copy (signed
#: here, with or without a tracking code yet: the exchange is asked by the prescription's id)
OPEN = (RxState.REGISTERED.value, RxState.PARTIALLY_DISPENSED.value, RxState.SIGNED.value)


def adopt_status(rx: Prescription, status: dict[str, Any]) -> bool:
    """Apply what the exchange reports about `rx` (`{"state", "dispensedQuantities": {line: units},
    "dispensedLines": [lines done in full]}`, either kind of dispensed) to the copy, through
    `Prescription.reconcile` (never undoing a dispensing). Returns True when the copy changed."""
    before = (rx.state, dict(rx.dispensed))
    state = status.get("state")
    rx.reconcile(
        state if state in {s.value for s in RxState} else None,
        status.get("dispensedQuantities") or status.get("dispensedLines") or [],
    )
    return (rx.state, rx.dispensed) != before


def pull_statuses(store: Store, client: ExchangeClient, limit: int = 500) -> dict[str, int]:
    """Ask the exchange about open local prescriptions (registered, partly dispensed, or a paper copy —
    known to the exchange by its id even before a tracking code reached this pharmacy; nothing left in their
    outbox chain; least recently updated first, at most `limit`) and adopt the state and units dispensed
    per line it reports — cancelled included — and, for a paper copy, its tracking code and HID. Returns
    `{"checked": n, "changed": n}`. Raises what `ExchangeClient.statuses` raises when the exchange cannot
    be asked."""
    ids = store.prescriptions.settled_ids(OPEN, limit)
    if not ids:
        return {"checked": 0, "changed": 0}
    changed = 0
    for st in client.statuses(ids):
        with store.transaction():
            rx = store.get_prescription(st["id"])
            learnt = not rx.tracking_code and bool(st.get("trackingCode"))
            if learnt:  # a paper copy: the exchange registered it meanwhile
                rx.tracking_code, rx.hid = st["trackingCode"], rx.hid or st.get("hid")
            if rx.state.value in OPEN and (adopt_status(rx, st) or learnt):
                store.save_prescription(rx, action="prescription.status")
                store.results.keep(f"rx:{rx.id}", "status", st)
                changed += 1
    return {"checked": len(ids), "changed": changed}


__all__ = ["OPEN", "adopt_status", "pull_statuses"]
