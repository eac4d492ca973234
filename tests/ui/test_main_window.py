"""The main window: the facility passphrase, a right-to-left list of prescriptions, the catalog searched as
you type, and a status light that only ever says what this window found."""

import hashlib

from PySide6.QtCore import Qt

from tests.conftest import PASSPHRASE, make_prescription
from ui.common.unlock import UnlockDialog
from ui.i18n import Words
from ui.main import setup_application


def test_wrong_passphrase_shows_one_message_and_changes_nothing(qtbot, data_dir):
    setup_application("fa")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.iterdir()}
    dialog = UnlockDialog(data_dir, Words("fa"))
    qtbot.addWidget(dialog)
    dialog.passphrase.setText("not it at all")
    dialog.unlock_button.click()
    assert dialog.workstation is None and "گذرواژه نادرست" in dialog.error.text()
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.iterdir()} == before
    dialog.passphrase.setText(PASSPHRASE)
    dialog.unlock_button.click()
    assert dialog.workstation is not None and dialog.result() == dialog.DialogCode.Accepted
    assert dialog.workstation.role == "clinic"
    dialog.workstation.close()


def test_main_window_is_right_to_left_and_lists_prescriptions(qtbot, store, ws, open_window):
    rx = make_prescription()
    store.save_prescription(rx)
    window = open_window(ws)
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.stack.currentWidget() is window.login  # nobody is logged in yet
    window.browse()  # nothing is configured to sign with here: look things up
    assert window.stack.currentWidget() is window.tabs
    view = window.desk.prescriptions
    qtbot.waitUntil(lambda: view.loaded == 1)
    row = [view.table.item(0, c).text() for c in range(6)]
    assert row[0].startswith("۱۴")  # a Jalali year in Persian digits
    assert rx.patient.full_name in row[1] and "۰۰۱۲۳۴۵۶۷۹" in row[1]
    assert row[2] == "پیش‌نویس"
    view.search.setText("مریم")
    assert view.table.rowCount() == 1
    view.search.setText("۰۰۱۲۳۴۵۶۷۹")  # the id as typed, in Persian digits
    assert view.table.rowCount() == 1
    view.search.setText("someone else")
    assert view.table.rowCount() == 0


def test_catalog_search_as_you_type(qtbot, ws, open_window):
    window = open_window(ws)
    window.browse()
    catalog = window.desk.catalog
    catalog.search.setText("amoxi")
    qtbot.waitUntil(lambda: catalog.table.rowCount() > 0)
    catalog.table.setRowCount(0)
    catalog.search.setText("اموکسي")
    assert catalog._debounce.isActive()
    qtbot.waitUntil(lambda: catalog.table.rowCount() > 0)
    names = [catalog.table.item(r, 1).text() for r in range(catalog.table.rowCount())]
    assert any(n == "آموکسی‌سیلین" for n in names)
    catalog.search.setText("zzqqxx")
    qtbot.waitUntil(lambda: catalog.table.rowCount() == 0)
    assert catalog.status.text() == "دارویی یافت نشد."


def test_the_light_never_says_online_from_an_old_note(qtbot, store, ws, open_window):
    """A previous run (or the CLI) left "online" in the store; this window has not reached the exchange,
    so the light does not say online."""
    from app.services import outbox
    from sync.status import mark_online

    with store.transaction() as c:
        for i in range(3):
            outbox.enqueue(c, op="register", subject=f"rx:{i}", chain=f"rx:{i}", payload={}, version=1)
    mark_online(store)
    window = open_window(ws)
    light = window.light
    qtbot.waitUntil(lambda: "در صف ارسال: ۳" in light.text())
    assert "برخط" not in light.text().replace("برون‌خط", "")
    window.browse()  # sync cannot start: no exchange, no seal here
    qtbot.waitUntil(lambda: window.sync.state == "unconfigured")
    assert "ارسال تنظیم نشده" in light.text() and light.toolTip()
