"""Registering, editing and cancelling prescriptions: signatures, prescriber licence, HID and rules are
checked first; edits and cancellations are refused once any line is dispensed or a pharmacy holds a claim."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from app.domain import Prescription
from app.identifiers import TrackingCode
from app.signature_policy import DocumentKind, Party, parties_of_prescription
from app.signing import SignatureRole
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError, malformed
from exchange.idempotency import Answer, body_hash, run_once
from exchange.lookup import Lookup
from exchange.rules import check_prescription
from exchange.verify import Verifier
from sync import fhir
from sync.fhir.common import SYS_RX, task


def parse(body: Any, reader: Any) -> Any:
    """`reader(body)` after the exchange's light check of the message (`exchange.wire.check`); a message
    the check or the reader refuses is `ExchangeError` 400 `malformed`."""
    from exchange.wire import check

    check(body)
    try:
        return reader(body)
    except fhir.FhirError as exc:
        raise malformed(exc.en.removeprefix("Malformed exchange message: ").rstrip(".")) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise malformed("a part of the message is missing or of the wrong kind") from None


def refuse_wrong_legal_fields(entity: Any) -> None:
    """422 `legal-fields` when the legal elements a prescription or dispensing carries (section 7) are not
    well formed (`app.legal.legal_problems`): the first problem, in both languages."""
    from app.legal import legal_problems

    problems = legal_problems(entity)
    if problems:
        en, fa = problems[0]
        raise ExchangeError(422, "legal-fields", en, fa)


class Registry:
    def __init__(self, db: ExchangeDB, verifier: Verifier) -> None:
        self.db, self.verifier = db, verifier

    def _checked(
        self, c: sqlite3.Connection, facility: str, rx: Prescription, sigs: list[Any]
    ) -> tuple[Any, str]:
        """Signatures, prescriber licence, HID and rules; the rules result and the HID's insurer plan."""
        if rx.facility_siam != facility:
            raise ExchangeError(
                422,
                "facility-mismatch",
                f"The prescription names facility {rx.facility_siam}, the sender is {facility}.",
                "مرکز نسخه با مرکز فرستنده یکی نیست.",
            )
        refuse_wrong_legal_fields(rx)  # section 7: phone, national id, service times
        self.verifier.signers(
            DocumentKind.PRESCRIPTION, rx.document(), sigs, named=parties_of_prescription(rx), sender=facility
        )
        member = c.execute(
            "SELECT status FROM council WHERE number = ?", (rx.prescriber.medical_council_number,)
        ).fetchone()
        if member is not None and member[0] != "active":
            raise ExchangeError(
                422,
                "prescriber-suspended",
                "The prescriber's licence is suspended.",
                "پروانهٔ تجویزگر تعلیق شده است.",
            )
        if not rx.hid:
            raise ExchangeError(
                422,
                "hid-missing",
                "No HID: ask eligibility for this visit first.",
                "شناسه شباد ندارد: ابتدا استحقاق‌سنجی کنید.",
            )
        h = c.execute(
            "SELECT patient_kind, patient_value, insurer FROM hids WHERE hid = ?", (rx.hid,)
        ).fetchone()
        if h is None or (h[0], h[1]) != (rx.patient.id.kind, rx.patient.id.value):
            raise ExchangeError(
                422,
                "hid-mismatch",
                "The HID was not issued for this patient.",
                "شناسه شباد برای این بیمار صادر نشده است.",
            )
        # under the plans eligibility found for this HID; an overridable rejection passes with the reason
        result = check_prescription(self.db, rx)
        if result.rejected:
            raise ExchangeError(
                422,
                "rules-rejected",
                "The insurance or clinical rules reject this prescription."
                + (" Only with a reason may they be overridden." if result.overridable else ""),
                "قواعد بیمه‌ای یا بالینی این نسخه را رد کرد."
                + (" فقط با ذکر دلیل می‌توان از آن گذشت." if result.overridable else ""),
                **result.to_dict(),
            )
        if rx.override_reason and any(f.overridden for f in result.findings):
            ExchangeDB.event(c, facility, "rules-overridden", rx.id, rx.override_reason)
        return result, h[2]

    def _store_items(self, c: sqlite3.Connection, rx: Prescription) -> dict[str, str]:
        c.execute("DELETE FROM rx_items WHERE client_id = ?", (rx.id,))
        ids = {}
        for it in rx.items:
            ids[str(it.line)] = it.rule_approval_id or str(ExchangeDB.next_serial(c, "rule", 5_000_000_000))
            c.execute(
                "INSERT INTO rx_items (client_id, line, drug_code, quantity, rule_approval_id) VALUES (?,?,?,?,?)",
                (rx.id, it.line, it.drug_code, it.quantity, ids[str(it.line)]),
            )
        return ids

    def register(self, facility: str, body: Any, key: str | None) -> tuple[Answer, bool]:
        rx, sigs = parse(body, fhir.bundle_to_prescription)
        digest = body_hash(body)

        def work(c: sqlite3.Connection) -> Answer:
            existing = c.execute(
                "SELECT body_hash, facility FROM prescriptions WHERE client_id = ?", (rx.id,)
            ).fetchone()
            if existing is not None:
                if existing[1] != facility:  # another facility's prescription: nothing of it is told
                    raise ExchangeError(
                        403,
                        "not-yours",
                        "This prescription was issued by another facility.",
                        "این نسخه را مرکز دیگری صادر کرده است.",
                    )
                if existing[0] != digest:
                    raise ExchangeError(
                        409,
                        "id-reuse",
                        "This prescription id is registered with other content; send changes as an edit.",
                        "این شناسهٔ نسخه با محتوای دیگری ثبت شده است.",
                    )
                return 200, task("completed", key or "", SYS_RX, rx.id, self._result_in(c, rx.id, []))
            result, _ = self._checked(c, facility, rx, sigs)
            tracking = TrackingCode.from_serial(ExchangeDB.next_serial(c, "tracking", 10_000_000_000)).value
            now = utcnow()
            cost = result.total
            c.execute(
                "INSERT INTO prescriptions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rx.id,
                    tracking,
                    facility,
                    rx.prescriber.medical_council_number,
                    rx.patient.id.kind,
                    rx.patient.id.value,
                    rx.hid,
                    rx.version,
                    "registered",
                    str(ExchangeDB.next_serial(c, "rule", 5_000_000_000)),
                    digest,
                    json.dumps(body, ensure_ascii=False),
                    cost.insurer,
                    cost.patient,
                    now,
                    now,
                ),
            )
            c.execute(
                "INSERT INTO rx_versions VALUES (?,?,?,?)",
                (rx.id, rx.version, json.dumps(body, ensure_ascii=False), now),
            )
            self._store_items(c, rx)
            ExchangeDB.event(c, facility, "registered", rx.id, tracking)
            return 201, task(
                "completed", key or "", SYS_RX, rx.id, self._result_in(c, rx.id, result.findings, result)
            )

        return run_once(self.db, facility, key, digest, work)

    def _result_in(
        self, c: sqlite3.Connection, rx_id: str, findings: list[Any], rules: Any = None
    ) -> dict[str, Any]:
        row = c.execute(
            "SELECT tracking_code, hid, rule_approval_id, version, state, insurer_share, patient_share"
            " FROM prescriptions WHERE client_id = ?",
            (rx_id,),
        ).fetchone()
        items = c.execute(
            "SELECT line, rule_approval_id FROM rx_items WHERE client_id = ?", (rx_id,)
        ).fetchall()
        out = {
            "trackingCode": row[0],
            "hid": row[1],
            "ruleApprovalId": row[2],
            "version": row[3],
            "state": row[4],
            "itemRuleApprovalIds": {str(k): v for k, v in items},
            "cost": {"insurer": row[5], "patient": row[6]},
            "findings": [f.to_dict() for f in findings],
        }
        if rules is not None:
            out["itemCosts"] = rules.to_dict()["costs"]
        return out

    def edit(self, facility: str, rx_id: str, body: Any, key: str | None) -> tuple[Answer, bool]:
        rx, sigs = parse(body, fhir.bundle_to_prescription)
        if rx.id != rx_id:
            raise malformed("the Bundle is for another prescription")
        digest = body_hash(body)

        def work(c: sqlite3.Connection) -> Answer:
            cur = c.execute(
                "SELECT facility, version, state, body_hash FROM prescriptions WHERE client_id = ?", (rx.id,)
            ).fetchone()
            if cur is None:
                raise ExchangeError(
                    404,
                    "not-registered",
                    "Cannot edit: the prescription is not registered.",
                    "نسخه ثبت نشده است و ویرایش ممکن نیست.",
                )
            if cur[0] != facility:
                raise ExchangeError(
                    403,
                    "not-yours",
                    "Only the issuing facility may edit a prescription.",
                    "فقط مرکز صادرکننده می‌تواند نسخه را ویرایش کند.",
                )
            if cur[1] == rx.version and cur[3] == digest:
                return 200, task("completed", key or "", SYS_RX, rx.id, self._result_in(c, rx.id, []))
            Lookup.dispensed_conflict(c, rx.id, "Edit refused", "ویرایش پذیرفته نشد")
            if cur[2] == "cancelled":
                raise ExchangeError(
                    409, "cancelled", "Edit refused: the prescription was cancelled.", "نسخه ابطال شده است."
                )
            if rx.version <= cur[1]:
                raise ExchangeError(
                    409,
                    "stale-version",
                    f"Version {rx.version} is not newer than {cur[1]}.",
                    "نسخهٔ ارسالی از نسخهٔ ثبت‌شده جدیدتر نیست.",
                )
            Lookup.claimed_conflict(c, rx.id, None, "Edit refused", "ویرایش پذیرفته نشد")
            result, _ = self._checked(c, facility, rx, sigs)
            now = utcnow()
            cost = result.total
            c.execute(
                "UPDATE prescriptions SET version = ?, body_hash = ?, bundle = ?, hid = ?, insurer_share = ?,"
                " patient_share = ?, updated_at = ? WHERE client_id = ?",
                (
                    rx.version,
                    digest,
                    json.dumps(body, ensure_ascii=False),
                    rx.hid,
                    cost.insurer,
                    cost.patient,
                    now,
                    rx.id,
                ),
            )
            c.execute(
                "INSERT OR REPLACE INTO rx_versions VALUES (?,?,?,?)",
                (rx.id, rx.version, json.dumps(body, ensure_ascii=False), now),
            )
            self._store_items(c, rx)
            ExchangeDB.event(c, facility, "edited", rx.id, str(rx.version))
            return 200, task(
                "completed", key or "", SYS_RX, rx.id, self._result_in(c, rx.id, result.findings, result)
            )

        return run_once(self.db, facility, key, digest, work)

    def cancel(self, facility: str, rx_id: str, body: Any, key: str | None) -> tuple[Answer, bool]:
        doc, sigs = parse(body, fhir.bundle_to_cancel)
        if doc["prescription"] != rx_id:
            raise malformed("the cancellation is for another prescription")

        def work(c: sqlite3.Connection) -> Answer:
            cur = c.execute(
                "SELECT facility, prescriber, state FROM prescriptions WHERE client_id = ?", (rx_id,)
            ).fetchone()
            if cur is None:
                raise ExchangeError(
                    404,
                    "not-registered",
                    "Cannot cancel: the prescription is not registered.",
                    "نسخه ثبت نشده است و ابطال ممکن نیست.",
                )
            if cur[0] != facility:
                raise ExchangeError(
                    403,
                    "not-yours",
                    "Only the issuing facility may cancel a prescription.",
                    "فقط مرکز صادرکننده می‌تواند نسخه را ابطال کند.",
                )
            if cur[2] != "cancelled":
                Lookup.dispensed_conflict(c, rx_id, "Cancellation refused", "ابطال پذیرفته نشد")
                Lookup.claimed_conflict(c, rx_id, None, "Cancellation refused", "ابطال پذیرفته نشد")
                self.verifier.signers(
                    DocumentKind.CANCELLATION, doc, sigs, named={SignatureRole.PRESCRIBER: Party(cur[1])}
                )
                c.execute(
                    "UPDATE prescriptions SET state = 'cancelled', updated_at = ? WHERE client_id = ?",
                    (utcnow(), rx_id),
                )
                ExchangeDB.event(c, facility, "cancelled", rx_id)
            return 200, task("completed", key or "", SYS_RX, rx_id, {"state": "cancelled"})

        return run_once(self.db, facility, key, body_hash(body), work)

    # ---- retrieval --------------------------------------------------------------------------------
