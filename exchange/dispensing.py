"""Claims, dispensings and TTAC authenticity checks.

A pharmacy may claim a prescription before dispensing (it gets a secret, valid 30 minutes); while claimed,
no other pharmacy can dispense it, edit or cancel it. A dispensing may also arrive with no claim (dispensed
from paper while offline): it is accepted if nobody else holds the claim, no line is taken beyond its
prescribed quantity (a line may be dispensed in parts: 15 of 20, then the other 5) and no pack was dispensed
before. Any double dispensing answers 409 naming who dispensed it and when.

Every pack carries its TTAC authenticity code, checked here at registration (unknown, of another drug,
dispensed before: refused; expired: the rules refuse it); a dispensing without codes is accepted only with
the reason the pharmacist signed (`ttac_reason`), which is kept. A cancelled prescription answers 409
`cancelled`; a dispensing of a prescription never registered whose prescriber is suspended answers 422.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import time
from typing import Any

from app.domain import Prescription
from app.signature_policy import DocumentKind, parties_of_dispensing
from app.text import has_visible_text
from app.timefmt import format_times
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError, already_dispensed, not_found
from exchange.idempotency import Answer, body_hash, passing, run_once
from exchange.lookup import Lookup
from exchange.prescriptions import parse, refuse_wrong_legal_fields
from exchange.rules import check_dispensing
from exchange.verify import Verifier
from sync import fhir
from sync.fhir.common import SYS_DISP, task


def insurers_of_hid(c: sqlite3.Connection, hid: str) -> dict[str, str | None]:
    """`{"insurer", "supplementary"}`: the insurer codes eligibility found for `hid` (the part of a plan
    code before its scheme, `IHIO` of `IHIO-RUR`), None where there is none."""
    row = c.execute("SELECT basic, supplementary FROM hid_plans WHERE hid = ?", (hid,)).fetchone()
    basic, extra = (row[0], row[1]) if row else (None, None)
    code = (basic or "").split("-")[0]
    return {"insurer": None if code in ("", "NONE") else code, "supplementary": extra or None}

CLAIM_TTL = 1800


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Dispensary:
    def __init__(self, db: ExchangeDB, verifier: Verifier, lookup: Lookup) -> None:
        self.db, self.verifier, self.lookup = db, verifier, lookup

    def _open_or_conflict(self, c: sqlite3.Connection, rx_id: str, what_en: str, what_fa: str) -> str:
        row = c.execute("SELECT state FROM prescriptions WHERE client_id = ?", (rx_id,)).fetchone()
        if row is None:
            raise passing(
                ExchangeError(
                    404,
                    "not-registered",
                    f"{what_en}: the prescription is not registered (yet).",
                    f"{what_fa}: نسخه (هنوز) ثبت نشده است.",
                    prescription=rx_id,
                )
            )
        if row[0] == "cancelled":
            raise ExchangeError(
                409,
                "cancelled",
                f"{what_en}: the prescription was cancelled.",
                f"{what_fa}: نسخه ابطال شده است.",
                prescription=rx_id,
                state="cancelled",
            )
        if row[0] == "dispensed":
            Lookup.dispensed_conflict(c, rx_id, what_en, what_fa)
        return row[0]

    # ---- claims --------------------------------------------------------------------------------------

    def claim(self, facility: str, ref: str) -> dict[str, Any]:
        rx_id = self.lookup.resolve(ref)
        secret = secrets.token_urlsafe(24)
        now = utcnow()
        try:
            with self.db.write() as c:
                self._open_or_conflict(c, rx_id, "Claim refused", "درخواست پیچیدن پذیرفته نشد")
                Lookup.claimed_conflict(c, rx_id, facility, "Claim refused", "درخواست پیچیدن پذیرفته نشد")
                c.execute(
                    "INSERT OR REPLACE INTO claims VALUES (?,?,?,?,?)",
                    (rx_id, facility, _hash(secret), now, time.time() + CLAIM_TTL),
                )
                ExchangeDB.event(c, facility, "claimed", rx_id)
        except ExchangeError as exc:
            if exc.status == 409:  # kept, so the pharmacy that dispensed (and the GP) can see the attempt
                with self.db.write() as c:
                    ExchangeDB.event(c, facility, "refused", rx_id, {"code": exc.code, "key": "claim"})
            raise
        return {
            "prescription": rx_id,
            "claim": secret,
            "claimedAt": now,
            "expiresIn": CLAIM_TTL,
            "status": self.lookup.status(rx_id),
        }

    def release(self, facility: str, ref: str, secret: str | None) -> dict[str, Any]:
        rx_id = self.lookup.resolve(ref)
        with self.db.write() as c:
            row = c.execute(
                "SELECT facility, secret_hash FROM claims WHERE client_id = ?", (rx_id,)
            ).fetchone()
            if row is not None:
                if row[0] != facility or (secret is not None and _hash(secret) != row[1]):
                    raise ExchangeError(
                        403,
                        "not-your-claim",
                        "This claim belongs to another pharmacy.",
                        "این درخواست پیچیدن متعلق به داروخانهٔ دیگری است.",
                    )
                c.execute("DELETE FROM claims WHERE client_id = ?", (rx_id,))
                ExchangeDB.event(c, facility, "released", rx_id)
        return {"prescription": rx_id, "released": row is not None}

    # ---- dispensing --------------------------------------------------------------------------------

    def dispense(self, facility: str, body: Any, key: str | None, secret: str | None) -> tuple[Answer, bool]:
        d, sigs = parse(body, fhir.bundle_to_dispensing)

        def work(c: sqlite3.Connection) -> Answer:
            if d.facility_siam != facility:
                raise ExchangeError(
                    422,
                    "facility-mismatch",
                    "The dispensing names another facility.",
                    "مرکز نسخه‌پیچی با مرکز فرستنده یکی نیست.",
                )
            refuse_wrong_legal_fields(d)  # section 7: payment id, POS terminal, national id, service times
            self._suspended_prescriber(c, d)
            self._open_or_conflict(c, d.prescription_id, "Dispensing refused", "نسخه‌پیچی پذیرفته نشد")
            self._units_free(c, d)  # a line dispensed elsewhere is final; a claim elsewhere may still pass
            Lookup.claimed_conflict(
                c, d.prescription_id, facility, "Dispensing refused", "نسخه‌پیچی پذیرفته نشد"
            )
            claim = c.execute(
                "SELECT secret_hash FROM claims WHERE client_id = ? AND facility = ?",
                (d.prescription_id, facility),
            ).fetchone()
            if claim is not None and secret is not None and _hash(secret) != claim[0]:
                raise passing(
                    ExchangeError(
                        409,
                        "claim-superseded",
                        "This claim was replaced by a newer one.",
                        "درخواست پیچیدن جایگزین شده است.",
                    )
                )
            self.verifier.signers(
                DocumentKind.DISPENSING, d.document(), sigs, named=parties_of_dispensing(d), sender=facility
            )
            row = c.execute(
                "SELECT hid, bundle, tracking_code FROM prescriptions WHERE client_id = ?",
                (d.prescription_id,),
            ).fetchone()
            if d.hid is not None and d.hid != row[0]:
                raise ExchangeError(
                    422,
                    "hid-mismatch",
                    "The dispensing's HID is not the prescription's.",
                    "شناسه شباد نسخه‌پیچی با نسخه یکی نیست.",
                )
            self._packs_given(d)
            self._packs_genuine(c, d)
            rx: Prescription = fhir.bundle_to_prescription(json.loads(row[1]))[0]
            rx.hid = row[0]
            self._rule_ids(c, d)
            result = check_dispensing(self.db, rx, d)  # priced under the plans of the prescription's HID
            if result.rejected:
                raise ExchangeError(
                    422,
                    "rules-rejected",
                    "The rules reject this dispensing.",
                    "قواعد این نسخه‌پیچی را رد کرد.",
                    **result.to_dict(),
                )
            return self._record(c, facility, d, row, result, key or "")

        return run_once(self.db, facility, key, body_hash(body), work)

    @staticmethod
    def _rule_ids(c: sqlite3.Connection, d: Any) -> None:
        """422 `rule-approval-mismatch` when the rule-approval ids the dispensing carries (9-2 step 6: the
        prescription's and each line's, as issued at registration) are not the ones issued; a dispensing
        that carries none (from paper, offline) is registered under the ones issued."""
        row = c.execute(
            "SELECT rule_approval_id FROM prescriptions WHERE client_id = ?", (d.prescription_id,)
        ).fetchone()
        issued = dict(
            c.execute(
                "SELECT line, rule_approval_id FROM rx_items WHERE client_id = ?", (d.prescription_id,)
            ).fetchall()
        )
        wrong = [
            it.line for it in d.items if it.rule_approval_id and it.rule_approval_id != issued.get(it.line)
        ]
        if (d.rule_approval_id and row is not None and d.rule_approval_id != row[0]) or wrong:
            raise ExchangeError(
                422,
                "rule-approval-mismatch",
                "The dispensing's rule-approval ids are not the ones issued for this prescription.",
                "شناسه‌های تأیید قواعد نسخه‌پیچی با شناسه‌های صادرشده برای این نسخه یکی نیست.",
                lines=wrong,
            )

    def check(self, facility: str, body: Any) -> dict[str, Any]:
        """The rules on a dispensing before it is signed (9-2 step 5; nothing is kept): the findings, each
        line's split under the plans of the prescription's HID, and the rule-approval ids the dispensing
        must carry (the prescription's, `ruleApprovalId`, and each line's, `itemRuleApprovalIds`). 404
        `not-registered` for a prescription the exchange does not hold (a paper one: the pharmacy estimates
        offline)."""
        d, _ = parse(body, fhir.bundle_to_dispensing)
        row = self.db.one("SELECT hid, bundle FROM prescriptions WHERE client_id = ?", (d.prescription_id,))
        if row is None:
            raise ExchangeError(
                404,
                "not-registered",
                "The prescription is not registered (yet): its rules cannot be asked.",
                "نسخه (هنوز) ثبت نشده است و قواعد آن را نمی‌توان پرسید.",
                prescription=d.prescription_id,
            )
        rx: Prescription = fhir.bundle_to_prescription(json.loads(row[1]))[0]
        rx.hid = row[0]
        result = check_dispensing(self.db, rx, d)
        return {
            **result.to_dict(),
            "prescription": d.prescription_id,
            "hid": row[0],
            **self.lookup.rule_ids(d.prescription_id),
        }

    @staticmethod
    def _suspended_prescriber(c: sqlite3.Connection, d: Any) -> None:
        """A paper prescription never registered here, by a prescriber the medical council suspended, is
        refused for good (its registration never will be): 422 `prescriber-suspended`."""
        if (
            not d.prescriber_council
            or c.execute("SELECT 1 FROM prescriptions WHERE client_id = ?", (d.prescription_id,)).fetchone()
        ):
            return
        member = c.execute("SELECT status FROM council WHERE number = ?", (d.prescriber_council,)).fetchone()
        if member is not None and member[0] != "active":
            raise ExchangeError(
                422,
                "prescriber-suspended",
                f"Dispensing refused: the prescriber's licence (council number {d.prescriber_council}) is "
                "suspended and the prescription was never registered.",
                f"نسخه‌پیچی پذیرفته نشد: پروانهٔ تجویزگر (شماره نظام {d.prescriber_council}) تعلیق شده و نسخه "
                "ثبت نشده است.",
                prescription=d.prescription_id,
                prescriber=d.prescriber_council,
            )

    def _units_free(self, c: sqlite3.Connection, d: Any) -> None:
        """409 `already-dispensed` when a line of `d` asks for more units than remain of it (none left, or
        fewer than asked), naming who dispensed it last and when."""
        over = []
        for it in d.items:
            row = c.execute(
                "SELECT quantity, dispensed, dispensing FROM rx_items WHERE client_id = ? AND line = ?",
                (d.prescription_id, it.line),
            ).fetchone()
            if row is not None and row[1] + it.quantity > row[0]:
                over.append((it.line, it.quantity, row[0], row[1], row[2]))
        if not over:
            return
        status = self.lookup.status(d.prescription_id)
        prev = c.execute(
            "SELECT d.facility, f.name, d.pharmacist, d.at FROM dispensings d LEFT JOIN facilities f"
            " ON f.siam = d.facility WHERE d.id = ?",
            (over[0][4],),
        ).fetchone()
        at_en, at_fa = format_times(prev[3])  # people read Iran time; `at` stays ISO for machines
        full = [o for o in over if o[3] >= o[2]]
        if full:
            en = f"Line(s) {', '.join(str(o[0]) for o in full)} already dispensed by {prev[1] or prev[0]} at {at_en}."
            fa = (
                f"ردیف(های) {'، '.join(str(o[0]) for o in full)} پیش‌تر در {prev[1] or prev[0]} "
                f"({at_fa}) پیچیده شده است."
            )
        else:
            ln, asked, qty, done = over[0][:4]
            en = (
                f"Line {ln}: {asked} units asked, {qty - done} remain ({done}/{qty} dispensed by "
                f"{prev[1] or prev[0]} at {at_en})."
            )
            fa = f"ردیف {ln}: {asked} عدد خواسته شده و {qty - done} عدد مانده است ({done}/{qty} در {prev[1] or prev[0]})."
        raise already_dispensed(
            en,
            fa,
            prescription=d.prescription_id,
            facility=prev[0],
            facility_name=prev[1],
            pharmacist=prev[2],
            at=prev[3],
            lines=[o[0] for o in over],
            state=status["state"],
            dispensed_lines=status["dispensedLines"],
            dispensed_quantities=status["dispensedQuantities"],
        )

    @staticmethod
    def _packs_given(d: Any) -> None:
        """422 `ttac-missing` when a line comes without a pack authenticity code and the dispensing does not
        say why (9-2-7)."""
        bare = [it.line for it in d.items if not it.packs]
        if bare and not has_visible_text(d.ttac_reason):
            raise ExchangeError(
                422,
                "ttac-missing",
                f"Line(s) {', '.join(map(str, bare))} carry no pack authenticity code and no reason is given.",
                f"ردیف(های) {'، '.join(map(str, bare))} کد اصالت بسته ندارد و دلیلی هم نیامده است.",
                lines=bare,
            )

    @staticmethod
    def _packs_genuine(c: sqlite3.Connection, d: Any) -> None:
        codes = [pack.authenticity_code for it in d.items for pack in it.packs]
        twice = sorted({code for code in codes if codes.count(code) > 1})
        if twice:  # one pack is handed over once, never counted for two units or two lines
            raise ExchangeError(
                422,
                "pack-twice",
                f"Pack {', '.join(twice)} is named more than once in this dispensing.",
                f"بستهٔ {'، '.join(twice)} در این نسخه‌پیچی بیش از یک بار آمده است.",
                packs=twice,
            )
        for it in d.items:
            for pack in it.packs:
                row = c.execute(
                    "SELECT drug_code, dispensed_by, dispensed_at FROM packs WHERE code = ?",
                    (pack.authenticity_code,),
                ).fetchone()
                if row is None:
                    raise ExchangeError(
                        422,
                        "unknown-pack",
                        f"Authenticity code {pack.authenticity_code} is unknown to TTAC.",
                        f"کد اصالت {pack.authenticity_code} در سامانهٔ ردیابی نیست.",
                        pack=pack.authenticity_code,
                    )
                if row[0] != it.drug_code:
                    raise ExchangeError(
                        422,
                        "pack-mismatch",
                        f"Pack {pack.authenticity_code} is not drug {it.drug_code}.",
                        f"بستهٔ {pack.authenticity_code} داروی ردیف {it.line} نیست.",
                        pack=pack.authenticity_code,
                    )
                if row[1] is not None:
                    raise ExchangeError(
                        409,
                        "pack-dispensed",
                        f"Pack {pack.authenticity_code} was already dispensed by {row[1]} at "
                        f"{format_times(row[2])[0]}.",
                        f"بستهٔ {pack.authenticity_code} پیش‌تر ({format_times(row[2])[1]}) تحویل شده است.",
                        pack=pack.authenticity_code,
                        facility=row[1],
                        at=row[2],
                        prescription=d.prescription_id,
                    )

    def _record(
        self, c: sqlite3.Connection, facility: str, d: Any, rx_row: Any, result: Any, key: str
    ) -> Answer:
        now = utcnow()
        receipt = str(ExchangeDB.next_serial(c, "receipt", 7_000_000_000))
        cost = result.total
        lines = sorted(it.line for it in d.items)
        c.execute(
            "INSERT INTO dispensings (id, receipt, client_id, facility, pharmacist, lines, bundle, at,"
            " insurer_share, patient_share, ttac_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                d.id,
                receipt,
                d.prescription_id,
                facility,
                d.pharmacist.licence,
                json.dumps(lines),
                json.dumps(fhir.dispensing_bundle(d, []), ensure_ascii=False),
                now,
                cost.insurer,
                cost.patient,
                d.ttac_reason,
            ),
        )
        for it in d.items:
            c.execute(
                "UPDATE rx_items SET dispensing = ?, dispensed = dispensed + ? WHERE client_id = ? AND line = ?",
                (d.id, it.quantity, d.prescription_id, it.line),
            )
            for pack in it.packs:
                c.execute(
                    "UPDATE packs SET dispensing = ?, dispensed_by = ?, dispensed_at = ? WHERE code = ?",
                    (d.id, facility, now, pack.authenticity_code),
                )
        from app.catalog import services  # service lines are performed (outcomes), never dispensed

        left = sum(
            1
            for code, in c.execute(
                "SELECT drug_code FROM rx_items WHERE client_id = ? AND dispensed < quantity", (d.prescription_id,)
            )
            if code not in services()
        )
        state = "partially_dispensed" if left else "dispensed"
        c.execute(
            "UPDATE prescriptions SET state = ?, updated_at = ? WHERE client_id = ?",
            (state, now, d.prescription_id),
        )
        if not left:
            c.execute("DELETE FROM claims WHERE client_id = ?", (d.prescription_id,))
        ExchangeDB.event(c, facility, "dispensed", d.id, d.prescription_id)
        done, units = Lookup.dispensed(c, d.prescription_id)
        packs = [
            {"line": it.line, "code": p.authenticity_code, "status": "genuine"}
            for it in d.items
            for p in it.packs
        ]
        return 201, task(
            "completed",
            key,
            SYS_DISP,
            d.id,
            {
                "receipt": receipt,
                "prescription": d.prescription_id,
                "prescriptionState": state,
                "dispensedLines": done,
                "dispensedQuantities": units,
                "packs": packs,  # TTAC's verdict on each pack, checked before it was accepted (9-2-7)
                "ttacReason": d.ttac_reason,
                "hid": rx_row[0],
                **insurers_of_hid(c, rx_row[0]),  # who pays: the client claims it under that insurer
                "trackingCode": rx_row[2],
                **self.lookup.rule_ids(d.prescription_id),  # rules results travel with it (9-2-6)
                "cost": cost.to_dict(),
                **result.to_dict(),
                "at": now,
            },
        )

    # ---- TTAC ----------------------------------------------------------------------------------------

    def ttac(self, code: str) -> dict[str, Any]:
        """A FHIR Medication for the pack, with `status` genuine | dispensed (unknown codes: 404)."""
        row = self.db.one(
            "SELECT drug_code, gtin, batch, expiry, dispensed_by, dispensed_at FROM packs WHERE code = ?",
            (code,),
        )
        if row is None:
            raise not_found("pack with authenticity code", "بسته با کد اصالت", code)
        status = "dispensed" if row[4] else ("expired" if row[3] < dt.date.today().isoformat() else "genuine")
        info = {
            "status": status,
            "drug": row[0],
            "gtin": row[1],
            "dispensedBy": row[4],
            "dispensedAt": row[5],
        }
        return {
            "resourceType": "Medication",
            "identifier": [
                {"system": "urn:ir:ttac", "value": code},
                {"system": "urn:oid:1.3.160", "value": row[1]},
            ],
            "code": {"coding": [{"system": "urn:noskhe:drug", "code": row[0]}]},
            "batch": {"lotNumber": row[2], "expirationDate": row[3]},
            "extension": [fhir.common.ext("ttac", valueString=json.dumps(info, ensure_ascii=False))],
        }
