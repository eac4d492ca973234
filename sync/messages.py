"""From an outbox row to the call that carries it: method, path, FHIR body, idempotency key, claim secret.

Bodies are rebuilt from what the row and the store hold, deterministically, so every retry of a row sends
the same bytes under the same key (the exchange refuses a key reused with a different body).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.domain import Dispensing, Outcome, Patient, Prescription, Visit
from app.services.outbox import OutboxRow
from app.signing import SignatureRole
from sync import fhir
from sync.fhir.common import WireSignature

if TYPE_CHECKING:
    from app.store import Store


@dataclass(frozen=True)
class Outgoing:
    """One call to the exchange: the row it carries, HTTP method and path, FHIR body, idempotency key and,
    for a dispensing, the claim secret the retrieval returned."""

    row: OutboxRow
    method: str
    path: str
    body: dict[str, Any]
    key: str
    claim: str | None = None

    def batch_entry(self) -> dict[str, Any]:
        """The call as one entry of a FHIR batch Bundle (key and claim in `ifNoneExist`)."""
        opts = f"idempotency-key={self.key}" + (f"&claim={self.claim}" if self.claim else "")
        return {
            "resource": self.body,
            "request": {"method": self.method, "url": self.path.lstrip("/"), "ifNoneExist": opts},
        }

    def headers(self) -> dict[str, str]:
        """The HTTP headers of the call when sent alone (`Idempotency-Key`, `X-Claim`)."""
        h = {"Idempotency-Key": self.key}
        if self.claim:
            h["X-Claim"] = self.claim
        return h


def build(store: Store, row: OutboxRow) -> Outgoing:
    """The call for `row`: eligibility (section 9-1 step 2), a prescription's registration or edit with its
    signatures (9-1 steps 5 and 6), a signed cancellation, a dispensing (9-2 step 6). Raises
    `FhirError`/`KeyError` if the row cannot be turned into one (the drain quarantines it)."""
    p = row.payload
    if row.op == "eligibility":
        body = fhir.eligibility_request(
            Patient.from_dict(p["patient"]),
            created=dt.datetime.fromisoformat(p["visit_at"]),
            provider_siam=store.facility_siam,
        )
        return Outgoing(row, "POST", "/eligibility", body, row.idem_key)
    if row.op in ("register", "edit"):
        rx = Prescription.from_dict(p["rx"])
        rx.hid = rx.hid or store.prescriptions.hid_of(rx.id)
        sigs = store.signatures(rx.id, row.version)
        if not sigs:
            raise KeyError(f"no signatures for {rx.id} v{row.version}")
        body = fhir.prescription_bundle(rx, sigs)
        path = "/prescriptions" if row.op == "register" else f"/prescriptions/{rx.id}"
        return Outgoing(row, "POST" if row.op == "register" else "PUT", path, body, row.idem_key)
    if row.op == "cancel":
        s = p["signature"]
        sig = WireSignature(
            SignatureRole(s["role"]), base64.b64decode(s["cms"]), dt.datetime.fromisoformat(s["signed_at"])
        )
        body = fhir.cancel_bundle(p["document"], sig)
        return Outgoing(
            row, "POST", f"/prescriptions/{p['document']['prescription']}/$cancel", body, row.idem_key
        )
    if row.op == "dispense":
        d = Dispensing.from_dict(p["dispensing"])
        sigs = store.dispensing_signatures(d.id)
        if not sigs:
            raise KeyError(f"no signatures for dispensing {d.id}")
        return Outgoing(
            row, "POST", "/dispensings", fhir.dispensing_bundle(d, sigs), row.idem_key, p.get("claim")
        )
    if row.op in ("visit", "outcome"):  # 9-1 step 7, 9-2 step 8: signed documents of their own
        doc = p[row.op]
        sigs = store.visits.signatures_of(doc["id"])
        if not sigs:
            raise KeyError(f"no signatures for {row.op} {doc['id']}")
        if row.op == "visit":
            return Outgoing(row, "POST", "/visits", fhir.visit_bundle(Visit.from_dict(doc), sigs), row.idem_key)
        return Outgoing(row, "POST", "/outcomes", fhir.outcome_bundle(Outcome.from_dict(doc), sigs), row.idem_key)
    raise KeyError(f"unknown op {row.op}")
