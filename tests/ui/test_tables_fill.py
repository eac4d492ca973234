"""Filling a table is linear and safe: a few thousand audit rows fill at once (the audit view once froze the
window for minutes filtering ~330 rows, then Python aborted with "none_dealloc": PySide6's stable-ABI wheels
drop a reference to None on every void call under Python 3.11, `ui.common.qtguard`)."""

import sys
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHeaderView

from app.audit import NO_PERSON
from ui.common.audit_view import LIMIT, AuditView
from ui.common.host import Host
from ui.common.qtguard import FLOOR
from ui.common.tables import fill, read_only_table, row_key
from ui.i18n import Words

ROW = ["۱۴۰۵/۰۹/۰۹ ۱۲:۰۰:۰۰", "علی رضایی (۰۰۱۲۳۴۵۶۷۹)", "۱۲۳۴۵۶", "ws-1", "نسخه امضا شد", "—", "rx-1", "ok"]


def test_none_survives_any_number_of_qt_calls():
    if sys.version_info < (3, 12):
        assert sys.getrefcount(None) > FLOOR // 2  # protected as soon as `ui` is imported


def test_two_thousand_rows_fill_with_painting_and_fitting_held(qtbot):
    table = read_only_table(len(ROW))
    qtbot.addWidget(table)
    table.show()
    seen, calls = [], []
    model = table.model()  # the same wrapper `fill` is handed: its setData is watched
    set_data = model.setData

    def spy(index, value, role):
        if not seen:  # while the cells are set: no painting, no sorting, no fit of the header per cell
            header = table.horizontalHeader()
            seen.append(
                (
                    table.updatesEnabled(),
                    table.isSortingEnabled(),
                    {header.sectionResizeMode(i) for i in range(header.count())},
                )
            )
        calls.append(role)
        return set_data(index, value, role)

    model.setData = spy
    rows = [[*ROW[:6], f"rx-{i}", "ok"] for i in range(2000)]
    started = time.monotonic()
    fill(table, rows, list(range(2000)))
    elapsed = time.monotonic() - started
    assert seen == [(False, False, {QHeaderView.ResizeMode.Interactive})]
    assert len(calls) == 2000 * len(ROW) + 2000  # one call per cell and per key: linear
    assert (
        table.rowCount() == 2000 and table.item(1999, 6).text() == "rx-1999" and row_key(table, 1999) == 1999
    )
    assert not table.item(5, 3).flags() & Qt.ItemFlag.ItemIsEditable
    assert table.updatesEnabled() and table.horizontalHeader().sectionResizeMode(0) == (
        QHeaderView.ResizeMode.ResizeToContents
    )
    assert elapsed < 20  # generous: it was minutes; a real measure is in bench/
    fill(table, rows[:3])
    assert table.rowCount() == 3 and row_key(table, 0) is None


def test_refills_leave_no_stale_item_wrappers(qtbot):
    """Items made from Python and handed to the table kept their wrappers after a refill dropped them; a
    header later made at the same address came back as a QTableWidgetItem."""
    for _ in range(30):
        table = read_only_table(len(ROW))
        fill(table, [ROW] * 200, list(range(200)))
        fill(table, [ROW])
        assert isinstance(table.horizontalHeader(), QHeaderView)
        table.deleteLater()
    QApplication.processEvents()


def test_the_audit_view_filtered_by_a_person_fills_its_rows(qtbot, clinic_ws):
    with clinic_ws.store.transaction():
        for i in range(2000):
            clinic_ws.store.audit.record("prescription.read", obj=f"rx:{i}/1")
    view = AuditView(Host(clinic_ws, Words("fa")))
    qtbot.addWidget(view)
    view.show()
    view.person.setText(NO_PERSON)
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == LIMIT, timeout=30000)
    assert view.table.item(0, 6).text() and "۵۰۰" in view.status.text()
