"""The outcomes of a prescription's services registered anywhere (9-2 step 8), as the exchange holds them:
asked online and kept here (`store.results`, subject `rx:<id>`, kind `outcomes`) so `rx show` and
`outcome list` show them offline afterwards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sync import fhir

if TYPE_CHECKING:
    from app.workstation import Workstation


def fetch_outcomes(ws: Workstation, rx_id: str) -> list[dict[str, Any]]:
    """Ask the exchange for the outcomes of prescription `rx_id` and keep them; returns them in
    `Outcome.to_dict()`'s form (state `registered`). Raises `ExchangeUnavailable`, `ExchangeRefused`
    (403 for a prescription of another clinic, 404 for one the exchange does not hold)."""
    reply = ws.client.call("GET", f"/prescriptions/{rx_id}/outcomes")
    if not reply.ok:
        raise reply.refusal()
    found = []
    for e in (reply.body or {}).get("entry", []):
        o, _ = fhir.bundle_to_outcome(e["resource"])
        o.state = "registered"
        found.append(o.to_dict())
    with ws.store.transaction():
        ws.store.results.keep(f"rx:{rx_id}", "outcomes", {"outcomes": found})
    return found


__all__ = ["fetch_outcomes"]
