import hashlib

from PySide6.QtCore import Qt

from tests.conftest import PASSPHRASE, make_prescription
from ui.i18n import Words
from ui.main import MainWindow, setup_application
from ui.unlock import UnlockDialog


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


def test_main_window_is_right_to_left_and_lists_prescriptions(qtbot, store, ws):
    app = setup_application("fa")
    rx = make_prescription()
    store.save_prescription(rx)
    window = MainWindow(ws, Words("fa"))
    qtbot.addWidget(window)
    assert app.layoutDirection() == Qt.LayoutDirection.RightToLeft
    qtbot.waitUntil(lambda: window.prescriptions.loaded == 1)
    row = [window.prescriptions.table.item(0, c).text() for c in range(6)]
    assert rx.patient.full_name in row[1] and "۰۰۱۲۳۴۵۶۷۹" in row[1]
    assert row[2] == "پیش‌نویس"
    assert row[3].startswith("۱۴")  # a Jalali year in Persian digits
    window.tasks.wait()


def test_catalog_search_as_you_type(qtbot, store, ws):
    setup_application("fa")
    window = MainWindow(ws, Words("fa"))
    qtbot.addWidget(window)
    qtbot.keyClicks(window.catalog.search, "amoxi")  # typed; Persian arrives from an IME as text
    qtbot.waitUntil(lambda: window.catalog.table.rowCount() > 0)
    window.catalog.table.setRowCount(0)
    window.catalog.search.setText("اموکسي")
    assert window.catalog._debounce.isActive()
    qtbot.waitUntil(lambda: window.catalog.table.rowCount() > 0)
    names = [window.catalog.table.item(r, 1).text() for r in range(window.catalog.table.rowCount())]
    assert any(n == "آموکسی‌سیلین" for n in names)
    window.catalog.search.setText("zzqqxx")
    qtbot.waitUntil(lambda: window.catalog.table.rowCount() == 0)
    assert window.catalog.status.text() == "دارویی یافت نشد."
    window.tasks.wait()


def test_the_status_light_follows_connectivity_and_the_queue(qtbot, store, ws):
    from sync.status import mark_offline, mark_online

    setup_application("fa")
    window = MainWindow(ws, Words("fa"))
    qtbot.addWidget(window)
    light = window.sync_light
    qtbot.waitUntil(lambda: "نامشخص" in light.text())
    from app.services import outbox

    with store.transaction() as c:
        for i in range(3):
            outbox.enqueue(c, op="register", subject=f"rx:{i}", chain=f"rx:{i}", payload={}, version=1)
    mark_offline(store, "connection refused")
    light.refresh()
    qtbot.waitUntil(lambda: "برون‌خط" in light.text())
    assert "در صف ارسال: ۳" in light.text()
    mark_online(store)
    light.refresh()
    qtbot.waitUntil(lambda: "برخط" in light.text() and "برون‌خط" not in light.text())
    window.tasks.wait()
