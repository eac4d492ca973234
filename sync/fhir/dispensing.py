"""A dispensing on the wire: a `collection` Bundle of MedicationDispense + Provenance, and back.

    Practitioner (pharmacist)  Organization (pharmacy, SIAM)  Encounter (the visit's HID, when known)
    MedicationDispense × items   (identifier = the client's dispensing id / line; authorizingPrescription =
                                  the prescription line; packs with their TTAC codes as extensions)
    Provenance × signatures      (pharmacist, facility: CMS over canonical bytes of Dispensing.document())

Exact both ways, like the prescription mapping. A cancellation travels as a Task with the prescriber's
Provenance (`cancel_bundle`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from app.domain import Dispensing, Pharmacist, legal_fields
from app.signing import Signature
from sync.fhir.common import (
    SYS_DISP,
    SYS_DISP_LINE,
    SYS_DRUG,
    SYS_HID,
    SYS_MC,
    SYS_NC,
    SYS_PL,
    SYS_RULE,
    SYS_RX,
    SYS_RX_LINE,
    SYS_SIAM,
    SYS_TRACKING,
    WireSignature,
    bad,
    cost_ext,
    entry,
    ext,
    find_ext,
    find_ident,
    ident,
    legal_exts,
    one,
    provenance,
    read_cost,
    read_legal_exts,
    read_signatures,
    resources,
)
from sync.fhir.prescription import encounter_resource, organization_resource, read_national_id, urn

#: HL7 v3 ActSubstanceAdminSubstitutionCode (G: generic composition)
SYS_SUBSTITUTION = "http://terminology.hl7.org/CodeSystem/v3-substanceAdminSubstitution"
_PACK_FIELDS = ("authenticity_code", "gtin", "batch", "expiry")


def pharmacist_resource(p: Pharmacist) -> dict[str, Any]:
    """The dispenser as a FHIR Practitioner: licence number and (when known) national code, name."""
    res: dict[str, Any] = {
        "resourceType": "Practitioner",
        "identifier": [ident(SYS_PL, p.licence)],
        "name": [{"text": p.name}],
    }
    if p.national_code:
        res["identifier"].append(ident(SYS_NC, p.national_code))
    return res


def _pack_ext(pack: dict[str, str]) -> dict[str, Any]:
    return ext("pack", extension=[{"url": k, "valueString": pack[k]} for k in _PACK_FIELDS if pack.get(k)])


def _substitution(prescribed: str) -> dict[str, Any]:
    """MedicationDispense.substitution of a generic substitution: what was prescribed (extension
    `prescribed-drug`, a coding of the catalog), "G" (generic composition) of HL7's substitution codes."""
    return {
        "extension": [ext("prescribed-drug", valueCoding={"system": SYS_DRUG, "code": prescribed})],
        "wasSubstituted": True,
        "type": {"coding": [{"system": SYS_SUBSTITUTION, "code": "G", "display": "generic composition"}]},
    }


def _prescribed_code(md: dict[str, Any]) -> str | None:
    sub = md.get("substitution") or {}
    found = find_ext(sub, "prescribed-drug") if sub.get("wasSubstituted") else None
    return str(found["valueCoding"]["code"]) if found else None


