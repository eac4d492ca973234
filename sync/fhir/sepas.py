"""What SEPAS holds, on the wire: a `searchset` Bundle of DocumentReference, one per record, and back.

    DocumentReference   type = the record's kind (urn:noskhe:sepas-kind: prescription, cancellation,
                        dispensing, visit); identifier = the subject's id (prescription or dispensing);
                        masterIdentifier = its tracking code or receipt; subject = the patient's id;
                        author = the prescriber's council number or the pharmacist's licence;
                        custodian = the facility (SIAM); context.period.start = when it happened;
                        date = when SEPAS received it; extensions: version, the prescription it belongs
                        to, one `sepas-item` per line (line, code, quantity, name)

The reference exchange writes it (`exchange.sepas`) and the client reads it (`ExchangeClient.sepas`) with
these two functions, so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.services.sepas import SepasItem, SepasRecord
from sync.fhir.common import (
    SYS_DISP,
    SYS_MC,
    SYS_PL,
    SYS_RX,
    SYS_SIAM,
    SYS_TRACKING,
    bad,
    ext,
    find_ext,
    ident,
)
from sync.fhir.prescription import patient_system

SYS_KIND = "urn:noskhe:sepas-kind"
SYS_RECEIPT = "urn:ir:dispensing-receipt"
_SUBJECT = {"dispensing": SYS_DISP}
_REFERENCE = {"dispensing": SYS_RECEIPT}
_AUTHOR = {"dispensing": SYS_PL}


def record_resource(seq: int, r: SepasRecord) -> dict[str, Any]:
    """One SEPAS record as a DocumentReference (`seq`: its number in the SEPAS store)."""
    kind, value = r.patient.split(":", 1)
    res: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": f"sepas-{seq}",
        "status": "current",
        "identifier": [ident(_SUBJECT.get(r.kind, SYS_RX), r.subject)],
        "type": {"coding": [{"system": SYS_KIND, "code": r.kind}]},
        "subject": {"identifier": ident(patient_system(kind), value)},
        "date": r.received_at,
        "author": [{"identifier": ident(_AUTHOR.get(r.kind, SYS_MC), r.author)}],
        "custodian": {"identifier": ident(SYS_SIAM, r.facility)},
        "context": {"period": {"start": r.occurred_at}},
        "content": [{"attachment": {"contentType": "application/fhir+json", "url": f"/sepas/records/{seq}"}}],
        "extension": [ext("version", valueInteger=r.version)],
    }
    if r.reference:
        res["masterIdentifier"] = ident(_REFERENCE.get(r.kind, SYS_TRACKING), r.reference)
    if r.prescription:
        res["extension"].append(ext("prescription", valueString=r.prescription))
    for it in r.items:
        sub = [
            {"url": "line", "valueInteger": it.line},
            {"url": "code", "valueString": it.code},
            {"url": "quantity", "valueInteger": it.quantity},
        ]
        if it.name:
            sub.append({"url": "name", "valueString": it.name})
        res["extension"].append(ext("sepas-item", extension=sub))
    return res


def sepas_bundle(records: Sequence[tuple[int, SepasRecord]]) -> dict[str, Any]:
    """The searchset Bundle of `(seq, record)` pairs, in the order given."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(records),
        "entry": [
            {"fullUrl": f"urn:noskhe:sepas:{seq}", "resource": record_resource(seq, r)} for seq, r in records
        ],
    }


def _item(e: dict[str, Any]) -> SepasItem:
    parts = {x["url"]: next(v for k, v in x.items() if k.startswith("value")) for x in e.get("extension", ())}
    return SepasItem(
        int(parts["line"]), str(parts["code"]), int(parts["quantity"]), str(parts.get("name", ""))
    )


def read_record(res: dict[str, Any]) -> SepasRecord:
    """A DocumentReference of `record_resource` back as the record. Raises `FhirError` when it is not one."""
    try:
        subject = res["subject"]["identifier"]
        prescription = find_ext(res, "prescription")
        version = find_ext(res, "version")
        return SepasRecord(
            kind=res["type"]["coding"][0]["code"],
            subject=res["identifier"][0]["value"],
            version=int(version["valueInteger"]) if version else 1,
            facility=res["custodian"]["identifier"]["value"],
            patient=f"{subject['system'].removeprefix('urn:ir:')}:{subject['value']}",
            author=res["author"][0]["identifier"]["value"],
            occurred_at=res["context"]["period"]["start"],
            received_at=res["date"],
            reference=(res.get("masterIdentifier") or {}).get("value", ""),
            prescription=prescription["valueString"] if prescription else "",
            items=tuple(
                _item(e) for e in res.get("extension", ()) if e.get("url", "").endswith(":sepas-item")
            ),
        )
    except (KeyError, IndexError, TypeError, ValueError, StopIteration):
        raise bad("a SEPAS record is incomplete") from None


def read_sepas_bundle(bundle: dict[str, Any]) -> list[SepasRecord]:
    """The records of a searchset Bundle from `sepas_bundle`, in its order."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise bad("expected a Bundle of SEPAS records")
    return [read_record(e["resource"]) for e in bundle.get("entry", ()) if "resource" in e]


__all__ = ["read_record", "read_sepas_bundle", "record_resource", "sepas_bundle"]
