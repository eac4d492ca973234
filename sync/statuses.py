"""Keeping local copies in step with the exchange: a prescription dispensed (or cancelled) somewhere else.

The clinic learns that its prescription was dispensed, so an edit is refused at once, locally, instead of
after a round trip; a pharmacy learns that a prescription it holds was dispensed elsewhere. Copies with
outbox rows still on their way are left alone: their own answers will settle them.
"""

from __future__ import annotations

from typing import Any

from app.lifecycle import RxState
from sync.client import ExchangeClient
from sync.results import keep

OPEN = (RxState.REGISTERED.value, RxState.PARTIALLY_DISPENSED.value)


def pull_statuses(store: Any, client: ExchangeClient, limit: int = 500) -> dict[str, int]:
    """Ask the exchange about open local prescriptions (least recently updated first); returns counts."""
    ids = [
        r[0]
        for r in store.conn().execute(
            "SELECT id FROM prescriptions p WHERE state IN (?, ?) AND tracking_code IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.chain = 'rx:' || p.id AND o.state NOT IN ('done', 'acknowledged'))"
            " ORDER BY updated_at LIMIT ?",
            (*OPEN, limit),
        )
    ]
    if not ids:
        return {"checked": 0, "changed": 0}
    changed = 0
    for st in client.statuses(ids):
        with store.transaction() as c:
            rx = store.get_prescription(st["id"])
            lines = sorted(st.get("dispensedLines", []))
            if rx.state.value in OPEN and (
                rx.state.value != st["state"] or sorted(rx.dispensed_lines) != lines
            ):
                rx.state, rx.dispensed_lines = RxState(st["state"]), lines
                store.save_prescription(rx, action="prescription.status")
                keep(c, f"rx:{rx.id}", "status", st)
                changed += 1
    return {"checked": len(ids), "changed": changed}
