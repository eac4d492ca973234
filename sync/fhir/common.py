"""Pieces every mapping shares: identifier systems, extensions, signatures as Provenance, outcomes, results.

Signatures travel as `Provenance.signature` (sigFormat `application/pkcs7-signature`, data = the detached
CMS, base64). What they sign is never the JSON on the wire but the canonical bytes of the domain document
the receiver rebuilds from the resources (`Prescription.document()`…), so any change to the resources that
alters meaning breaks the signature.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from app.errors import NoskheError
from app.signing import Signature, SignatureRole

NS = "urn:noskhe:fhir:"
SYS_RX = "urn:noskhe:prescription"
SYS_RX_LINE = "urn:noskhe:prescription-line"
SYS_DISP = "urn:noskhe:dispensing"
SYS_DISP_LINE = "urn:noskhe:dispensing-line"
SYS_DRUG = "urn:noskhe:drug"
SYS_SERVICE = "urn:noskhe:service"
SYS_SERVICE_NATIONAL = "urn:ir:moxa:service"
SYS_DRUG_NATIONAL = "urn:ir:moxa:drug"
SYS_VISIT = "urn:noskhe:visit"
SYS_OUTCOME = "urn:noskhe:outcome"
SYS_RULE = "urn:ir:rule-approval"
SYS_HID = "urn:ir:hid"
SYS_TRACKING = "urn:ir:tracking-code"
SYS_SIAM = "urn:ir:siam"
SYS_MC = "urn:ir:medical-council"
SYS_PL = "urn:ir:pharmacist-licence"
SYS_NC = "urn:ir:national-code"
SYS_LEGAL_ID = "urn:ir:provider-national-id"
SYS_INSURER = "urn:ir:insurer"
SYS_KEY = "urn:noskhe:idempotency-key"
SYS_ROLE = "urn:noskhe:signature-role"
SYS_ERROR = "urn:noskhe:error"
SIG_FORMAT = "application/pkcs7-signature"


class FhirError(NoskheError):
    """A message that is not the FHIR we speak (malformed, missing parts)."""

    code = "malformed"


def bad(what: str) -> FhirError:
    """The `FhirError` (not raised) for a message whose part `what` is malformed or missing."""
    return FhirError(f"Malformed exchange message: {what}.", f"پیام تبادل نادرست است: {what}.")


def validate(resource: dict[str, Any]) -> dict[str, Any]:
    """Check `resource` against the FHIR R4B model of its type; returns it unchanged or raises FhirError."""
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except (KeyError, TypeError, ValueError) as exc:
        first = str(exc).splitlines()
        raise bad(" ".join(first[:3])[:300]) from None
    return resource


def ident(system: str, value: str) -> dict[str, str]:
    """A FHIR Identifier: `{"system": system, "value": value}`."""
    return {"system": system, "value": value}


def find_ident(identifiers: list[dict[str, Any]] | None, system: str) -> str | None:
    """The value of the first identifier of `system` among `identifiers`, or None."""
    return next((i["value"] for i in identifiers or () if i.get("system") == system), None)


def ext(name: str, **value: Any) -> dict[str, Any]:
    """`ext("cost", valueInteger=3)` → {"url": "urn:noskhe:fhir:cost", "valueInteger": 3}."""
    return {"url": NS + name, **value}


def find_ext(resource: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The extension `urn:noskhe:fhir:<name>` of `resource` (the whole dict), or None."""
    return next((e for e in resource.get("extension", ()) if e.get("url") == NS + name), None)


def legal_exts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The extensions carrying section 7's legal elements from `app.domain.legal_fields`' form: the
    provider user id (`provider-user-id`, a string) and the start and end of the service (`service-start`,
    `service-end`, FHIR dateTimes with their offset). The provider's national id travels on the
    Organization (`organization_resource`)."""
    out = []
    if doc.get("providerUserId"):
        out.append(ext("provider-user-id", valueString=doc["providerUserId"]))
    for key, name in (("serviceStart", "service-start"), ("serviceEnd", "service-end")):
        if doc.get(key):
            out.append(ext(name, valueDateTime=doc[key]))
    return out


def read_legal_exts(resource: dict[str, Any]) -> dict[str, Any]:
    """`legal_exts` back: `{"provider_user_id", "service_start", "service_end"}` (ISO 8601 text), None for
    what the resource does not carry."""
    found = {}
    for name, key, kind in (
        ("provider-user-id", "provider_user_id", "valueString"),
        ("service-start", "service_start", "valueDateTime"),
        ("service-end", "service_end", "valueDateTime"),
    ):
        e = find_ext(resource, name)
        found[key] = e[kind] if e else None
    return found


def cost_ext(cost: dict[str, int]) -> dict[str, Any]:
    """The cost extension of a line from `CostSplit.to_dict()`'s form: the insurer's and the patient's
    shares, integer rials (`app.costs`)."""
    return ext(
        "cost",
        extension=[
            {"url": "insurer", "valueInteger": int(cost.get("insurer", 0))},
            {"url": "patient", "valueInteger": int(cost.get("patient", 0))},
        ],
    )


def read_cost(resource: dict[str, Any]) -> dict[str, int]:
    """A line's cost extension back as `{"insurer": rials, "patient": rials}` (zeros when absent), the
    form `CostSplit.from_dict` reads."""
    e = find_ext(resource, "cost")
    if e is None:
        return {"insurer": 0, "patient": 0}
    return {sub["url"]: int(sub["valueInteger"]) for sub in e.get("extension", ())}


def entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    """A Bundle entry: `{"fullUrl": full_url, "resource": resource}`."""
    return {"fullUrl": full_url, "resource": resource}


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The resources of type `kind` (e.g. "Provenance") in `bundle`'s entries, in order."""
    return [
        e["resource"] for e in bundle.get("entry", ()) if e.get("resource", {}).get("resourceType") == kind
    ]


