"""Generic substitution at the desktop counter (issue 12, item 2), against the reference exchange and real
SQLCipher: each line offers the products of its interchangeable group (the prescribed one first, then the
brands with their prices); a brand chosen is priced at its own price by the rules before signing, its pack
checked for it, and the dispensing registered with the product handed over beside the prescribed one; a
pack scanned whose TTAC drug is a product of the line's group switches the line to that product; a line the
prescriber marked "no substitution" offers nothing else."""

import subprocess

import pytest

from app.services.prescribing import ItemRequest, write_prescription
from exchange import seed
from tests.ui.test_pharmacy_counter import (  # noqa: F401
    PHARMACIST_SECRET,
    others,
    pharmacy_ws,
    scan,
    settled,
)
from ui.common import paper
from ui.pharmacy.counter import CounterView

AMOXICILLIN, FARABI, DANA = "101002", "190001", "190002"
IBUPROFEN, BRUFEN = "103011", "190006"


def _prescribed(clinic, items):
    from tests.e2e.test_rules import patient

    rx = write_prescription(
        clinic,
        patient=patient(seed.demo_patients(1)[0]["value"]),
        items=[ItemRequest.parse(t) for t in items],
    )
    assert clinic.sync.drainer.drain().done == 1
    return clinic.store.get_prescription(rx.id)


@pytest.fixture
def counter_for(qtbot, pharmacy_ws, open_window, logged_in):  # noqa: F811
    def open_counter(rx):
        window = logged_in(open_window(pharmacy_ws), PHARMACIST_SECRET)
        qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
        desk = window.desk
        desk.show_retrieve()
        scan(desk.retrieve.value, rx.tracking_code)
        scan(desk.retrieve.patient_code, rx.patient.id.value)  # 9-2 step 4: the patient's code is asked
        qtbot.waitUntil(lambda: [r.id for r in desk.retrieve.found] == [rx.id], timeout=15000)
        desk.retrieve.open_selected()
        counter = window.current_page()
        assert isinstance(counter, CounterView)
        qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)
        return counter

    return open_counter


def test_a_brand_chosen_for_a_line_and_a_line_that_forbids_it(
    qtbot,
    tmp_path,
    monkeypatch,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
    exchange,
    counter_for,
):
    rx = _prescribed(others["clinic"], ["101002:21:هر ۸ ساعت", "103011!:10:بعد از غذا"])
    counter = counter_for(rx)
    assert counter.products(1) == [AMOXICILLIN, FARABI, DANA, "190003"]
    assert counter.products(2) == [IBUPROFEN]  # the prescriber forbade substitution
    box1, box2 = (counter.lines.cellWidget(counter._row_of(n), 7) for n in (1, 2))
    assert box1.isEnabled() and not box2.isEnabled() and "جایگزینی" in box2.toolTip()
    assert "تجویزشده" in box1.itemText(0) and "فارابی" in box1.itemText(1) and "۲۱٬۰۰۰" in box1.itemText(1)

    counter.set_product(1, FARABI)
    counter.set_quantity(2, 0)
    qtbot.waitUntil(
        lambda: counter.verdict is not None and 1 in counter.verdict.result.costs
        and counter.verdict.result.costs[1].total == 21 * 21_000,
        timeout=15000,
    )  # fmt: skip
    assert counter.verdict.online and not counter.verdict.result.rejected

    # the pack of the brand is checked for the brand
    counter.select_line(1)
    scan(counter.pack_field, exchange.ttac_codes(FARABI, 1)[0])
    settled(qtbot, counter)
    assert [(p.line, p.check.status) for p in counter.state.packs] == [(1, "genuine")]
    qtbot.wait(400)
    counter.dispense()
    qtbot.waitUntil(lambda: counter.state.last is not None or counter.error.isVisible(), timeout=20000)
    assert counter.error.isHidden(), counter.error.text()
    d = counter.state.last.dispensing
    assert [(i.line, i.drug_code, i.prescribed_code) for i in d.items] == [(1, FARABI, AMOXICILLIN)]
    assert d.state == "registered" and d.cost.insurer + d.cost.patient == 21 * 21_000
    assert "۱۹۰۰۰۱" in counter.result.text()

    # the receipt names the product handed over, and that it stands for the prescribed drug
    saved = tmp_path / "receipt.pdf"
    monkeypatch.setattr(paper.SaveDialog, "ask", classmethod(lambda cls, *a: saved))
    counter.save_button.click()
    qtbot.waitUntil(lambda: saved.exists() and saved.stat().st_size > 1000, timeout=15000)
    text = subprocess.run(["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True).stdout
    assert "۱۹۰۰۰۱" in text or "190001" in text


def test_a_scanned_pack_of_a_brand_switches_the_line_to_it(
    qtbot,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
    exchange,
    counter_for,
):
    rx = _prescribed(others["clinic"], ["103011:10:بعد از غذا", "101002!:21:هر ۸ ساعت"])
    counter = counter_for(rx)
    counter.select_line(1)
    scan(counter.pack_field, exchange.ttac_codes(BRUFEN, 1)[0])  # Brufen, a brand of ibuprofen 400
    settled(qtbot, counter)
    assert counter.product_of(1) == BRUFEN
    assert [(p.line, p.check.status) for p in counter.state.packs] == [(1, "genuine")]
    # a brand of amoxicillin on the line that forbids substitution is refused, not swapped
    counter.select_line(2)
    scan(counter.pack_field, exchange.ttac_codes(FARABI, 1)[0])
    settled(qtbot, counter)
    assert counter.product_of(2) == AMOXICILLIN and counter.state.packs[-1].check.status == "wrong-drug"
    counter.pack_list.setCurrentRow(1)
    counter.remove_pack.click()
    counter.set_quantity(2, 0)
    qtbot.wait(400)
    counter.dispense()
    qtbot.waitUntil(lambda: counter.state.last is not None or counter.error.isVisible(), timeout=20000)
    assert counter.error.isHidden(), counter.error.text()
    (item,) = counter.state.last.dispensing.items
    assert (item.drug_code, item.prescribed_code) == (BRUFEN, IBUPROFEN)
    assert len(item.packs) == 1 and counter.state.last.dispensing.state == "registered"
