"""A dispensing the exchange refuses (issue 9, points 4 and 6, as a tester found them): it does not hold back
the next dispensing of the same prescription, its units are given back, and the copy learns at the status
pull what the exchange knows of the prescription.

Against a real exchange process on loopback, SQLCipher stores and PKCS#12 signers."""

from __future__ import annotations

from app.domain import DispensedPack
from app.services.dispensing import DispenseLine
from printing.pharmacy import read_paper
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.e2e.test_right_at_the_counter import (  # noqa: F401
    UNKNOWN_PACK,
    paper_of,
    registered,
    shelf,
    world,
)


def test_a_rejected_dispensing_does_not_hold_back_the_next_one(world) -> None:  # noqa: F811
    ex, sites = world
    rx = registered(sites)
    pharmacy = sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    bad = dispense(
        pharmacy, ref=rx.id, lines=[DispenseLine(1, packs=(DispensedPack(UNKNOWN_PACK),))], offline=True
    )
    assert pharmacy.sync.run().rejected == 1
    assert pharmacy.store.get_dispensing(bad.dispensing.id).state == "rejected"
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    good = dispense(pharmacy, ref=rx.id, lines=[DispenseLine(2, packs=shelf(ex, rx, 2))], offline=True)
    report = pharmacy.sync.run()
    assert report.done == 1, report
    assert pharmacy.store.get_dispensing(good.dispensing.id).state != "queued"


def test_a_rejected_paper_dispensing_gives_its_units_back_and_the_copy_learns_its_tracking_code(
    world,  # noqa: F811
) -> None:
    ex, sites = world
    rx = registered(sites)
    clinic, pharmacy = sites["clinic"], sites["noskhe-pharmacy"]
    qr = paper_of(rx, clinic.user_signer())
    units = rx.items[0].quantity
    bad = dispense(
        pharmacy, paper=lambda: read_paper(pharmacy, [qr]),
        lines=[DispenseLine(1, packs=(DispensedPack(UNKNOWN_PACK),))], offline=True,
    )
    assert bad.from_paper and pharmacy.store.get_prescription(rx.id).dispensed_of(1) == units
    assert pharmacy.sync.run().rejected == 1
    pharmacy.sync.run()  # the status pull
    kept = pharmacy.store.get_prescription(rx.id)
    assert kept.dispensed_of(1) == 0 and kept.state.value in ("signed", "registered"), kept.state
    assert kept.tracking_code == rx.tracking_code and kept.hid == rx.hid
    good = dispense(pharmacy, ref=rx.id, lines=[DispenseLine(1, packs=shelf(ex, rx, 1))])
    assert good.dispensing.state != "rejected"
    assert pharmacy.store.get_prescription(rx.id).dispensed_of(1) == units
