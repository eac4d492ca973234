"""Keyboard and scanner first, Persian first: the bugs a first day at the desk found, each kept fixed.

- tabbing into the item table typed into the drug cell (the screen showed another drug than the one signed);
- a scanner's burst in a fresh prescription was lost (the focus was on a combo box);
- Escape threw away a half-written prescription;
- Qt's own buttons said OK/Cancel in Persian mode;
- "500 mg" showed as "mg 500".
"""

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.keyboard import typed_under
from tests.conftest import make_prescription
from tests.ui.test_editor import add_amoxicillin
from ui.clinic.detail import PrescriptionDetail
from ui.clinic.editor import PrescriptionEditor
from ui.clinic.items import COL_DRUG
from ui.common.scanner import read_scan
from ui.i18n import LRI, PDI, Words, apply_language, persian_text


def burst(target, text, enter=True):
    """What a keyboard-wedge scanner sends: every key at once (any script: QTest's own key clicks are
    ASCII only), then Enter."""
    for ch in text:
        key = ord(ch.upper()) if ch.isascii() else ord(ch)
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
    if enter:
        QTest.keyClick(target, Qt.Key.Key_Return)


def focused(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def test_tab_into_the_items_lands_in_the_quantity_and_never_edits_the_drug(qtbot, ws, open_window):
    window = open_window(ws)
    window.browse()
    focused(qtbot, window)
    editor = window.desk.new_prescription()
    add_amoxicillin(qtbot, editor, quantity=1)
    drug = editor.items.item(0, COL_DRUG).text()
    code = editor.items.codes[0]
    editor.search.search.setFocus()
    editor.items.setFocus(Qt.FocusReason.TabFocusReason)  # what Tab from the search does
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert QApplication.focusWidget() is editor.items.quantity(0) or editor.items.quantity(0).isAncestorOf(
        QApplication.focusWidget()
    )
    editor.items.quantity(0).selectAll()
    QTest.keyClicks(QApplication.focusWidget(), "21")
    qtbot.waitUntil(lambda: editor.items.quantity(0).value() == 21)
    assert editor.items.item(0, COL_DRUG).text() == drug and editor.items.codes == [code]
    assert not editor.items.item(0, COL_DRUG).flags() & Qt.ItemFlag.ItemIsEditable


def test_escape_asks_before_throwing_away_a_half_written_prescription(qtbot, ws, open_window, monkeypatch):
    window = open_window(ws)
    window.browse()
    focused(qtbot, window)
    editor = window.desk.new_prescription()
    editor.patient.first_name.setText("مریم")
    asked = []
    monkeypatch.setattr(PrescriptionEditor, "confirm_discard", lambda self: asked.append(1) or False)
    editor.patient.first_name.setFocus()
    QTest.keyClick(editor.patient.first_name, Qt.Key.Key_Escape)
    assert asked == [1] and window.tabs.indexOf(editor) >= 0  # kept
    monkeypatch.setattr(PrescriptionEditor, "confirm_discard", lambda self: True)
    editor.request_close()
    qtbot.waitUntil(lambda: window.tabs.indexOf(editor) < 0)
    empty = window.desk.new_prescription()
    asked.clear()
    monkeypatch.setattr(PrescriptionEditor, "confirm_discard", lambda self: asked.append(1) or False)
    empty.request_close()  # nothing typed: nothing to ask about
    assert asked == [] and window.tabs.indexOf(empty) < 0


def test_qt_buttons_speak_the_windows_language(qtbot):
    from ui.main import setup_application

    setup_application("fa")
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    fa = box.button(QDialogButtonBox.StandardButton.Cancel).text()
    assert fa and "Cancel" not in fa and not fa.isascii()
    apply_language("en")
    box2 = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box2)
    assert "Cancel" in box2.button(QDialogButtonBox.StandardButton.Cancel).text()
    apply_language("fa")


def test_latin_runs_keep_their_order_in_persian():
    assert persian_text("آموکسی‌سیلین کپسول 500 mg") == f"آموکسی‌سیلین کپسول {LRI}۵۰۰ mg{PDI}"
    assert persian_text("۵۰۰ mg") == f"{LRI}۵۰۰ mg{PDI}"
    assert persian_text("توکن «ui-gp-1»: ۲ بار دیگر") == f"توکن «{LRI}ui-gp-1{PDI}»: ۲ بار دیگر"
    assert persian_text("مریم احمدی") == "مریم احمدی"
    assert Words("en").text("500 mg") == "500 mg"


