"""A prescriber the medical council's kept answer says is suspended (issue 9, point 6, as a tester found it):
offline, his paper does not verify "valid" and is not dispensed, as with the trust list's suspensions.

Against a real exchange process on loopback, SQLCipher stores and PKCS#12 signers."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.council import CouncilAnswer
from app.services.dispensing import DispenseLine, NotDispensable
from printing.payload import PaperSignatureError
from printing.pharmacy import paper_verdict, read_paper, verify_paper
from sync.counter import dispense
from tests.e2e.test_right_at_the_counter import paper_of, registered, shelf, world  # noqa: F401


def test_a_kept_suspended_verdict_refuses_the_paper_offline(world) -> None:  # noqa: F811
    ex, sites = world
    rx = registered(sites)
    clinic, pharmacy = sites["clinic"], sites["noskhe-pharmacy"]
    qr = paper_of(rx, clinic.user_signer())
    number = rx.prescriber.medical_council_number
    now = dt.datetime.now(dt.UTC).isoformat()
    pharmacy.store.council.keep(number, CouncilAnswer(number, "suspended", now, since="2026-01-01").to_dict())
    ex.faults(outage=True)  # offline: only what is kept here
    with pytest.raises(PaperSignatureError, match="suspended") as exc:
        verify_paper(pharmacy, [qr])
    assert exc.value.details["reason"] == "prescriber-suspended"
    assert paper_verdict(pharmacy, [qr]).verdict == "prescriber-suspended"
    with pytest.raises((PaperSignatureError, NotDispensable), match="suspended"):
        dispense(
            pharmacy, paper=lambda: read_paper(pharmacy, [qr]),
            lines=[DispenseLine(1, packs=shelf(ex, rx, 1))], offline=True,
        )
    assert pharmacy.store.outbox.counts()["pending"] == 0
