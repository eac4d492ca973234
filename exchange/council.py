"""The medical council's member search (national rules section 8-12), as the reference exchange answers it
from its seeded council data (`exchange.seed.COUNCIL`; `POST /admin/council` changes a member's status):

    GET /council/{number}   Practitioner with the licence status, name, specialty, since when the status
                            holds and when the council answered (`sync.fhir.council`); 404 `not-found` for a
                            number no member has
"""

from __future__ import annotations

from typing import Any

from app.errors import InvalidIdentifier
from app.identifiers import MedicalCouncilNumber
from app.services.council import CouncilAnswer
from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError, malformed
from sync.fhir.council import council_resource


def inquire(db: ExchangeDB, number: str) -> dict[str, Any]:
    """The council's answer about member `number` as a Practitioner. Raises `ExchangeError` 400 for a
    number that is not one, 404 `not-found` when no member has it."""
    try:
        value = MedicalCouncilNumber.parse(number).value
    except InvalidIdentifier as exc:
        raise malformed(exc.en) from None
    row = db.one("SELECT number, name, status, specialty FROM council WHERE number = ?", (value,))
    if row is None:
        raise ExchangeError(
            404,
            "not-found",
            f"No medical council member has number {value}.",
            f"هیچ عضو نظام پزشکی شمارهٔ {value} را ندارد.",
            number=value,
        )
    since = db.one(
        "SELECT max(at) FROM events WHERE kind IN ('suspended', 'reinstated') AND subject = ?", (value,)
    )[0]
    return council_resource(
        CouncilAnswer(
            number=row[0],
            status=row[2],
            checked_at=utcnow(),
            name=row[1],
            specialty=row[3],
            since=since or "",
        )
    )


__all__ = ["inquire"]