def test_a_drug_line_reads_500_mg_in_order(qtbot, ws, open_window):
    window = open_window(ws)
    window.browse()
    editor = window.desk.new_prescription()
    add_amoxicillin(qtbot, editor)
    text = editor.items.item(0, COL_DRUG).text()
    assert LRI in text and " mg" in text and text.index(LRI) < text.index("mg") < text.index(PDI)


def test_a_person_typing_is_not_a_scan(qtbot, ws, open_window):
    window = open_window(ws)
    window.browse()
    editor = window.desk.new_prescription()
    QTest.keyClicks(editor.patient.patient_code, "0012345679", delay=60)  # a person: 60 ms a key
    QTest.keyClick(editor.patient.patient_code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.patient.patient_code.text() == "0012345679")
    assert len([p for p in window.pages() if isinstance(p, PrescriptionEditor)]) == 1


def test_a_fast_burst_that_reads_as_nothing_is_typed_as_it_came(qtbot, ws, open_window):
    window = open_window(ws)
    window.browse()
    field = window.desk.catalog.search
    burst(field, "amoxicillin caps")  # fast, with Enter, but no code: the field gets it, Enter too
    qtbot.waitUntil(lambda: field.text() == "amoxicillin caps")
    assert not isinstance(window.current_page(), PrescriptionEditor)


def test_a_scan_under_a_persian_keyboard_layout_fills_the_patient(qtbot, ws, open_window):
    window = open_window(ws)
    window.browse()
    persian = typed_under("0012345679", "isiri-9147")
    assert persian == "۰۰۱۲۳۴۵۶۷۹"
    burst(window.desk.prescriptions.search, persian)  # the focus is on the list's search field
    qtbot.waitUntil(lambda: isinstance(window.current_page(), PrescriptionEditor))
    editor = window.current_page()
    assert editor.patient.patient_id.value == "0012345679"
    assert window.desk.prescriptions.search.text() == ""  # nothing leaked into the field that had the focus


def test_a_scanned_tracking_code_opens_its_prescription(qtbot, store, ws, open_window):
    rx = make_prescription()
    rx.tracking_code = "100000000008"
    store.save_prescription(rx)
    assert read_scan("100000000008")[0].kind == "tracking-code"
    window = open_window(ws)
    window.browse()
    burst(window.desk.catalog.search, "100000000008")
    qtbot.waitUntil(lambda: isinstance(window.current_page(), PrescriptionDetail))
    assert window.current_page().rx_id == rx.id and window.desk.catalog.search.text() == ""


def test_a_fast_pin_is_never_taken_for_a_scan(qtbot, store, ws, open_window):
    store.set_meta("signing.user_token", "gp-token")  # something to log in with: the PIN field is open
    window = open_window(ws)
    scans = []
    window.scanner.scanned.connect(scans.append)
    window.scanner.enabled = True
    QTest.keyClicks(window.login.secret, "12345678")
    assert window.login.secret.text() == "12345678" and scans == []


def test_a_card_scanned_at_the_pin_field_is_not_tried_as_a_pin(qtbot, store, ws, open_window):
    """A patient's card scanned while the login (or lock) screen waits for the PIN would cost one of the
    token's tries: it is dropped, and the field left empty for the PIN."""
    store.set_meta("signing.user_token", "gp-token")
    window = open_window(ws)
    window.scanner.enabled = True
    tried = []
    window.login.secret.returnPressed.connect(lambda: tried.append("enter"))
    burst(window.login.secret, "0012345679")  # a national code, as a scanner sends it
    assert tried == [] and window.login.secret.text() == ""
    QTest.keyClicks(window.login.secret, "1111")  # a person's PIN still goes through
    assert window.login.secret.text() == "1111"
    QTest.keyClick(window.login.secret, Qt.Key.Key_Return)
    assert tried == ["enter"]


def test_every_menu_action_has_a_shortcut(qtbot, ws, open_window):
    window = open_window(ws)
    actions = [a for menu in window.menus.values() for a in menu.actions() if not a.isSeparator()]
    assert len(actions) >= 10
    assert all(not a.shortcut().isEmpty() for a in actions), [
        a.text() for a in actions if a.shortcut().isEmpty()
    ]


def test_english_at_run_time(qtbot, ws, open_window):
    window = open_window(ws)
    window.browse()
    window.host.set_language("en")
    try:
        assert window.layoutDirection() == Qt.LayoutDirection.LeftToRight
        assert window.menus["menu_sync"].title() == "&Sync"
        assert window.tabs.tabText(0) == "Prescriptions"
        assert window.desk.prescriptions.table.horizontalHeaderItem(0).text() == "Prescribed at"
    finally:
        window.host.set_language("fa")
    assert window.tabs.tabText(0) == "نسخه‌ها"