def dispensing_bundle(d: Dispensing, signatures: Sequence[Signature | WireSignature]) -> dict[str, Any]:
    """`d` as the Bundle registered at the exchange (9-2-6): a MedicationDispense per line with its cost
    split (rials), packs (TTAC codes, 9-2-7), rule-approval ids and the HID's Encounter, plus a Provenance
    per signature (pharmacist, facility seal; 9-2-1, 9-2-2). Times as in `d` (ISO 8601 with offset)."""
    refs = {"practitioner": urn(d.id, "pharmacist"), "organization": urn(d.id, "facility")}
    entries = [
        entry(refs["practitioner"], pharmacist_resource(d.pharmacist)),
        entry(refs["organization"], organization_resource(d.facility_siam, d.facility_national_id)),
    ]
    if d.hid:
        refs["encounter"] = urn(d.id, "encounter", d.hid)
        entries.append(
            entry(
                refs["encounter"],
                {
                    **encounter_resource(d.hid, urn(d.id, "patient")),
                    "subject": {"identifier": ident(SYS_RX, d.prescription_id)},
                },
            )
        )
    targets = []
    legal = legal_fields(d)
    for it in d.to_dict()["items"]:
        extensions = [
            cost_ext(it.get("cost", {})),
            ext("facility", valueIdentifier=ident(SYS_SIAM, d.facility_siam)),
        ]
        extensions += [_pack_ext(p) for p in it.get("packs", ())]
        for name, value in (
            ("tracking-code", d.tracking_code),
            ("payment-id", d.payment_id),
            ("pos-terminal-id", d.pos_terminal_id),
            ("no-ttac-reason", d.ttac_reason),  # why packs went without TTAC codes or checks (9-2-7)
            ("prescriber", d.prescriber_council),  # the prescription's prescriber, by council number
            ("rule-approval", d.rule_approval_id),  # the prescription's rule-approval id (9-2 step 6)
            ("cost-basis", d.cost_basis),  # the exchange's split, or an estimate made offline
        ):
            if value:
                extensions.append(ext(name, valueString=value))
        extensions += legal_exts(legal)  # section 7: provider user id, start and end of the service
        res: dict[str, Any] = {
            "resourceType": "MedicationDispense",
            "extension": extensions,
            "identifier": [ident(SYS_DISP_LINE, f"{d.id}/{it['line']}")]
            + ([ident(SYS_RULE, it["rule_approval_id"])] if it.get("rule_approval_id") else []),
            "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": SYS_DRUG, "code": it["drug_code"]}]},
            "performer": [{"actor": {"reference": refs["practitioner"]}}],
            "authorizingPrescription": [
                {"identifier": ident(SYS_RX_LINE, f"{d.prescription_id}/{it['line']}")}
            ],
            "quantity": {"value": it["quantity"]},
            "whenHandedOver": d.dispensed_at.isoformat(),
        }
        if "encounter" in refs:
            res["context"] = {"reference": refs["encounter"]}
        if it.get("prescribed_code"):  # another product of the prescribed drug's group was handed over
            res["substitution"] = _substitution(it["prescribed_code"])
        url = urn(d.id, "item", str(it["line"]))
        targets.append(url)
        entries.append(entry(url, res))
    for sig in signatures:
        who = refs["practitioner"] if sig.role.value == "pharmacist" else refs["organization"]
        entries.append(entry(urn(d.id, "sig", sig.role.value), provenance(sig, targets, who)))
    return {
        "resourceType": "Bundle",
        "identifier": ident(SYS_DISP, d.id),
        "type": "collection",
        "entry": entries,
    }


def _ext_str(res: dict[str, Any], name: str) -> str:
    e = find_ext(res, name)
    return e["valueString"] if e else ""


