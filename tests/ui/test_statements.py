"""The statement page and the counter history, offscreen, on the real path: a clinic's prescriptions are
registered at the reference exchange (in a thread) and dispensed by a pharmacy; the pharmacy's statement
page shows the exchange's totals split per insurer and per day, saves an insurer's claim list as XLSX and
CSV through the file dialog (read back here) and prints it; the history lists today's dispensings and
filters them by insurer, patient and date (typed Jalali)."""

from __future__ import annotations

import csv

import pytest

from app.services.statements import statement
from exchange import devworld
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness


@pytest.fixture
def sites(tmp_path, tokens, exchange):
    from app.services.dispensing import DispenseLine

    clinic = harness.new_workstation(tmp_path / "clinic", devworld.CLINIC, tokens, exchange.url)
    pharmacy = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    rxs = harness.write_many(clinic, 4)
    assert clinic.sync.drainer.drain().done >= 4
    pharmacy.sync.refresh()
    for rx in rxs:
        rx = clinic.store.get_prescription(rx.id)
        retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
        dispense(
            pharmacy,
            ref=rx.tracking_code,
            lines=[DispenseLine(it.line) for it in rx.items],
            ttac_reason="test",
        )
    yield clinic, pharmacy
    clinic.close()
    pharmacy.close()


@pytest.fixture
def host_of(qtbot):
    from ui.common.host import Host
    from ui.i18n import Words
    from ui.main import setup_application

    made = []

    def make(ws, lang="fa"):
        setup_application(lang)
        made.append(Host(ws, Words(lang)))
        return made[-1]

    yield make
    for h in made:
        h.tasks.shutdown()


