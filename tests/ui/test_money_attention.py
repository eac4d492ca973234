"""The desktop's attention panel lists a dispensing charged at an estimate the exchange priced otherwise
(issue 9, point 1): what the patient was charged, what they owe, what to do; acknowledging closes it.
A real exchange process, the pharmacy's SQLCipher store and PKCS#12 signers, offscreen Qt."""

from __future__ import annotations

from app.domain import DispensedPack
from app.services.dispensing import DispenseLine
from app.services.prescribing import ItemRequest, write_prescription
from printing.paper import print_prescription
from printing.pharmacy import read_paper
from sync.counter import dispense
from tests.e2e.test_money_after import EXTRA, typed
from tests.ui.test_pharmacy_counter import (  # noqa: F401
    PHARMACIST_SECRET,
    others,
    pharmacy_ws,
)
from ui.pharmacy.attention import AttentionPanel


def test_the_attention_panel_lists_a_split_that_differs_from_what_was_charged(
    qtbot,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
    exchange,
    open_window,
    logged_in,
    tmp_path,
) -> None:
    clinic = others["clinic"]
    exchange.faults(outage=True)
    try:
        rx = write_prescription(clinic, patient=typed(EXTRA), items=[ItemRequest("101002", 21, "هر ۸ ساعت")])
        printed = print_prescription(clinic.store, rx.id, tmp_path / "p.pdf", signer=clinic.user_signer)
        pack = DispensedPack(exchange.ttac_codes("101002", 1)[0])
        done = dispense(
            pharmacy_ws,
            paper=lambda: read_paper(pharmacy_ws, [printed.payload]),
            lines=[DispenseLine(1, packs=(pack,))],
            offline=True,
        )
    finally:
        exchange.faults(outage=False)
    assert done.dispensing.cost.insurer == 0
    clinic.sync.probe()
    clinic.sync.run()
    pharmacy_ws.sync.probe()
    assert pharmacy_ws.sync.run().done == 1

    window = logged_in(open_window(pharmacy_ws), PHARMACIST_SECRET)
    panel = window.desk.open_attention()
    assert isinstance(panel, AttentionPanel)
    qtbot.waitUntil(lambda: bool(panel.items), timeout=15000)
    (item,) = panel.items
    assert item.code == "split-differs" and item.prescription_id == rx.id
    from app.text import to_ascii_digits

    charged = done.dispensing.cost.patient
    owes = pharmacy_ws.store.results.get(f"disp:{done.dispensing.id}", "receipt")["cost"]["patient"]
    panel.table.setCurrentCell(0, 0)
    detail = to_ascii_digits(panel.detail.text()).replace("٬", ",")
    assert f"از بیمار {charged:,} ریال گرفته شد ولی سهم او {owes:,} ریال است" in detail, detail
    assert "پرداخته است" in detail and "تأیید کنید" in detail  # by how much, and what to do
    panel.ack_button.click()
    qtbot.waitUntil(lambda: not panel.items, timeout=15000)
    assert not pharmacy_ws.store.outbox.attention()
    window.light.timer.stop()
