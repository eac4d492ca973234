"""Retrieving prescriptions at the pharmacy (national rules, 9-2-3): by the patient's national code, FIDA
id, unique id, a newborn's mother's code, the visit's HID, or the prescription's tracking code.

    got = retrieve_prescriptions(ws, key="national-code", value="7027692473")
    got.prescriptions        # verified and kept in this store, ready to dispense (`sync.counter`)
    got.refused              # found but not kept: a signature did not verify

Retrieved prescriptions are verified here (prescriber and facility signatures against the trust list,
signer matching the prescriber named) before they are kept in the local store; one that fails is reported,
not kept. Claiming, TTAC and dispensing are in `sync.counter`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.canonical import canonical_bytes
from app.domain import Prescription
from app.errors import NoskheError
from app.identifiers import parse_identifier
from app.lifecycle import RxState
from app.services.checking import with_item_rule_ids
from app.services.dispensing import keep_prescription
from app.signature_policy import DocumentKind, parties_of_prescription
from app.signing import Signature
from sync import fhir
from sync.client import ExchangeClient
from sync.statuses import adopt_status

if TYPE_CHECKING:
    from app.certificate_status import CertificateStatus
    from app.store import Store
    from smartcard.status import StatusSourceLike
    from app.workstation import Workstation
    from smartcard.trustlist import TrustList

#: the keys a prescription can be retrieved by (9-2-3) → the exchange's search parameter
FIELDS = {
    "national-code": "national-code",
    "fida": "fida",
    "unique-id": "unique-id",
    "newborn": "newborn",
    "armed-forces-newborn": "armed-forces-newborn",  # its insurance number (7-1 note 4)
    "hid": "hid",
    "tracking": "tracking",
}


@dataclass
class Retrieved:
    """What a retrieval found: the open prescriptions verified and kept here (each with its exchange
    state, tracking code, HID and dispensed lines), and those refused, as `{"id", "en", "fa"}` (why, in
    English and Persian)."""

    prescriptions: list[Prescription] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    #: per prescription id kept: each signer certificate's revocation status by role (prescriber, facility),
    #: with its source (OCSP online, the trust list's CRL offline)
    certificates: dict[str, dict[str, CertificateStatus]] = field(default_factory=dict)


def _verified(
    rx: Prescription,
    wire: list[fhir.WireSignature],
    trust: TrustList,
    revocation: StatusSourceLike | None = None,
) -> tuple[list[Signature], dict[str, CertificateStatus]]:
    """The signatures of a retrieved prescription, checked by the one verifier (`smartcard.verify.verify`)
    under the signature policy: the prescriber's and the facility's, each by the party the prescription
    names (9-2-3, 9-2-4), each certificate's revocation asked of `revocation` (OCSP online, the CRL
    offline). Returns them with each certificate's status by role. Raises `NoskheError` naming the
    prescription and the cause otherwise (a revoked certificate: reason `revoked`, `source`)."""
    from smartcard.errors import SignatureInvalid
    from smartcard.verify import verify

    data = canonical_bytes(rx.document())
    try:
        verified = verify(
            DocumentKind.PRESCRIPTION,
            data,
            wire,
            trust,
            named=parties_of_prescription(rx),
            revocation=revocation,
        )
    except SignatureInvalid as exc:
        raise NoskheError(
            f"Prescription {rx.id}: {exc.en}",
            f"نسخهٔ {rx.id}: {exc.fa}",
            reason=exc.details.get("reason"),
            source=exc.details.get("source"),
        ) from None
    sigs = [
        Signature(sig.role, sig.cms, result.signer, result.signed_at or sig.signed_at)
        for sig, result in zip(wire, verified.results)
    ]
    statuses = {
        sig.role.value: result.certificate_status
        for sig, result in zip(wire, verified.results)
        if result.certificate_status is not None
    }
    return sigs, statuses


def _known(key: str) -> None:
    if key not in FIELDS:
        raise NoskheError(f"Cannot search by {key!r}.", f"جست‌وجو با «{key}» ممکن نیست.")


#: keys that do not name the patient: retrieving by them needs the code the patient presents (9-2 step 4)
NOT_THE_PATIENT = ("tracking", "hid")


def patient_check(ws: Workstation, *, key: str, value: str, patient: str | None, skip: str | None) -> None:
    """Before retrieving by `key` = `value` at the counter (9-2 step 4): by a tracking code or HID, which do
    not name the patient, the code the patient presents (`patient`) is required, unless the pharmacist says
    why it cannot be asked (`skip`, a reason cleaned by `app.text.reason_of`), which is recorded in the
    audit log (`retrieve.patient-unchecked`). Raises `NoskheError` (one line, both languages) when neither
    is given, or the reason says nothing."""
    from app.text import reason_of

    _known(key)
    parse_identifier("tracking-code" if key == "tracking" else key, value)  # its own fault said first
    why = reason_of(skip, "reason for not checking the patient's code", "دلیل بررسی‌نکردن کد بیمار")
    if key not in NOT_THE_PATIENT or patient:
        return
    if why is None:
        raise NoskheError(
            f"Retrieving by {key} needs the code the patient presents (--patient CODE), or the reason it "
            "cannot be asked (--no-patient-check REASON).",
            f"برای بازیابی با {'کد رهگیری' if key == 'tracking' else 'HID'} کد ملی بیمار لازم است "
            "(‎--patient CODE‎) یا دلیل نپرسیدن آن (‎--no-patient-check REASON‎).",
        )
    ws.store.audit.record("retrieve.patient-unchecked", obj=f"{key}:{value}", outcome=why)


def retrieve_prescriptions(ws: Workstation, *, key: str, value: str, patient: str | None = None) -> Retrieved:
    """The open prescriptions the exchange holds for `key` = `value` (9-2-3), each verified against the
    workstation's trust list and kept in its store; what `noskhe rx retrieve` does. `key` is one of
    `FIELDS`: national-code, fida, unique-id, newborn, armed-forces-newborn, hid, tracking. A copy kept here keeps the lines
    dispensed here that the exchange has not confirmed yet. Raises `NoskheError` for an unknown key,
    `ExchangeUnavailable` (no answer: retrieval needs the network; a paper copy does not),
    `ExchangeRefused`, `TrustListError`, and the seal's errors (the exchange is asked as this facility).

    The patient's code is verified (9-2 step 4): a prescription found that is not the patient's asked for —
    or, with `patient` (the code the patient presents, as typed or scanned), not theirs — is refused, not
    kept (`sync.eligibility.patient_mismatch`)."""
    _known(key)  # before the seal is asked for anything
    # a mistyped or empty code is refused before the seal is asked for anything, too
    value = parse_identifier("tracking-code" if key == "tracking" else key, value).value
    return retrieve(
        ws.store,
        ws.client,
        ws.trust,
        field=key,
        value=value,
        patient=patient,
        revocation=ws.certificate_status,
    )


def retrieve(
    store: Store,
    client: ExchangeClient,
    trust: TrustList,
    *,
    field: str,
    value: str,
    patient: str | None = None,
    revocation: StatusSourceLike | None = None,
) -> Retrieved:
    """`retrieve_prescriptions` with the parts given one by one: search the exchange by `field` =
    `value`, verify (revocation asked of `revocation`), keep and return the open prescriptions found."""
    from app.services.prescribing import parse_patient_id
    from sync.eligibility import patient_mismatch

    _known(field)
    presented = parse_patient_id(patient) if patient else None  # a mistyped code is refused here
    # As typed or scanned (Persian digits, a Persian keyboard layout, invisible marks): the exchange is
    # asked for the canonical code, and a mistyped one is refused here with its reason.
    value = parse_identifier("tracking-code" if field == "tracking" else field, value).value
    found = client.search(FIELDS[field], value)
    out = Retrieved()
    for e in found.get("entry", ()):
        rx, wire = fhir.bundle_to_prescription(e["resource"])
        status = json.loads(
            next(x["valueString"] for x in e.get("extension", ()) if x["url"].endswith(":status"))
        )
        rx.tracking_code, rx.hid = status["trackingCode"], status["hid"]
        wrong = patient_mismatch(rx, field, value, presented)  # 9-2 step 4: the patient's own code
        if wrong is not None:
            out.refused.append(
                {
                    "id": rx.id,
                    "en": f"Prescription {rx.id} is not the one asked for: {wrong[0]}.",
                    "fa": f"نسخهٔ {rx.id} آن نیست که درخواست شد: {wrong[1]}.",
                    "reason": "patient-mismatch",
                }
            )
            continue
        try:
            sigs, statuses = _verified(rx, wire, trust, revocation)
        except NoskheError as exc:
            out.refused.append({"id": rx.id, "en": exc.en, "fa": exc.fa})
            continue
        rx.state = RxState(status["state"])
        rx.tracking_code, rx.hid = status["trackingCode"], status["hid"]
        rx.rule_approval_id = status.get("ruleApprovalId")  # they travel with the dispensing (9-2-6)
        with_item_rule_ids(rx, status.get("itemRuleApprovalIds"))
        rx.dispensed = {}
        adopt_status(rx, status)  # units dispensed per line, as the exchange counts them
        local = store.find_prescriptions(tracking_code=rx.tracking_code, limit=1)
        if local and local[0].id == rx.id and local[0].version == rx.version:
            # keep what was dispensed here and not yet confirmed by the exchange
            rx.reconcile(rx.state, local[0].dispensed)
        keep_prescription(store, rx, sigs, source="retrieved")
        out.prescriptions.append(rx)
        out.certificates[rx.id] = statuses
    return out


__all__ = ["FIELDS", "NOT_THE_PATIENT", "Retrieved", "patient_check", "retrieve", "retrieve_prescriptions"]
