"""What a tester found at the desktop counter (issue 12), on the real path — the reference exchange, real
SQLCipher, the pharmacy window offscreen: a failed or new retrieval never leaves the last patient's
prescriptions to be opened, and an offline one says a retrieval needs the exchange (scan the paper) and
turns the light offline; the prescription's interaction is shown at the counter, overridden by the
prescriber with his reason; a prescription's lab and physiotherapy lines are shown read-only, for the
centre that performs them, and never dispensed or paid by the pharmacy (the counter and `noskhe dispense`
alike)."""

import pytest

from app.services.dispensing import DispenseLine, open_lines
from app.services.prescribing import ItemRequest, write_prescription
from exchange import seed
from tests.sync import harness
from tests.ui.test_pharmacy_counter import (  # noqa: F401
    PHARMACIST_SECRET,
    others,
    pharmacy_ws,
    scan,
)
from ui.pharmacy.counter import PRODUCT_COLUMN, CounterView

OPIOID_AND_BENZO = [ItemRequest("103042", 10, "در صورت درد شدید"), ItemRequest("108033", 10, "شب‌ها")]
REASON = "بیمار تحت نظر متخصص درد است؛ دوز کم و کوتاه‌مدت"


def _patient(n=0):
    from tests.e2e.test_rules import patient

    return patient(seed.demo_patients(n + 1)[n]["value"])


def _written(clinic, items, *, n=0, reason=None):
    rx = write_prescription(clinic, patient=_patient(n), items=items, override_reason=reason)
    assert clinic.sync.drainer.drain().done >= 1
    return clinic.store.get_prescription(rx.id)


@pytest.fixture
def desk(qtbot, pharmacy_ws, open_window, logged_in):  # noqa: F811
    window = logged_in(open_window(pharmacy_ws), PHARMACIST_SECRET)
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
    window.desk.show_retrieve()
    return window


def _counter(qtbot, window, rx):
    retrieve = window.desk.retrieve
    scan(retrieve.value, rx.tracking_code)
    scan(retrieve.patient_code, rx.patient.id.value)  # 9-2 step 4: the patient's code is asked
    qtbot.waitUntil(lambda: [r.id for r in retrieve.found] == [rx.id], timeout=15000)
    retrieve.open_selected()
    counter = window.current_page()
    assert isinstance(counter, CounterView)
    qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)
    return counter


def test_a_failed_or_new_retrieval_clears_the_last_patients_prescriptions(
    qtbot,
    desk,
    others,  # noqa: F811
    exchange,
):
    clinic = others["clinic"]
    (rx,) = harness.write_many(clinic, 1)
    assert clinic.sync.drainer.drain().done == 1
    retrieve = desk.desk.retrieve
    scan(retrieve.value, rx.patient.id.value)
    qtbot.waitUntil(lambda: [r.id for r in retrieve.found] == [rx.id], timeout=15000)
    assert retrieve.table.rowCount() == 1

    # a national code with a wrong check digit: refused, and the last patient's list is gone
    retrieve.value.clear()
    scan(retrieve.value, "5481536861")
    qtbot.waitUntil(lambda: not retrieve.busy, timeout=15000)
    assert retrieve.found == [] and retrieve.table.rowCount() == 0
    assert retrieve.status.text()

    # found again, then the exchange goes away: offline, nothing listed, the light follows
    retrieve.value.clear()
    scan(retrieve.value, rx.patient.id.value)
    qtbot.waitUntil(lambda: retrieve.table.rowCount() == 1, timeout=15000)
    with harness.exchange_down(exchange):
        retrieve.value.clear()
        scan(retrieve.value, "5481536862")
        assert retrieve.table.rowCount() == 0  # cleared as the new search starts
        qtbot.waitUntil(lambda: not retrieve.busy, timeout=30000)
        assert retrieve.found == [] and retrieve.table.rowCount() == 0
        text = retrieve.status.text()
        assert "QR" in text and "صف" not in text, text
        qtbot.waitUntil(lambda: desk.sync.state == "offline", timeout=15000)


