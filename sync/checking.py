"""The exchange's eligibility and rules services as the use cases ask them (national rules, 9-1 steps 2 and
4, 9-2 steps 4 and 5), and `noskhe rx check`.

`ExchangeChecks` is the workstation's `national` services (`app.services.checking.NationalServices`):
every call is short (a few seconds at most) and an exchange that does not answer, is not configured, or
did not answer a moment ago is `Offline` — the use case then goes on with the local rules engine and a
pending eligibility, never waiting (section 12, bylaw art. 16).

    ws.national.eligibility(patient, visit_at)     # the visit's HID and the coverage found
    ws.national.prescription_rules(rx)            # findings and the exchange's split, before signing
    ws.national.dispensing_rules(rx, d)           # … before dispensing, with the rule-approval ids
    check_prescription(ws, patient=…, items=…)    # `noskhe rx check`: nothing saved, nothing signed
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from app.costs import ESTIMATE, EXCHANGE
from app.domain import Dispensing, Patient, Prescription
from app.errors import ConfigError
from app.rules import RulesResult
from app.services.checking import (
    Admission,
    Offline,
    Verdict,
    admit,
    local_dispensing_rules,
    local_prescription_rules,
)
from app.services.prescribing import ItemRequest, prescriber_of, price_items
from sync import fhir
from sync.client import CONNECT_TIMEOUT, ExchangeClient, ExchangeUnavailable
from sync.status import is_online, mark_offline, mark_online

if TYPE_CHECKING:
    from app.workstation import Workstation

#: how long a question asked while someone waits may take: connect, then read (seconds)
TIMEOUT = (CONNECT_TIMEOUT, 8.0)
#: after the exchange did not answer, it is not asked again during a write for this long (seconds); a
#: drain, a probe or a refresh that reaches it clears this at once
QUIET_AFTER_FAILURE = 30.0


class ExchangeChecks:
    """The national services through the workstation's exchange client (`ws.client`)."""

    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    def _client(self) -> ExchangeClient:
        store = self.ws.store
        try:
            _ = self.ws.exchange_url
        except ConfigError:
            raise Offline(
                "No exchange is configured for this workstation: working offline.",
                "سامانهٔ تبادل برای این رایانه تنظیم نشده است: کار به‌صورت آفلاین ادامه می‌یابد.",
            ) from None
        last = store.meta("sync.last_attempt")
        if is_online(store) is False and last:
            ago = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(last)).total_seconds()
            if 0 <= ago < QUIET_AFTER_FAILURE:
                raise Offline(
                    f"The exchange did not answer {int(ago)} s ago: working offline.",
                    "سامانهٔ تبادل لحظاتی پیش پاسخ نداد: کار به‌صورت آفلاین ادامه می‌یابد.",
                )
        return self.ws.client

    def _ask(self, method: str, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        client = self._client()
        try:
            reply = client.call(method, path, body=body, headers=headers, timeout=TIMEOUT)
        except ExchangeUnavailable as exc:
            mark_offline(self.ws.store, exc.en)
            raise Offline(exc.en, exc.fa) from None
        if reply.status >= 500:
            mark_offline(self.ws.store, f"the exchange answered {reply.status}")
            raise Offline(
                f"The exchange answered {reply.status}: working offline.",
                f"سامانهٔ تبادل پاسخ {reply.status} داد: کار به‌صورت آفلاین ادامه می‌یابد.",
            )
        mark_online(self.ws.store)
        if not reply.ok:
            raise reply.refusal()
        return reply.body

    def eligibility(self, patient: Patient, visit_at: dt.datetime) -> Admission:
        """POST /eligibility for a new visit (`sync.eligibility.ask`: a new HID)."""
        from sync.eligibility import ask

        return ask(
            lambda path, body, headers: self._ask("POST", path, body, headers),
            patient,
            visit_at,
            self.ws.facility_siam,
        )

    def prescription_rules(self, rx: Prescription) -> RulesResult:
        """POST /rules/$check with `rx` unsigned."""
        return RulesResult.from_dict(self._ask("POST", "/rules/$check", fhir.prescription_bundle(rx, [])))

    def dispensing_rules(self, rx: Prescription, d: Dispensing) -> Verdict:
        """POST /dispensings/$check with `d` unsigned; a prescription the exchange does not hold (a paper
        one) is `Offline` for this purpose: the local engine estimates."""
        from sync.client import ExchangeRefused

        try:
            answer = self._ask("POST", "/dispensings/$check", fhir.dispensing_bundle(d, []))
        except ExchangeRefused as exc:
            if exc.code != "not-registered":
                raise
            raise Offline(exc.en, exc.fa) from None
        ids = {int(k): str(v) for k, v in (answer.get("itemRuleApprovalIds") or {}).items() if v}
        return Verdict(
            RulesResult.from_dict(answer),
            True,
            rule_approval_id=answer.get("ruleApprovalId"),
            item_rule_approval_ids=ids,
        )


def dispensing_verdict(ws: Workstation, *, online: bool) -> Callable[[Prescription, Dispensing], Verdict]:
    """What `record_dispensing` asks before signing (9-2 step 5): online, the exchange's rules (the local
    engine when it cannot answer, saying why); offline, the local engine."""

    def ask(rx: Prescription, d: Dispensing) -> Verdict:
        if online:
            try:
                return ws.national.dispensing_rules(rx, d)
            except Offline as exc:
                return replace(local_dispensing_rules(ws.store, rx, d), reason_en=exc.en, reason_fa=exc.fa)
        return replace(
            local_dispensing_rules(ws.store, rx, d),
            reason_en="Dispensed offline: the local rules and an estimate.",
            reason_fa="نسخه‌پیچی آفلاین: قواعد محلی و برآورد.",
        )

    return ask


def release_quietly(ws: Workstation, rx: Prescription) -> None:
    """Give up this pharmacy's claim on `rx` after the rules refused its dispensing, so another pharmacy
    may dispense it; an exchange that does not answer now lets the claim expire on its own."""
    from sync.client import ExchangeRefused

    try:
        ws.client.release(rx.id, None)
    except (ExchangeUnavailable, ExchangeRefused):
        pass


# ---- `noskhe rx check` -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesCheck:
    """What the rules say about a prescription not yet written.

    `findings` are the rules' messages, each `{"level": advisory|warning|rejection, "code", "line" (1-based
    item line, or absent for the whole prescription), "en", "fa", "overridable"?, "overridden"?}`; `total`
    is the cost split in rials (`{"insurer": int, "patient": int}`); `rejected` is true while a rejection
    stands, `overridable` when a reason would let every one through. Offline (`offline` true) the findings
    are the local rules engine's on the cached rule set, `total` is the local estimate and
    `reason_en`/`reason_fa` say why the exchange was not asked."""

    findings: list[dict[str, Any]]
    total: dict[str, Any]
    rejected: bool
    offline: bool = False
    reason_en: str = ""
    reason_fa: str = ""
    answer: dict[str, Any] = field(default_factory=dict)
    overridable: bool = False
    eligibility: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """Who decided: `exchange` (its rules and split) or `local` (the local engine, offline)."""
        return "local" if self.offline else "exchange"

    @property
    def insurance_pending(self) -> bool:
        """True while eligibility has not answered: the plans priced are the ones typed, unconfirmed."""
        return self.eligibility.get("status") != "confirmed"

    def to_dict(self) -> dict[str, Any]:
        """The exchange's answer as it came (or the local engine's, offline), as `noskhe rx check --json`
        prints it."""
        return self.answer


def check_prescription(
    ws: Workstation,
    *,
    patient: Patient,
    items: Sequence[ItemRequest],
    override_reason: str | None = None,
) -> RulesCheck:
    """The insurance and clinical rules on a prescription for `patient` with `items`, before signing (what
    `rx create` will ask again): the exchange's when it answers, the local engine's otherwise, with
    `override_reason` applied to overridable rejections.

    The items are priced locally first (an unknown drug is refused before any token is asked); the
    prescriber comes from the user's certificate and the request is authenticated with the facility seal
    (both asked through the workstation's prompter). Raises `NoskheError` (unknown drug, configuration,
    token errors, a refusal of the exchange); an unreachable exchange is not an error but an offline
    result."""
    price_items(ws.store, patient, items)  # an unknown drug is refused before the exchange is asked
    admission = admit(ws, patient, dt.datetime.now(dt.UTC))  # priced under the plans eligibility finds
    patient = admission.patient
    draft = Prescription(patient, prescriber_of(ws), ws.facility_siam, price_items(ws.store, patient, items))
    draft.hid = admission.hid
    offline: Offline | None = None
    try:
        result = ws.national.prescription_rules(draft)
    except Offline as exc:
        offline, result = exc, local_prescription_rules(ws.store, draft)
    result = result.override(override_reason)
    answer = result.to_dict()
    if offline is not None:
        answer.update(offline=True, reason_en=offline.en, reason_fa=offline.fa)
    answer.update(
        source="local" if offline else "exchange",
        cost_basis=ESTIMATE if offline or not admission.confirmed else EXCHANGE,
        eligibility=admission.to_dict(),
    )
    return RulesCheck(
        findings=list(answer["findings"]),
        total=dict(answer["total"]),
        rejected=result.rejected,
        offline=offline is not None,
        reason_en=offline.en if offline else "",
        reason_fa=offline.fa if offline else "",
        answer=answer,
        overridable=result.overridable,
        eligibility=admission.to_dict(),
    )


__all__ = ["ExchangeChecks", "RulesCheck", "check_prescription", "dispensing_verdict", "release_quietly"]
