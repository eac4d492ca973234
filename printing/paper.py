"""Printing as the CLI and the UI use it: from the store to a PDF, and from a scanned QR to a verified paper.

Callers rely on:
- `paper_payload(rx, signer)` signs the paper field set with the prescriber's signer (one token operation)
  and refuses a signer who is not the prescriber named on the prescription;
- `print_prescription(store, id, out, signer=…)` reuses the payload signed earlier for the same prescription
  version and HID (kept in the store), so a reprint needs no token; `signer` is a factory, called only
  when a new signature is needed;
- every print is written to the audit log;
- `verify_text(text, trust)` = `decode` + `verify`: a `VerifiedPaper` or a Persian/English error.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from app.domain import Facility, Prescription
from app.errors import NoskheError
from app.lifecycle import RxState
from app.signing import SignatureRole, Signer
from app.store.files import write_atomic
from printing.fields import fields_from_prescription
from printing.payload import (
    PaperPayloadError,
    VerifiedPaper,
    decode,
    encode,
    seal,
    verify,
)
from printing.prescription_pdf import PrintedPrescription, render_prescription
from printing.receipt_pdf import PrintedReceipt, render_receipt

if TYPE_CHECKING:
    from app.store import Store
    from smartcard.status import StatusSourceLike
    from smartcard.trustlist import TrustList

PAYLOAD_BLOB = "printing.paper-payload/{id}/{version}"


class SignerNeeded(NoskheError):
    code = "paper-signer-needed"


class ReceiptRefused(NoskheError):
    """The exchange refused the dispensing (a conflict, rejected): it has no receipt to print."""

    code = "receipt-refused"


def paper_payload(rx: Prescription, signer: Signer, *, embed_cert: bool | None = None) -> str:
    """The QR text for `rx`, signed now by `signer`, who must be the prescription's prescriber."""
    return encode(seal(fields_from_prescription(rx), signer), embed_cert=embed_cert)


def _cached(store: Store, rx: Prescription) -> str | None:
    raw = store.get_blob(PAYLOAD_BLOB.format(id=rx.id, version=rx.version))
    if raw is None:
        return None
    text = raw.decode("ascii")
    try:
        same = decode(text).fields == fields_from_prescription(rx)
    except PaperPayloadError:
        return None
    return text if same else None  # e.g. the HID arrived since: sign again


def _record(store: Store, action: str, patient: str | None, obj: str) -> None:
    store.audit.record(action, patient=patient, obj=obj)


def _facility(store: Store, siam: str) -> Facility:
    own = store.facility()
    return own if own.siam_id == siam else Facility(siam_id=siam, name="", kind="clinic")


def _insurer_name(store: Store, rx: Prescription) -> str | None:
    cov = rx.patient.coverage
    if cov is None:
        return None
    found = store.catalog.insurer(cov.insurer_code)
    return found.name_fa if found else cov.insurer_code


def _private_sink(out: str | Path | BinaryIO) -> BinaryIO:
    """Where a document is rendered: `out` itself when it is a stream, else memory, so that the file is
    written whole (`_write_private`) or not at all."""
    return io.BytesIO() if isinstance(out, (str, Path)) else out


def _write_private(out: str | Path | BinaryIO, sink: BinaryIO) -> None:
    """Write what was rendered into `sink` to the file `out` (when `out` is a path): atomically and
    readable by its owner only (mode 0600: it holds patient data, section 11). Raises `OSError`."""
    if isinstance(out, (str, Path)) and isinstance(sink, io.BytesIO):
        write_atomic(Path(out), sink.getvalue(), mode=0o600)


def _as_answered(store: Store, rx: Prescription) -> Prescription:
    """`rx` with each line's split as the exchange answered at registration, when it did (a reprint shows
    the exchange's split, not the estimate signed offline); unchanged otherwise."""
    from dataclasses import replace

    from app.costs import CostSplit

    answer = store.results.get(f"rx:{rx.id}", "registration") or {}
    lines = answer.get("itemCosts") if answer.get("version") in (None, rx.version) else None
    if not isinstance(lines, dict) or not lines:
        return rx
    costs = {int(k): CostSplit.from_dict(v) for k, v in lines.items()}
    items = [replace(it, cost=costs.get(it.line, it.cost)) for it in rx.items]
    return replace(rx, items=items, cost_basis="exchange")