def test_the_prescriptions_interaction_and_the_prescribers_reason_at_the_counter(
    qtbot,
    desk,
    others,  # noqa: F811
):
    rx = _written(others["clinic"], OPIOID_AND_BENZO, n=2, reason=REASON)
    assert rx.override_reason == REASON
    counter = _counter(qtbot, desk, rx)
    found = counter.verdict.result.findings
    interaction = [f for f in found if f.code == "interaction"]
    assert interaction and all(f.overridden for f in interaction if f.level == "rejection")
    assert not counter.verdict.result.rejected  # shown, never blocking: the prescriber overrode it
    text = counter.rules_list.text()
    assert "پزشک با ذکر دلیل تأیید کرده است" in text and REASON in text
    assert counter.rules_summary.text() != desk.host.words("rules_clear")
    assert counter.dispense_button.isEnabled()


SERVICES = [
    ItemRequest("101002", 20, "هر ۸ ساعت"),
    ItemRequest.parse_service("801010"),
    ItemRequest.parse_service("601010:5"),
]


def test_service_lines_are_read_only_at_the_counter_and_never_dispensed(
    qtbot,
    desk,
    others,  # noqa: F811
    exchange,
):
    rx = _written(others["clinic"], SERVICES, n=1)
    assert [it.is_service for it in rx.items] == [False, True, True]
    counter = _counter(qtbot, desk, rx)
    w = desk.host.words
    assert set(counter.quantities()) == {1}  # only the drug line has units to hand over
    assert [ln.line for ln in counter.dispense_lines()] == [1]
    for line, kind in ((2, "lab"), (3, "physio")):
        row = counter._row_of(line)
        assert counter.lines.item(row, PRODUCT_COLUMN).text() == w("ph_service_for_" + kind)
        assert counter.lines.cellWidget(row, 5) is None
    counter.select_line(2)
    assert counter.selected_line() == 1  # a pack scanned goes to a drug line, never a service
    # the preview's money is the drug line's only
    assert set(counter.verdict.result.costs) == {1}

    # the drug line without a pack: a reason is asked for line 1 only, and the dispensing holds line 1
    counter.dispense()
    assert "۱" in counter.error.text() and "۲" not in counter.error.text()
    counter.ttac_reason.setText("برچسب پاره")
    counter.dispense()
    qtbot.waitUntil(lambda: counter.state.last is not None, timeout=30000)
    d = counter.state.last.dispensing
    assert [it.line for it in d.items] == [1]
    drug_cost = rx.items[0].cost
    assert d.cost.insurer + d.cost.patient <= drug_cost.insurer + drug_cost.patient
    qtbot.waitUntil(lambda: counter.rx.fully_dispensed, timeout=15000)
    assert not counter.dispense_button.isEnabled()


def test_noskhe_dispense_hands_over_the_drug_lines_only(others, exchange):  # noqa: F811
    from app.errors import NoskheError
    from sync.counter import dispense
    from sync.retrieve import retrieve_prescriptions

    rx = _written(others["clinic"], SERVICES, n=1)
    ph = others["pharmacy-2"]
    retrieve_prescriptions(ph, key="tracking", value=rx.tracking_code)
    kept = ph.store.get_prescription(rx.id)
    assert [ln.line for ln in open_lines(kept)] == [1]
    with pytest.raises(NoskheError) as refused:  # a service line named: refused before any token
        dispense(ph, ref=rx.id, lines=[DispenseLine(2, 1)], ttac_reason="label torn")
    assert "service" in refused.value.en
    done = dispense(ph, ref=rx.id, all_lines=True, ttac_reason="label torn")
    assert [it.line for it in done.dispensing.items] == [1]
    assert done.prescription.fully_dispensed


