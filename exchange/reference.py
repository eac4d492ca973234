"""Reference-data downloads and the financial statement.

    GET /reference/{catalog|rules|trustlist}   → {"kind", "version", "updatedAt", "data"}; ETag = version,
                                                 If-None-Match with the current version → 304
    GET /statement?from=YYYY-MM-DD&to=YYYY-MM-DD → the calling facility's registered visits (clinics) or
                                                 dispensings (pharmacies) in the period, with insurer and
                                                 patient shares and totals

Both are plain JSON, not FHIR: they are bulk documents the client caches whole (the catalog alone is
hundreds of drugs with prices), and FHIR would only wrap them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from app.costs import CostSplit
from exchange.db import ExchangeDB
from exchange.errors import ExchangeError, not_found

KINDS = ("catalog", "rules", "trustlist")


def reference(db: ExchangeDB, kind: str) -> tuple[str, dict[str, Any]]:
    if kind not in KINDS:
        raise not_found("reference data", "دادهٔ مرجع", kind)
    row = db.one("SELECT version, body, updated_at FROM reference WHERE kind = ?", (kind,))
    if row is None:
        raise not_found("reference data", "دادهٔ مرجع", kind)
    return row[0], {"kind": kind, "version": row[0], "updatedAt": row[2], "data": json.loads(row[1])}


def _day(text: str | None, default: dt.date) -> dt.date:
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ExchangeError(
            400, "malformed", f"{text!r} is not a date (YYYY-MM-DD).", f"«{text}» تاریخ نیست."
        ) from None


def statement(db: ExchangeDB, facility: str, start: str | None, end: str | None) -> dict[str, Any]:
    today = dt.date.today()
    first, last = _day(start, today.replace(day=1)), _day(end, today)
    lo, hi = first.isoformat(), (last + dt.timedelta(days=1)).isoformat()
    kind = (db.one("SELECT kind FROM facilities WHERE siam = ?", (facility,)) or ["?"])[0]
    if kind == "pharmacy":
        rows = db.all(
            "SELECT receipt, client_id, at, insurer_share, patient_share FROM dispensings"
            " WHERE facility = ? AND at >= ? AND at < ? ORDER BY at",
            (facility, lo, hi),
        )
        lines = [
            {"receipt": r[0], "prescription": r[1], "at": r[2], "insurer": r[3], "patient": r[4]}
            for r in rows
        ]
    else:
        rows = db.all(
            "SELECT tracking_code, client_id, registered_at, insurer_share, patient_share, state FROM prescriptions"
            " WHERE facility = ? AND registered_at >= ? AND registered_at < ? ORDER BY registered_at",
            (facility, lo, hi),
        )
        lines = [
            {
                "trackingCode": r[0],
                "prescription": r[1],
                "at": r[2],
                "insurer": r[3],
                "patient": r[4],
                "state": r[5],
            }
            for r in rows
        ]
        from exchange.visits import statement_lines  # the visits registered (9-1 steps 7 and 8)

        lines = sorted(lines + statement_lines(db, facility, lo, hi), key=lambda x: str(x["at"]))
    return {
        "facility": facility,
        "kind": kind,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "lines": lines,
        "totals": {"count": len(lines), **CostSplit.sum(CostSplit.from_dict(x) for x in lines).to_dict()},
    }