def print_prescription(
    store: Store,
    rx_id: str,
    out: str | Path | BinaryIO,
    *,
    signer: Callable[[], Signer] | None = None,
    qr: bool = True,
    embed_cert: bool | None = None,
) -> PrintedPrescription:
    """Render prescription `rx_id` (its id, tracking code or HID: `records.find_prescription`) from `store`
    to `out`. With `qr`, the payload signed earlier is reused, else `signer()` signs a new one
    (`SignerNeeded` when there is no signer). Raises `NotFound`."""
    from app.services.records import find_prescription

    rx = find_prescription(store, rx_id)
    if rx.state is RxState.CANCELLED:
        raise NoskheError(
            "This prescription was cancelled; it cannot be printed.", "این نسخه لغو شده و چاپ نمی‌شود."
        )
    signatures = {s.role: s for s in store.prescription_signatures(rx.id, rx.version)}
    payload = None
    if qr:
        payload = _cached(store, rx)
        if payload is None:
            if signer is None:
                raise SignerNeeded(
                    "The paper QR must be signed by the prescriber: connect the prescriber's token "
                    "(or print without the QR).",
                    "کد QR نسخه کاغذی باید با امضای تجویزگر باشد: توکن تجویزگر را وصل کنید (یا بدون QR چاپ کنید).",
                )
            payload = paper_payload(rx, signer(), embed_cert=embed_cert)
            store.put_blob(PAYLOAD_BLOB.format(id=rx.id, version=rx.version), payload.encode("ascii"))
    sink = _private_sink(out)
    printed = render_prescription(
        _as_answered(store, rx),
        sink,
        facility=_facility(store, rx.facility_siam),
        payload=payload,
        signature=signatures.get(SignatureRole.PRESCRIBER),
        facility_signature=signatures.get(SignatureRole.FACILITY),
        insurer_name=_insurer_name(store, rx),
    )
    _write_private(out, sink)
    _record(store, "prescription.print", str(rx.patient.id), f"rx:{rx.id}/{rx.version}")
    return printed


def print_receipt(
    store: Store, dispensing_id: str, out: str | Path | BinaryIO, *, roll: bool = False
) -> PrintedReceipt:
    """Render the receipt of dispensing `dispensing_id` (roll or A5), drug names from its prescription
    when the store has it, else from the catalog. Raises `ReceiptRefused` for a dispensing the exchange
    refused (conflict, rejected): nothing was handed over under it, so no receipt is printed."""
    from app.services.history import REFUSED_STATES

    d = store.get_dispensing(dispensing_id)
    if d.state in REFUSED_STATES:
        raise ReceiptRefused(
            f"Dispensing {d.id} was refused by the exchange ({d.state}): it has no receipt to print.",
            f"این تحویل را سامانه نپذیرفته است ({d.state})؛ رسیدی برای چاپ ندارد.",
            state=d.state,
        )
    try:
        rx: Prescription | None = store.get_prescription(d.prescription_id)
    except NoskheError:
        rx = None  # dispensed from paper or retrieved online and not kept: the catalog names the drugs

    def drug_name(code: str) -> str | None:
        drug = store.catalog.get(code)
        return drug.label_fa if drug else None

    from app.services.checking import dispensing_line_costs, dispensing_settlement

    sink = _private_sink(out)
    answer = store.results.get(f"disp:{d.id}", "receipt") or {}
    printed = render_receipt(
        d,
        sink,
        facility=_facility(store, d.facility_siam),
        prescription=rx,
        drug_name=drug_name,
        roll=roll,
        settlement=dispensing_settlement(store, d),  # the exchange's split once it answered, else the estimate
        line_costs=dispensing_line_costs(store, d),
        receipt_number=answer.get("receipt"),  # its own number, once the exchange registered it
        payer=(answer.get("insurer"), answer.get("supplementary")) if "insurer" in answer else None,
    )
    _write_private(out, sink)
    _record(store, "receipt.print", str(rx.patient.id) if rx else None, f"disp:{d.id}")
    return printed


def verify_text(
    text: str,
    trust: TrustList,
    *,
    certificates: Iterable[bytes] | Mapping[bytes, bytes] = (),
    revocation: StatusSourceLike | None = None,
) -> VerifiedPaper:
    """Decode and verify a scanned paper payload offline against `trust` (section 12): `decode`, then
    `printing.payload.verify`, which checks it with the one verifier under the signature policy (kind paper:
    the prescriber named on it), the certificate's revocation asked of `revocation` (OCSP online; default:
    the CRL). Returns the `VerifiedPaper`; raises `PaperPayloadError` (unreadable) or
    `PaperSignatureError` (`details['reason']` names the cause)."""
    return verify(decode(text), trust, certificates=certificates, revocation=revocation)
