"""Reading prescriptions at the exchange: status (with who dispensed what, when), lookup by id or
tracking code, the pharmacies' search, and the 409 answers that name who holds or dispensed a prescription."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from app.timefmt import format_times
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError, already_dispensed, not_found
from exchange.idempotency import passing
from sync.fhir.common import ext

OPEN_STATES = ("registered", "partially_dispensed")


class Lookup:
    def __init__(self, db: ExchangeDB) -> None:
        self.db = db

    @staticmethod
    def dispensed_conflict(c: sqlite3.Connection, rx_id: str, what_en: str, what_fa: str) -> None:
        row = c.execute(
            "SELECT d.facility, d.pharmacist, d.at, d.lines, f.name FROM dispensings d"
            " LEFT JOIN facilities f ON f.siam = d.facility WHERE d.client_id = ? ORDER BY d.at LIMIT 1",
            (rx_id,),
        ).fetchone()
        if row is not None:
            state = c.execute("SELECT state FROM prescriptions WHERE client_id = ?", (rx_id,)).fetchone()[0]
            done, units = Lookup.dispensed(c, rx_id)
            at_en, at_fa = format_times(row[2])  # people read Iran time; `at` stays ISO for machines
            raise already_dispensed(
                f"{what_en}: it was dispensed by {row[4] or row[0]} at {at_en}.",
                f"{what_fa}: در {row[4] or row[0]} در {at_fa} پیچیده شده است.",
                prescription=rx_id,
                facility=row[0],
                facility_name=row[4],
                pharmacist=row[1],
                at=row[2],
                lines=json.loads(row[3]),
                state=state,
                dispensed_lines=done,
                dispensed_quantities=units,
            )

    @staticmethod
    def dispensed(c: sqlite3.Connection, rx_id: str) -> tuple[list[int], dict[str, int]]:
        """The lines of `rx_id` handed over in full, and the units handed over per line (line number as
        text → units; lines with none left out)."""
        rows = c.execute(
            "SELECT line, quantity, dispensed FROM rx_items WHERE client_id = ? ORDER BY line", (rx_id,)
        ).fetchall()
        return [r[0] for r in rows if r[2] >= r[1]], {str(r[0]): r[2] for r in rows if r[2]}

    @staticmethod
    def claimed_conflict(c: sqlite3.Connection, rx_id: str, facility: str | None, en: str, fa: str) -> None:
        row = c.execute(
            "SELECT facility, claimed_at, expires_at FROM claims WHERE client_id = ?", (rx_id,)
        ).fetchone()
        if row is not None and row[2] > dt.datetime.now().timestamp() and row[0] != facility:
            name = c.execute("SELECT name FROM facilities WHERE siam = ?", (row[0],)).fetchone()
            since_en, since_fa = format_times(row[1])
            raise passing(
                ExchangeError(
                    409,
                    "claimed",
                    f"{en}: pharmacy {name[0] if name else row[0]} is dispensing it (since {since_en}).",
                    f"{fa}: داروخانهٔ {name[0] if name else row[0]} از {since_fa} در حال پیچیدن آن است.",
                    facility=row[0],
                    facility_name=name[0] if name else None,
                    at=row[1],
                )
            )

    def status(self, rx_id: str) -> dict[str, Any]:
        row = self.db.one(
            "SELECT tracking_code, hid, version, state, facility FROM prescriptions WHERE client_id = ?",
            (rx_id,),
        )
        if row is None:
            raise not_found("prescription", "نسخه", rx_id)
        disp = self.db.all(
            "SELECT d.receipt, d.facility, f.name, d.pharmacist, d.at, d.lines, d.ttac_reason FROM dispensings d"
            " LEFT JOIN facilities f ON f.siam = d.facility WHERE d.client_id = ? ORDER BY d.at",
            (rx_id,),
        )
        lines, units = self.dispensed(self.db.conn(), rx_id)
        refused = self.db.all(
            "SELECT e.facility, f.name, e.at, e.detail FROM events e LEFT JOIN facilities f ON f.siam = e.facility"
            " WHERE e.kind = 'refused' AND e.subject = ? ORDER BY e.seq",
            (rx_id,),
        )
        return {
            "id": rx_id,
            "trackingCode": row[0],
            "hid": row[1],
            "version": row[2],
            "state": row[3],
            "facility": row[4],
            "dispensedLines": lines,
            "dispensedQuantities": units,
            # the rule-approval ids issued at registration: a pharmacy's dispensing carries them (9-2-6)
            **self.rule_ids(rx_id),
            "dispensings": [
                {
                    "receipt": d[0],
                    "facility": d[1],
                    "facility_name": d[2],
                    "pharmacist": d[3],
                    "at": d[4],
                    "lines": json.loads(d[5]),
                    # packs handed over without TTAC codes or checks, and why
                    **({"ttacReason": d[6]} if d[6] else {}),
                }
                for d in disp
            ],
            # who else tried and was refused (a second pharmacy, a late edit): both ends see the conflict
            "conflicts": [
                {"facility": r[0], "facility_name": r[1], "at": r[2], "code": json.loads(r[3]).get("code")}
                for r in refused
            ],
        }

    def rule_ids(self, rx_id: str) -> dict[str, Any]:
        """`{"ruleApprovalId", "itemRuleApprovalIds": {"<line>": id}}`: the rule-approval ids issued when
        `rx_id` was registered (9-1 step 4), the prescription's and each line's."""
        row = self.db.one("SELECT rule_approval_id FROM prescriptions WHERE client_id = ?", (rx_id,))
        items = self.db.all("SELECT line, rule_approval_id FROM rx_items WHERE client_id = ?", (rx_id,))
        return {"ruleApprovalId": row[0] if row else None, "itemRuleApprovalIds": {str(k): v for k, v in items}}

    def statuses(self, ids: list[str], issuer: str | None = None) -> list[dict[str, Any]]:
        """The status of each known prescription among `ids` (unknown ids are left out); with `issuer`, only
        those that facility issued (the others are left out as unknown)."""
        known = [
            i
            for i in ids
            if (row := self.db.one("SELECT facility FROM prescriptions WHERE client_id = ?", (i,)))
            and (issuer is None or row[0] == issuer)
        ]
        return [self.status(i) for i in known]

    def own(self, facility: str, rx_id: str) -> None:
        """Raise `ExchangeError` 403 `not-yours` unless `facility` issued prescription `rx_id`."""
        row = self.db.one("SELECT facility FROM prescriptions WHERE client_id = ?", (rx_id,))
        if row is None or row[0] != facility:
            raise ExchangeError(
                403,
                "not-yours",
                "This prescription was issued by another facility.",
                "این نسخه را مرکز دیگری صادر کرده است.",
            )

    def resolve(self, ref: str) -> str:
        """A client prescription id from an id or a tracking code."""
        row = self.db.one(
            "SELECT client_id FROM prescriptions WHERE client_id = ? OR tracking_code = ?", (ref, ref)
        )
        if row is None:
            raise not_found("prescription", "نسخه", ref)
        return row[0]

    def search(self, facility: str, field: str, value: str, *, own_only: bool = False) -> dict[str, Any]:
        """A searchset Bundle of open prescriptions (registered, partly dispensed) matching one key; with
        `own_only` (a clinic asking), only those `facility` issued. Every search is logged (`access_log`)."""
        where = {"hid": "hid = ?", "tracking": "tracking_code = ?"}.get(field)
        args: tuple[Any, ...] = (value,)
        if where is None:
            where, args = "patient_kind = ? AND patient_value = ?", (field, value)
        if own_only:
            where, args = f"{where} AND facility = ?", (*args, facility)
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