def test_a_dispensing_the_exchange_refused_is_shown_but_never_counted(
    qtbot,
    desk,
    others,  # noqa: F811
    exchange,
):
    from app.services.dashboard import dashboard
    from app.services.history import HistoryFilter, history, totals
    from sync.counter import dispense
    from sync.retrieve import retrieve_prescriptions
    from sync.status import sync_status
    from ui.common.syncpanel import SyncPanel

    ws, clinic, other = desk.host.ws, others["clinic"], others["pharmacy-2"]
    rx1, rx2 = harness.write_many(clinic, 2)
    assert clinic.sync.drainer.drain().done == 2
    for rx in (rx1, rx2):
        tracking = clinic.store.get_prescription(rx.id).tracking_code
        retrieve_prescriptions(ws, key="tracking", value=tracking)
    retrieve_prescriptions(other, key="tracking", value=clinic.store.get_prescription(rx2.id).tracking_code)
    mine = dispense(ws, ref=rx1.id, all_lines=True, ttac_reason="بسته بدون برچسب").dispensing
    theirs = dispense(other, ref=rx2.id, all_lines=True, ttac_reason="بسته بدون برچسب").dispensing
    lost = dispense(ws, ref=rx2.id, all_lines=True, offline=True, ttac_reason="بسته بدون برچسب").dispensing
    qtbot.waitUntil(lambda: ws.store.get_dispensing(lost.id).state == "conflict", timeout=30000)
    mine = ws.store.get_dispensing(mine.id)
    assert mine.state == "registered" and theirs.state == "registered"

    # history: both listed, the refused one marked with no money, and left out of the totals
    rows = history(ws, HistoryFilter.today())
    by_id = {r.id: r for r in rows}
    assert set(by_id) == {mine.id, lost.id}
    assert by_id[lost.id].refused and by_id[lost.id].insurer_share == by_id[lost.id].patient_share == 0
    assert totals(rows) == {"count": 1, "insurer": mine.cost.insurer, "patient": mine.cost.patient}
    # the dashboard: one dispensing today, its money only; "queued now" is the status bar's count
    d = dashboard(ws, days=1)
    assert sum(x.dispensings for x in d.days) == 1
    assert (d.insurer_total, d.patient_total) == (mine.cost.insurer, mine.cost.patient)
    assert d.queued_now == sync_status(ws.store).counts.get("pending", 0)

    # the history page says the same
    pages = desk.desk.reports
    desk.show_page(pages.history)
    before = pages.history.loaded
    pages.history.show_today()
    qtbot.waitUntil(lambda: pages.history.loaded > before, timeout=15000)
    w = desk.host.words
    assert w("disp_state_conflict") in [
        pages.history.table.item(r, 3).text() for r in range(pages.history.table.rowCount())
    ]
    assert pages.history.summary.text().startswith(w("rep_totals", count=1, insurer="", patient="")[:4])
    assert w.rials(mine.cost.insurer) in pages.history.summary.text()

    # F9: the dispensing named by its prescription's tracking code and patient; the action whole in the
    # tooltip; a double-click opens its counter, which shows the conflict and links the panel
    panel = desk.open_sync_panel()
    assert isinstance(panel, SyncPanel)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and bool(panel.subjects), timeout=15000)
    tracking2 = ws.store.get_prescription(rx2.id).tracking_code
    subject = panel.table.item(0, 3).text()
    assert "disp:" not in subject and w.number(tracking2) in subject and rx2.patient.last_name in subject
    assert panel.table.item(0, 5).toolTip() == panel.table.item(0, 5).text() != ""
    panel.table.setCurrentCell(0, 0)
    panel.table.doubleClicked.emit(panel.table.model().index(0, 0))
    counter = desk.current_page()
    assert isinstance(counter, CounterView) and counter.rx_id == rx2.id
    qtbot.waitUntil(lambda: counter.conflict.isVisible(), timeout=15000)
    assert devworld_pharmacy_2_name() in counter.conflict.text()
    counter.conflict.linkActivated.emit("attention")
    from ui.pharmacy.attention import AttentionPanel

    assert isinstance(desk.current_page(), AttentionPanel)
    desk.light.timer.stop()


def devworld_pharmacy_2_name():
    from exchange import devworld

    return devworld.PHARMACY_2.name


def test_a_partial_dispensings_receipt_from_the_counter_says_what_remains(
    qtbot,
    desk,
    others,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    from tests.printing.conftest import pdf_text
    from ui.common import paper

    rx = _written(others["clinic"], [ItemRequest("101002", 20, "هر ۸ ساعت")], n=3)
    counter = _counter(qtbot, desk, rx)
    counter.set_quantity(1, 10)
    counter.ttac_reason.setText("برچسب پاره")
    counter.dispense()
    qtbot.waitUntil(lambda: counter.state.last is not None, timeout=30000)
    saved = tmp_path / "receipt.pdf"
    monkeypatch.setattr(paper.SaveDialog, "ask", classmethod(lambda cls, *a: saved))
    counter.save_receipt()  # the same PDF the print preview and the printer get
    qtbot.waitUntil(lambda: saved.exists() and saved.stat().st_size > 0, timeout=15000)
    text = pdf_text(saved)
    import re

    assert re.search(r"10\s*:?\s*از\s*20", text) and re.search(r"باقی\s*مانده\s*:?\s*10", text), text