def _cells(table, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def test_the_statement_page_totals_equal_the_exchanges_and_claims_are_saved(
    qtbot, sites, host_of, tmp_path, monkeypatch
) -> None:
    from openpyxl import load_workbook

    from app.services import claims as cl
    from ui.common import paper
    from ui.common.statements import ClaimsSaveDialog, StatementView

    _clinic, pharmacy = sites
    host = host_of(pharmacy)
    view = StatementView(host)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.claim_insurer.count() > 0, timeout=10000)
    offered = [view.claim_insurer.itemData(i) for i in range(view.claim_insurer.count())]
    assert offered == ["AFMS", "IHIO", "IKRF", "SSO"]  # insurers, not their plans
    view.fetch_button.click()
    qtbot.waitUntil(lambda: view.report is not None, timeout=20000)
    st = statement(pharmacy)
    rep = view.report
    assert rep.statement.totals() == st.totals() and st.count == 4
    assert sum(t.insurer for t in rep.by_insurer) == st.insurer
    assert sum(t.patient for t in rep.by_day) == st.patient
    assert view.lines_table.rowCount() == 4 and view.days_table.rowCount() == 1
    assert _cells(view.insurers_table, 0) == ["سازمان بیمه سلامت ایران", "کمیته امداد امام خمینی"]
    assert _cells(view.insurers_table, 1) == ["۲", "۲"]
    assert host.words.rials(st.insurer) in view.summary.text()

    view.claim_insurer.setCurrentIndex(view.claim_insurer.findData("IKRF"))
    monkeypatch.setattr(ClaimsSaveDialog, "ask", classmethod(lambda cls, *a: tmp_path / "ikrf"))
    view.xlsx_button.click()
    qtbot.waitUntil(lambda: len(view.saved) == 1, timeout=20000)
    values = [[c.value for c in row] for row in load_workbook(tmp_path / "ikrf.xlsx").active.iter_rows()]
    keys = [k for k, _fa, _en in cl.COLUMNS]
    ikrf = next(t for t in rep.by_insurer if t.key == "IKRF")
    assert len(values) == 2 + ikrf.count and values[-1][keys.index("insurer")] == ikrf.insurer
    assert "ikrf.xlsx" in view.summary.text()

    view.csv_button.click()
    qtbot.waitUntil(lambda: len(view.saved) == 2, timeout=20000)
    with (tmp_path / "ikrf.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert int(rows[-1][keys.index("patient")]) == ikrf.patient

    printed = []
    monkeypatch.setattr(
        paper.PrintDialog, "ask", classmethod(lambda cls, printer, parent: printed.append(printer) or False)
    )
    view.print_button.click()
    qtbot.waitUntil(lambda: bool(printed), timeout=20000)
    assert view.saved[-1].suffix == ".pdf" and view.saved[-1].read_bytes().startswith(b"%PDF")


def test_the_statement_page_says_when_the_exchange_does_not_answer(qtbot, sites, host_of, exchange) -> None:
    from ui.common.statements import StatementView

    _clinic, pharmacy = sites
    view = StatementView(host_of(pharmacy, "en"))
    qtbot.addWidget(view)
    exchange.faults(outage=True)
    view.fetch_button.click()
    qtbot.waitUntil(lambda: bool(view.error.text()), timeout=30000)
    assert view.report is None and view.fetch_button.isEnabled()
    view.start.setText("1405/13/01")
    view.fetch_button.click()
    assert "1405/13/01" in view.error.text() or "month" in view.error.text().lower()


def test_the_history_lists_todays_dispensings_with_filters(qtbot, sites, host_of) -> None:
    from ui.common.history import HistoryView

    _clinic, pharmacy = sites
    view = HistoryView(host_of(pharmacy))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.loaded >= 1 and view.table.rowCount() == 4, timeout=10000)
    assert "۴ مورد" in view.summary.text()
    view.insurer.setCurrentIndex(view.insurer.findData("IHIO"))
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=10000)
    assert set(_cells(view.table, 2)) == {"سازمان بیمه سلامت ایران"}
    view.insurer.setCurrentIndex(0)
    one = view.rows[0]
    view.patient.setText(one.patient_name)
    view.show_button.click()
    qtbot.waitUntil(
        lambda: view.loaded >= 4 and all(r.patient_name == one.patient_name for r in view.rows), timeout=10000
    )
    view.patient.clear()
    view.start.setText("۱۴۰۰/۰۱/۰۱")
    view.end.setText("۱۴۰۰/۱۲/۲۹")
    view.show_button.click()
    qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=10000)
    view.today_button.click()
    qtbot.waitUntil(lambda: view.table.rowCount() == 4, timeout=10000)
    opened = []
    view.open_requested.connect(opened.append)
    view.table.activated.emit(view.table.model().index(0, 0))
    assert opened == [view.rows[0].prescription_id]


def test_the_clinics_history_filters_prescriptions_by_state(qtbot, sites, host_of) -> None:
    from ui.common.history import HistoryView

    clinic, _pharmacy = sites
    view = HistoryView(host_of(clinic, "en"))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.table.rowCount() == 4, timeout=10000)
    state = view.rows[0].state
    assert state == "registered" and view.table.item(0, 3).text() == "registered"
    view.state.setCurrentIndex(view.state.findData(state))
    qtbot.waitUntil(lambda: view.loaded >= 2, timeout=10000)
    assert view.table.rowCount() == 4
    view.state.setCurrentIndex(view.state.findData("cancelled"))
    qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=10000)


def test_the_clinics_statement_shows_its_prescriptions_states_in_persian(qtbot, sites, host_of) -> None:
    from app.lifecycle import STATE_FA, RxState
    from ui.common.statements import LINE_COLUMNS, StatementView

    clinic, _pharmacy = sites
    view = StatementView(host_of(clinic))
    qtbot.addWidget(view)
    assert "۹-۱-۸" in view.title.text()
    view.fetch_button.click()
    qtbot.waitUntil(lambda: view.report is not None, timeout=20000)
    assert view.report.statement.count == 4 and view.report.statement.kind == "clinic"
    states = set(_cells(view.lines_table, LINE_COLUMNS.index("rep_col_state")))
    assert states and states <= {STATE_FA[s] for s in RxState}
    biggest = max(view.report.by_insurer, key=lambda t: t.insurer)
    assert view.claim_insurer.currentData() == biggest.key
