"""The pharmacy's online calls: retrieve prescriptions by a patient or prescription key, claim, TTAC.

Retrieved prescriptions are verified here (prescriber and facility signatures against the trust list,
signer matching the prescriber named) before they are kept in the local store; one that fails is reported,
not kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.canonical import canonical_bytes
from app.domain import Prescription
from app.errors import NoskheError
from app.lifecycle import RxState
from app.services.dispensing import keep_prescription
from app.signing import Signature, SignatureRole
from sync import fhir
from sync.client import ExchangeClient

FIELDS = {
    "national-code": "national-code",
    "fida": "fida",
    "unique-id": "unique-id",
    "newborn": "newborn",
    "hid": "hid",
    "tracking": "tracking",
}


@dataclass
class Retrieved:
    prescriptions: list[Prescription] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)  # {"id", "en", "fa"}


def _verified(rx: Prescription, wire: list[fhir.WireSignature], trust: Any) -> list[Signature]:
    from smartcard.errors import SignatureInvalid

    data = canonical_bytes(rx.document())
    out = []
    for sig in wire:
        try:
            result = trust.verify(data, sig.cms)
        except SignatureInvalid as exc:
            raise NoskheError(f"Prescription {rx.id}: {exc.en}", f"نسخهٔ {rx.id}: {exc.fa}") from None
        who = result.signer
        if sig.role is SignatureRole.PRESCRIBER and who.medical_council_number not in (
            None,
            rx.prescriber.medical_council_number,
        ):
            raise NoskheError(
                f"Prescription {rx.id} is signed by someone other than its prescriber.",
                f"نسخهٔ {rx.id} را کسی جز تجویزگر آن امضا کرده است.",
            )
        out.append(Signature(sig.role, sig.cms, who, result.signed_at or sig.signed_at))
    if {s.role for s in out} != {SignatureRole.PRESCRIBER, SignatureRole.FACILITY}:
        raise NoskheError(
            f"Prescription {rx.id} lacks a required signature.", f"نسخهٔ {rx.id} امضای لازم را ندارد."
        )
    return out


def retrieve(store: Any, client: ExchangeClient, trust: Any, *, field: str, value: str) -> Retrieved:
    """Search the exchange, verify, keep and return the open prescriptions found."""
    if field not in FIELDS:
        raise NoskheError(f"Cannot search by {field!r}.", f"جست‌وجو با «{field}» ممکن نیست.")
    found = client.search(FIELDS[field], value)
    out = Retrieved()
    for e in found.get("entry", ()):
        rx, wire = fhir.bundle_to_prescription(e["resource"])
        status = json.loads(
            next(x["valueString"] for x in e.get("extension", ()) if x["url"].endswith(":status"))
        )
        try:
            sigs = _verified(rx, wire, trust)
        except NoskheError as exc:
            out.refused.append({"id": rx.id, "en": exc.en, "fa": exc.fa})
            continue
        rx.state = RxState(status["state"])
        rx.tracking_code, rx.hid = status["trackingCode"], status["hid"]
        rx.dispensed_lines = list(status.get("dispensedLines", []))
        local = store.find_prescriptions(tracking_code=rx.tracking_code, limit=1)
        if local and local[0].id == rx.id and local[0].version == rx.version:
            # keep what was dispensed here and not yet confirmed by the exchange
            rx.dispensed_lines = sorted(set(rx.dispensed_lines) | set(local[0].dispensed_lines))
            if rx.dispensed_lines and rx.state is RxState.REGISTERED:
                rx.state = RxState.PARTIALLY_DISPENSED
        keep_prescription(store, rx, sigs, source="retrieved")
        out.prescriptions.append(rx)
    return out


def check_packs(client: ExchangeClient, codes: list[str]) -> list[dict[str, Any]]:
    """TTAC status of each authenticity code (genuine / dispensed / expired / unknown)."""
    return [client.ttac(code) for code in codes]
