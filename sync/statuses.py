"""Keeping local copies in step with the exchange: a prescription dispensed (or cancelled) somewhere else.

The clinic learns that its prescription was dispensed, so an edit is refused at once, locally, instead of
after a round trip; a pharmacy learns that a prescription it holds was dispensed elsewhere. Copies with
outbox rows still on their way are left alone: their own answers will settle them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.lifecycle import RxState
from sync.client import ExchangeClient

if TYPE_CHECKING:
    from app.store import Store

OPEN = (RxState.REGISTERED.value, RxState.PARTIALLY_DISPENSED.value)


def pull_statuses(store: Store, client: ExchangeClient, limit: int = 500) -> dict[str, int]:
    """Ask the exchange about open local prescriptions (registered or partly dispensed, known to the
    exchange, nothing left in their outbox chain; least recently updated first, at most `limit`) and adopt
    the state and dispensed lines it reports. Returns `{"checked": n, "changed": n}`. Raises what
    `ExchangeClient.statuses` raises when the exchange cannot be asked."""
    ids = store.prescriptions.settled_ids(OPEN, limit)
    if not ids:
        return {"checked": 0, "changed": 0}
    changed = 0
    for st in client.statuses(ids):
        with store.transaction():
            rx = store.get_prescription(st["id"])
            lines = sorted(st.get("dispensedLines", []))
            if rx.state.value in OPEN and (
                rx.state.value != st["state"] or sorted(rx.dispensed_lines) != lines
            ):
                rx.state, rx.dispensed_lines = RxState(st["state"]), lines
                store.save_prescription(rx, action="prescription.status")
                store.results.keep(f"rx:{rx.id}", "status", st)
                changed += 1
    return {"checked": len(ids), "changed": changed}
