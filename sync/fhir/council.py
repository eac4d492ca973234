"""The medical council's answer about a member (section 8-12), on the wire: a Practitioner, and back.

    Practitioner   identifier = the council number; active = the licence is in force; name; qualification =
                   the specialty; extensions: licence-status (active, suspended, revoked…), status-since,
                   checked-at (when the council answered)

The reference exchange writes it (`exchange.council`) and the client reads it (`ExchangeClient.council`).
"""

from __future__ import annotations

from typing import Any

from app.services.council import CouncilAnswer
from sync.fhir.common import SYS_MC, bad, ext, find_ext, find_ident, ident


def council_resource(a: CouncilAnswer) -> dict[str, Any]:
    """The Practitioner for a member's answer (`a.status` other than `not-found`)."""
    res: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": f"mc-{a.number}",
        "identifier": [ident(SYS_MC, a.number)],
        "active": a.active,
        "name": [{"text": a.name}] if a.name else [],
        "extension": [
            ext("licence-status", valueCode=a.status),
            ext("checked-at", valueDateTime=a.checked_at),
        ],
    }
    if not res["name"]:
        del res["name"]
    if a.specialty:
        res["qualification"] = [{"code": {"text": a.specialty}}]
    if a.since:
        res["extension"].append(ext("status-since", valueDateTime=a.since))
    return res


def read_council(res: dict[str, Any]) -> CouncilAnswer:
    """A Practitioner of `council_resource` back as the answer. Raises `FhirError` when it is not one."""
    try:
        status, checked = find_ext(res, "licence-status"), find_ext(res, "checked-at")
        since = find_ext(res, "status-since")
        number = find_ident(res.get("identifier"), SYS_MC)
        if res.get("resourceType") != "Practitioner" or not number or status is None or checked is None:
            raise KeyError("licence-status")
        quals = res.get("qualification") or []
        return CouncilAnswer(
            number=number,
            status=str(status["valueCode"]),
            checked_at=str(checked["valueDateTime"]),
            name=(res.get("name") or [{}])[0].get("text", ""),
            specialty=quals[0]["code"]["text"] if quals else "",
            since=str(since["valueDateTime"]) if since else "",
        )
    except (KeyError, IndexError, TypeError, AttributeError):
        raise bad("the medical council's answer is incomplete") from None


__all__ = ["council_resource", "read_council"]
