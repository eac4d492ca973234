"""Conflicts name the time as people read it — Iran time, Jalali in Persian — never UTC ISO."""

from __future__ import annotations

import re

from app.services.dispensing import DispenseLine
from tests.exchange.test_dispensing import drain, ph1, registered  # noqa: F401  (fixtures)

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
ENGLISH = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
PERSIAN = re.compile(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2} [۰-۹]{2}:[۰-۹]{2}")


def test_a_refused_cancellation_says_when_it_was_dispensed_in_iran_time(
    clinic, clinic_client, clinic_ws, ph1, registered  # noqa: F811
) -> None:
    from app.services.outbox import Outbox
    from app.services.prescribing import cancel_prescription

    ph1.fetch(registered)
    ph1.dispense(registered.id, [DispenseLine(2)])
    drain(ph1.store, ph1.client)
    cancel_prescription(clinic_ws, registered.id)
    assert drain(clinic, clinic_client).conflicts == 1
    item = Outbox(clinic).attention()[0]
    assert ENGLISH.search(item.reason_en) and not ISO.search(item.reason_en), item.reason_en
    assert "+00:00" not in item.reason_en + item.reason_fa
    assert PERSIAN.search(item.reason_fa), item.reason_fa