def one(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    """The only resource of type `kind` in `bundle`; raises `FhirError` when there is none or several."""
    found = resources(bundle, kind)
    if len(found) != 1:
        raise bad(f"expected one {kind}, found {len(found)}")
    return found[0]


# ---- signatures -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WireSignature:
    """A signature as it travels: who it claims to be is learnt by verifying the CMS, not from here."""

    role: SignatureRole
    cms: bytes
    signed_at: dt.datetime


def provenance(sig: Signature | WireSignature, targets: list[str], who: str) -> dict[str, Any]:
    """A Provenance carrying `sig` (its role, CMS base64, signing time) over the `targets` references,
    by `who` (a reference): non-repudiation on the wire (9-1-1, 9-1-3, 9-2-2)."""
    when = sig.signed_at.isoformat()
    return {
        "resourceType": "Provenance",
        "target": [{"reference": t} for t in targets],
        "recorded": when,
        "agent": [{"who": {"reference": who}}],
        "signature": [
            {
                "type": [{"system": SYS_ROLE, "code": sig.role.value}],
                "when": when,
                "who": {"reference": who},
                "sigFormat": SIG_FORMAT,
                "data": base64.b64encode(sig.cms).decode("ascii"),
            }
        ],
    }


def read_signatures(bundle: dict[str, Any]) -> list[WireSignature]:
    """Every signature of `bundle`'s Provenances, not yet verified (see `app.signing`); raises
    `FhirError` when one is unreadable (unknown role, bad base64 or time)."""
    out = []
    for prov in resources(bundle, "Provenance"):
        for s in prov.get("signature", ()):
            try:
                role = SignatureRole(next(t["code"] for t in s["type"] if t.get("system") == SYS_ROLE))
                out.append(
                    WireSignature(
                        role, base64.b64decode(s["data"], validate=True), dt.datetime.fromisoformat(s["when"])
                    )
                )
            except (KeyError, StopIteration, ValueError):
                raise bad("a signature is unreadable") from None
    return out


# ---- outcomes and results -------------------------------------------------------------------------------

_ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-costly",
    422: "business-rule",
    500: "exception",
    503: "transient",
}


def outcome(
    status: int, code: str, en: str, fa: str, details: dict[str, Any] | None = None, severity: str = "error"
) -> dict[str, Any]:
    """An OperationOutcome carrying a machine code, both languages and optional details (JSON)."""
    issue: dict[str, Any] = {
        "severity": severity,
        "code": _ISSUE_CODE.get(status, "processing"),
        "details": {"coding": [{"system": SYS_ERROR, "code": code}], "text": fa},
        "diagnostics": en,
    }
    if details:
        issue["extension"] = [
            ext("details", valueString=json.dumps(details, ensure_ascii=False, sort_keys=True))
        ]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


@dataclass(frozen=True)
class Outcome:
    code: str
    en: str
    fa: str
    details: dict[str, Any]


def read_outcome(body: Any) -> Outcome | None:
    """The first issue of an OperationOutcome, or None if `body` is not one."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome" or not body.get("issue"):
        return None
    issue = body["issue"][0]
    code = next(
        (c.get("code") for c in issue.get("details", {}).get("coding", ()) if c.get("system") == SYS_ERROR),
        issue.get("code", "error"),
    )
    details: dict[str, Any] = {}
    e = find_ext(issue, "details")
    if e is not None:
        try:
            details = json.loads(e["valueString"])
        except (KeyError, ValueError):
            details = {}
    return Outcome(str(code), issue.get("diagnostics", ""), issue.get("details", {}).get("text", ""), details)


def task(status: str, key: str, focus_system: str, focus: str, outputs: dict[str, Any]) -> dict[str, Any]:
    """The exchange's answer to a submission: a Task whose outputs are JSON values by name."""
    return {
        "resourceType": "Task",
        "identifier": [ident(SYS_KEY, key)],
        "status": status,
        "intent": "order",
        "focus": {"identifier": ident(focus_system, focus)},
        "output": [
            {"type": {"text": name}, "valueString": json.dumps(value, ensure_ascii=False, sort_keys=True)}
            for name, value in outputs.items()
        ],
    }


def read_task(body: Any) -> dict[str, Any]:
    """The outputs of a result Task, by name."""
    if not isinstance(body, dict) or body.get("resourceType") != "Task":
        raise bad("expected a Task")
    try:
        return {o["type"]["text"]: json.loads(o["valueString"]) for o in body.get("output", ())}
    except (KeyError, ValueError):
        raise bad("a Task output is unreadable") from None
