"""A dispensing the exchange refuses (issue 9, points 4 and 6, as a tester found them): it does not hold back
the next dispensing of the same prescription.

Against a real exchange process on loopback, SQLCipher stores and PKCS#12 signers."""

from __future__ import annotations

from app.domain import DispensedPack
from app.services.dispensing import DispenseLine
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.e2e.test_right_at_the_counter import UNKNOWN_PACK, registered, shelf, world  # noqa: F401


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
