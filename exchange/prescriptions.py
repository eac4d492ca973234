"""Eligibility, registration, edit, cancel, retrieval and status of prescriptions at the exchange."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from app.domain import Prescription
from app.identifiers import Hid, TrackingCode
from app.signing import SignatureRole
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError, malformed, not_found
from exchange.idempotency import Answer, body_hash, run_once
from exchange.rules import check_prescription
from exchange.verify import Verifier
from sync import fhir
from sync.fhir.common import SYS_RX, ext, task
from sync.fhir.eligibility import read_eligibility_request

OPEN_STATES = ("registered", "partially_dispensed")


def parse(body: Any, reader: Any) -> Any:
    try:
        fhir.validate(body)
        return reader(body)
    except fhir.FhirError as exc:
        raise malformed(exc.en.removeprefix("Malformed exchange message: ").rstrip(".")) from None


class Registry:
    def __init__(self, db: ExchangeDB, verifier: Verifier) -> None:
        self.db, self.verifier = db, verifier

    # ---- eligibility -------------------------------------------------------------------------------

    def eligibility(self, facility: str, body: Any, key: str | None) -> tuple[Answer, bool]:
        patient, provider = parse(body, read_eligibility_request)
        if provider != facility:
            raise ExchangeError(
                422,
                "facility-mismatch",
                "The request names another facility.",
                "درخواست به نام مرکز دیگری است.",
            )

        def work(c: sqlite3.Connection) -> Answer:
            kind, value = patient.id.kind, patient.id.value
            if kind == "newborn":  # covered under the mother until registered
                kind, value = "national-code", value.split("-")[0]
            covs = c.execute(
                "SELECT insurer, scheme, insurance_number, valid_until FROM coverages"
                " WHERE kind = ? AND value = ? ORDER BY rowid",
                (kind, value),
            ).fetchall()
            known = c.execute("SELECT 1 FROM persons WHERE kind = ? AND value = ?", (kind, value)).fetchone()
            coverages = []
            for insurer, scheme, number, until in covs:
                doc = c.execute("SELECT doc FROM insurers WHERE code = ?", (scheme or insurer,)).fetchone()
                pct = json.loads(doc[0])["rules"]["drug_outpatient"]["insurer_percent"] if doc else 0
                coverages.append(
                    {
                        "insurer": insurer,
                        "scheme": scheme,
                        "insurance_number": number,
                        "insurer_percent": pct,
                        "valid_until": until,
                        "inforce": until >= dt.date.today().isoformat(),
                    }
                )
            hid = Hid.from_serial(ExchangeDB.next_serial(c, "hid", 100_000_000_000_000)).value
            plan = (coverages[0]["scheme"] or coverages[0]["insurer"]) if coverages else "NONE"
            c.execute(
                "INSERT INTO hids VALUES (?,?,?,?,?,?,?)",
                (
                    hid,
                    patient.id.kind,
                    patient.id.value,
                    facility,
                    plan,
                    coverages[0]["insurer_percent"] if coverages else 0,
                    utcnow(),
                ),
            )
            ExchangeDB.event(c, facility, "hid", hid, str(patient.id))
            disposition = (
                ("insured" if coverages else "known, not insured: self-pay")
                if known
                else "not found in the insured-persons database: self-pay"
            )
            e = fhir.Eligibility(hid, bool(coverages), coverages, len(coverages) > 1, disposition)
            return 200, fhir.eligibility_response(body, e, key or "")

        return run_once(self.db, facility, key, body_hash(body), work)

    # ---- registration and edits --------------------------------------------------------------------

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
        who = self.verifier.signers(rx.document(), sigs, (SignatureRole.PRESCRIBER, SignatureRole.FACILITY))
        self.verifier.same_person(
            who[SignatureRole.PRESCRIBER],
            number_field="medical_council_number",
            number=rx.prescriber.medical_council_number,
            national_code=rx.prescriber.national_code,
            what="prescription",
        )
        self.verifier.same_facility(who[SignatureRole.FACILITY], rx.facility_siam, facility)
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
        result = check_prescription(self.db, rx, h[2], rx.prescriber.specialty)
        if result.rejected:
            raise ExchangeError(
                422,
                "rules-rejected",
                "The insurance or clinical rules reject this prescription.",
                "قواعد بیمه‌ای یا بالینی این نسخه را رد کرد.",
                **result.to_dict(),
            )
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
                "SELECT body_hash FROM prescriptions WHERE client_id = ?", (rx.id,)
            ).fetchone()
            if existing is not None:
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

    def _dispensed_conflict(self, c: sqlite3.Connection, rx_id: str, what_en: str, what_fa: str) -> None:
        row = c.execute(
            "SELECT d.facility, d.pharmacist, d.at, d.lines, f.name FROM dispensings d"
            " LEFT JOIN facilities f ON f.siam = d.facility WHERE d.client_id = ? ORDER BY d.at LIMIT 1",
            (rx_id,),
        ).fetchone()
        if row is not None:
            state = c.execute("SELECT state FROM prescriptions WHERE client_id = ?", (rx_id,)).fetchone()[0]
            raise ExchangeError(
                409,
                "already-dispensed",
                f"{what_en}: it was dispensed by {row[4] or row[0]} at {row[2]}.",
                f"{what_fa}: در {row[4] or row[0]} در {row[2]} پیچیده شده است.",
                facility=row[0],
                facility_name=row[4],
                pharmacist=row[1],
                at=row[2],
                lines=json.loads(row[3]),
                state=state,
            )

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
            self._dispensed_conflict(c, rx.id, "Edit refused", "ویرایش پذیرفته نشد")
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
            self._claimed(c, rx.id, None, "Edit refused", "ویرایش پذیرفته نشد")
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

    @staticmethod
    def _claimed(c: sqlite3.Connection, rx_id: str, facility: str | None, en: str, fa: str) -> None:
        from exchange.idempotency import passing

        row = c.execute(
            "SELECT facility, claimed_at, expires_at FROM claims WHERE client_id = ?", (rx_id,)
        ).fetchone()
        if row is not None and row[2] > dt.datetime.now().timestamp() and row[0] != facility:
            name = c.execute("SELECT name FROM facilities WHERE siam = ?", (row[0],)).fetchone()
            raise passing(
                ExchangeError(
                    409,
                    "claimed",
                    f"{en}: pharmacy {name[0] if name else row[0]} is dispensing it (since {row[1]}).",
                    f"{fa}: داروخانهٔ {name[0] if name else row[0]} در حال پیچیدن آن است.",
                    facility=row[0],
                    facility_name=name[0] if name else None,
                    at=row[1],
                )
            )

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
                self._dispensed_conflict(c, rx_id, "Cancellation refused", "ابطال پذیرفته نشد")
                self._claimed(c, rx_id, None, "Cancellation refused", "ابطال پذیرفته نشد")
                who = self.verifier.signers(doc, sigs, (SignatureRole.PRESCRIBER,))[SignatureRole.PRESCRIBER]
                self.verifier.same_person(
                    who,
                    number_field="medical_council_number",
                    number=cur[1],
                    national_code="",
                    what="cancellation",
                )
                c.execute(
                    "UPDATE prescriptions SET state = 'cancelled', updated_at = ? WHERE client_id = ?",
                    (utcnow(), rx_id),
                )
                ExchangeDB.event(c, facility, "cancelled", rx_id)
            return 200, task("completed", key or "", SYS_RX, rx_id, {"state": "cancelled"})

        return run_once(self.db, facility, key, body_hash(body), work)

    # ---- retrieval --------------------------------------------------------------------------------

    def status(self, rx_id: str) -> dict[str, Any]:
        row = self.db.one(
            "SELECT tracking_code, hid, version, state, facility FROM prescriptions WHERE client_id = ?",
            (rx_id,),
        )
        if row is None:
            raise not_found("prescription", "نسخه", rx_id)
        disp = self.db.all(
            "SELECT d.receipt, d.facility, f.name, d.pharmacist, d.at, d.lines FROM dispensings d"
            " LEFT JOIN facilities f ON f.siam = d.facility WHERE d.client_id = ? ORDER BY d.at",
            (rx_id,),
        )
        lines = sorted({ln for d in disp for ln in json.loads(d[5])})
        return {
            "id": rx_id,
            "trackingCode": row[0],
            "hid": row[1],
            "version": row[2],
            "state": row[3],
            "facility": row[4],
            "dispensedLines": lines,
            "dispensings": [
                {
                    "receipt": d[0],
                    "facility": d[1],
                    "facility_name": d[2],
                    "pharmacist": d[3],
                    "at": d[4],
                    "lines": json.loads(d[5]),
                }
                for d in disp
            ],
        }

    def resolve(self, ref: str) -> str:
        """A client prescription id from an id or a tracking code."""
        row = self.db.one(
            "SELECT client_id FROM prescriptions WHERE client_id = ? OR tracking_code = ?", (ref, ref)
        )
        if row is None:
            raise not_found("prescription", "نسخه", ref)
        return row[0]

    def search(self, facility: str, field: str, value: str) -> dict[str, Any]:
        """A searchset Bundle of open prescriptions (registered, partly dispensed) matching one key."""
        where = {"hid": "hid = ?", "tracking": "tracking_code = ?"}.get(field)
        args: tuple[Any, ...] = (value,)
        if where is None:
            where, args = "patient_kind = ? AND patient_value = ?", (field, value)
        rows = self.db.all(
            f"SELECT client_id, bundle FROM prescriptions WHERE {where} AND state IN (?, ?)"
            " ORDER BY registered_at",
            (*args, *OPEN_STATES),
        )
        with self.db.write() as c:
            c.execute(
                "INSERT INTO access_log (at, facility, query, found) VALUES (?,?,?,?)",
                (utcnow(), facility, f"{field}={value}", len(rows)),
            )
        entries = [
            {
                "resource": json.loads(b),
                "search": {"mode": "match"},
                "extension": [ext("status", valueString=json.dumps(self.status(i), ensure_ascii=False))],
            }
            for i, b in rows
        ]
        return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
