"""An answer the exchange gives instead of a result: an HTTP status and an OperationOutcome."""

from __future__ import annotations

from typing import Any

from sync.fhir.common import outcome


class ExchangeError(Exception):
    """`status` is the HTTP status; `code` a stable machine code; `details` travel to the client as JSON."""

    def __init__(self, status: int, code: str, en: str, fa: str, **details: Any) -> None:
        super().__init__(en)
        self.status, self.code, self.en, self.fa, self.details = status, code, en, fa, details

    def body(self) -> dict[str, Any]:
        return outcome(self.status, self.code, self.en, self.fa, self.details or None)


def already_dispensed(
    en: str,
    fa: str,
    *,
    prescription: str,
    facility: str,
    facility_name: str | None,
    pharmacist: str,
    at: str,
    lines: list[int],
    state: str,
    dispensed_lines: list[int],
    dispensed_quantities: dict[str, int] | None = None,
) -> ExchangeError:
    """The 409 a second dispensing gets: who dispensed, where, when, which lines — one shape for clients.
    `dispensed_lines` are the lines handed over in full, `dispensed_quantities` the units handed over per
    line (line number as text → units), partial lines included."""
    return ExchangeError(
        409,
        "already-dispensed",
        en,
        fa,
        facility=facility,
        facility_name=facility_name,
        pharmacist=pharmacist,
        at=at,
        lines=lines,
        state=state,
        dispensedLines=dispensed_lines,
        dispensedQuantities=dispensed_quantities or {},
        prescription=prescription,
    )


def malformed(what: str) -> ExchangeError:
    return ExchangeError(400, "malformed", f"Malformed request: {what}.", f"درخواست نادرست است: {what}.")


def not_found(what_en: str, what_fa: str, key: str) -> ExchangeError:
    return ExchangeError(
        404, "not-found", f"No {what_en} {key!r} at the exchange.", f"{what_fa} «{key}» در سامانه نیست."
    )