def bundle_to_dispensing(bundle: dict[str, Any]) -> tuple[Dispensing, list[WireSignature]]:
    """`dispensing_bundle`'s Bundle back as `(Dispensing, its signatures not yet verified)`. Raises
    `FhirError` for a Bundle with no MedicationDispense or an incomplete one."""
    mds = resources(bundle, "MedicationDispense")
    if not mds:
        raise bad("a dispensing without MedicationDispense")
    prac = one(bundle, "Practitioner")
    encs = resources(bundle, "Encounter")
    items = []
    try:
        first = mds[0]
        d_id, _ = find_ident(first.get("identifier"), SYS_DISP_LINE).rsplit("/", 1)  # type: ignore[union-attr]
        rx_id = first["authorizingPrescription"][0]["identifier"]["value"].rsplit("/", 1)[0]
        for md in mds:
            line = int(md["authorizingPrescription"][0]["identifier"]["value"].rsplit("/", 1)[1])
            packs = [
                {sub["url"]: sub["valueString"] for sub in e.get("extension", ())}
                for e in md.get("extension", ())
                if e.get("url", "").endswith(":pack")
            ]
            items.append(
                {
                    "line": line,
                    "drug_code": md["medicationCodeableConcept"]["coding"][0]["code"],
                    "quantity": int(md["quantity"]["value"]),
                    "packs": packs,
                    "cost": read_cost(md),
                    "rule_approval_id": find_ident(md.get("identifier"), SYS_RULE),
                    "prescribed_code": _prescribed_code(md),
                }
            )
        d = Dispensing.from_dict(
            {
                "prescription_id": rx_id,
                "pharmacist": {
                    "name": prac["name"][0]["text"],
                    "licence": find_ident(prac["identifier"], SYS_PL) or "",
                    "national_code": find_ident(prac["identifier"], SYS_NC) or "",
                },
                "facility_siam": find_ext(first, "facility")["valueIdentifier"]["value"],  # type: ignore[index]
                "items": sorted(items, key=lambda i: i["line"]),
                "hid": find_ident(encs[0].get("identifier"), SYS_HID) if encs else None,
                "tracking_code": _ext_str(first, "tracking-code") or None,
                "id": d_id,
                "dispensed_at": first["whenHandedOver"],
                "payment_id": _ext_str(first, "payment-id"),
                "pos_terminal_id": _ext_str(first, "pos-terminal-id"),
                "ttac_reason": _ext_str(first, "no-ttac-reason") or None,
                "prescriber_council": _ext_str(first, "prescriber") or None,
                "rule_approval_id": _ext_str(first, "rule-approval") or None,
                "cost_basis": _ext_str(first, "cost-basis") or None,
                "facility_national_id": read_national_id(bundle),
                **read_legal_exts(first),
            }
        )
    except (KeyError, IndexError, AttributeError, TypeError, ValueError):
        raise bad("a MedicationDispense is incomplete") from None
    return d, read_signatures(bundle)


# ---- cancellation ----------------------------------------------------------------------------------------


def cancel_bundle(document: dict[str, Any], signature: WireSignature) -> dict[str, Any]:
    """The signed `NoskheCancellation` document as a Task (code "cancel") with the prescriber's Provenance."""
    rx_id = document["prescription"]
    task_url = urn(rx_id, "cancel", str(document["version"]))
    res = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "code": {"text": "cancel"},
        "focus": {"identifier": ident(SYS_RX, rx_id)},
        "authoredOn": document["cancelledAt"],
        "requester": {"identifier": ident(SYS_MC, document["prescriber"])},
        "input": [{"type": {"text": "version"}, "valueInteger": int(document["version"])}],
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            entry(task_url, res),
            entry(
                urn(rx_id, "cancel-sig", str(document["version"])),
                provenance(signature, [task_url], task_url),
            ),
        ],
    }


def bundle_to_cancel(bundle: dict[str, Any]) -> tuple[dict[str, Any], list[WireSignature]]:
    """`cancel_bundle`'s Bundle back as `(the NoskheCancellation document {prescription, version,
    cancelledAt, prescriber}, its signatures not yet verified)`. Raises `FhirError` when a part is missing
    and `ValueError` for a `cancelledAt` that is not an ISO 8601 time."""
    t = one(bundle, "Task")
    try:
        doc = {
            "resourceType": "NoskheCancellation",
            "prescription": t["focus"]["identifier"]["value"],
            "version": int(next(i["valueInteger"] for i in t["input"] if i["type"]["text"] == "version")),
            "cancelledAt": t["authoredOn"],
            "prescriber": t["requester"]["identifier"]["value"],
        }
    except (KeyError, StopIteration, TypeError, ValueError):
        raise bad("the cancellation is incomplete") from None
    dt.datetime.fromisoformat(doc["cancelledAt"])
    return doc, read_signatures(bundle)


__all__ = ["SYS_TRACKING", "bundle_to_cancel", "bundle_to_dispensing", "cancel_bundle", "dispensing_bundle"]
