"""Asking the exchange's insurance and clinical rules about a prescription before it is signed (national
rules, section 9-1 step 4), with a local estimate when the exchange cannot be reached (section 12: an
outage never stops care). Nothing is saved and nothing is signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain import Patient, Prescription
from app.services.prescribing import ItemRequest, prescriber_of, price_items
from sync import fhir
from sync.client import ExchangeUnavailable

if TYPE_CHECKING:
    from app.workstation import Workstation


@dataclass(frozen=True)
class RulesCheck:
    """What the rules say about a prescription not yet written.

    `findings` are the exchange's messages, each `{"level": advisory|warning|rejection, "code", "line"
    (1-based item line, or absent for the whole prescription), "en", "fa"}`; `total` is the cost split in
    rials (`{"insurer": int, "patient": int, …}`); `rejected` is true when a finding is a rejection.
    Offline (`offline` true), `findings` is empty, `total` is the local estimate and `reason_en`/`reason_fa`
    say why the exchange was not asked; the rules run again when the signed prescription is registered."""

    findings: list[dict[str, Any]]
    total: dict[str, Any]
    rejected: bool
    offline: bool = False
    reason_en: str = ""
    reason_fa: str = ""
    answer: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The exchange's answer as it came (or the offline stand-in), as `noskhe rx check --json` prints."""
        return self.answer


def check_prescription(ws: Workstation, *, patient: Patient, items: Sequence[ItemRequest]) -> RulesCheck:
    """The insurance and clinical rules on a prescription for `patient` with `items`, before signing.

    The items are priced locally first (an unknown drug is refused before any token is asked); the
    prescriber comes from the user's certificate and the request is authenticated with the facility seal
    (both asked through the workstation's prompter). Raises `NoskheError` (unknown drug, configuration,
    token errors, a refusal of the exchange); an unreachable exchange is not an error but an offline
    result."""
    priced = price_items(ws.store, patient, items)
    draft = Prescription(patient, prescriber_of(ws), ws.facility_siam, priced)
    try:
        answer = ws.client.rules_check(fhir.prescription_bundle(draft, []))
    except ExchangeUnavailable as exc:
        answer = {
            "offline": True,
            "reason_en": exc.en,
            "reason_fa": exc.fa,
            "findings": [],
            "total": draft.cost.to_dict(),
            "rejected": False,
        }
    return RulesCheck(
        findings=list(answer.get("findings") or []),
        total=dict(answer.get("total") or {}),
        rejected=bool(answer.get("rejected")),
        offline=bool(answer.get("offline")),
        reason_en=str(answer.get("reason_en") or ""),
        reason_fa=str(answer.get("reason_fa") or ""),
        answer=answer,
    )
