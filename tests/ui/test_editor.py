"""Writing a prescription in the window: the patient's id checked as typed, drugs from the catalog (Enter
picks), quantities, repeats and instructions, the cost split, the rules, signing — and what is typed kept
through every failure."""

from app.domain import Sex
from app.errors import NoskheError
from app.lifecycle import RxState
from exchange import devworld
from tests.conftest import make_patient
from tests.sync import harness
from ui.clinic.editor import PrescriptionEditor
from ui.clinic.items import COL_DRUG, COL_INSURER, COL_PATIENT, COL_REMOVE

AMOXICILLIN = "آموکسی‌سیلین"


def new_editor(qtbot, window):
    editor = window.desk.new_prescription()
    return editor


def add_amoxicillin(qtbot, editor, quantity=21, instructions="هر ۸ ساعت یک کپسول"):
    editor.search.search.setText("اموکسي")  # Arabic yeh, no madda: as a keyboard may send it
    editor.search.run_search()
    texts = [editor.search.results.item(r).text() for r in range(editor.search.results.count())]
    editor.search.results.setCurrentRow(next(r for r, t in enumerate(texts) if AMOXICILLIN in t))
    editor.search.pick()
    row = editor.items.rowCount() - 1
    editor.items.quantity(row).setValue(quantity)
    editor.items.instructions(row).setCurrentText(instructions)
    return row


def fill(qtbot, editor, code="۰۰۱۲۳۴۵۶۷۹"):
    editor.patient.patient_code.setText(code)
    editor.patient.first_name.setText("مریم")
    editor.patient.last_name.setText("احمدی")
    add_amoxicillin(qtbot, editor)


def test_an_invalid_national_code_in_persian_digits_says_why_and_blocks_signing(
    qtbot, clinic_ws, open_window
):
    window = open_window(clinic_ws)
    window.browse()
    editor = new_editor(qtbot, window)
    fill(qtbot, editor, code="۰۰۱۲۳۴۵۶۷۸")
    assert editor.patient.patient_id is None
    assert (
        "رقم کنترل نادرست" in editor.patient.id_status.text()
        and "۰۰۱۲۳۴۵۶۷۸" in editor.patient.id_status.text()
    )
    assert not editor.sign_button.isEnabled()
    editor.patient.patient_code.setText("۰۰۱۲۳۴۵۶۷۹")
    assert editor.sign_button.isEnabled()


def test_a_valid_code_is_normalised_and_a_known_patient_filled_in(
    qtbot, clinic_ws, clinic_store, open_window
):
    clinic_store.save_patient(make_patient())
    window = open_window(clinic_ws)
    window.browse()
    editor = new_editor(qtbot, window)
    assert editor.patient.patient_code.hasFocus() or window.focusWidget() is editor.patient.patient_code
    editor.patient.patient_code.setText(" ٠٠١٢٣٤٥٦٧٩ ")  # Arabic-Indic digits, stray spaces
    assert editor.patient.patient_id.value == "0012345679"
    assert "۰۰۱۲۳۴۵۶۷۹" in editor.patient.id_status.text()
    qtbot.waitUntil(lambda: editor.patient.first_name.text() == "مریم")
    assert editor.patient.last_name.text() == "احمدی"
    assert editor.patient.sex.currentData() == "female" and editor.patient.patient().sex == Sex.FEMALE
    assert not editor.sign_button.isEnabled()  # no item yet


def test_search_add_price_and_remove_items(qtbot, clinic_ws, clinic_store, open_window):
    amoxicillins = [
        d for d in clinic_store.catalog.search("amoxicillin", limit=50) if AMOXICILLIN in d.label_fa
    ]
    clinic_store.catalog.load([{**d.to_dict(), "price": 1500} for d in amoxicillins], replace=False)
    window = open_window(clinic_ws)
    window.browse()
    editor = new_editor(qtbot, window)
    add_amoxicillin(qtbot, editor, quantity=2)
    assert editor.items.rowCount() == 1 and AMOXICILLIN in editor.items.item(0, COL_DRUG).text()
    assert editor.items.codes == [editor.items.requests()[0].drug_code]
    assert [editor.items.item(0, c).text() for c in (COL_INSURER, COL_PATIENT)] == ["۰", "۳٬۰۰۰"]
    ins = editor.patient.insurer
    ins.setCurrentIndex(ins.findData("IHIO-RUR"))  # the rural fund pays 90%
    assert [editor.items.item(0, c).text() for c in (COL_INSURER, COL_PATIENT)] == ["۲٬۷۰۰", "۳۰۰"]
    editor.items.quantity(0).setValue(20)
    assert editor.items.item(0, COL_INSURER).text() == "۲۷٬۰۰۰"
    assert "۲۷٬۰۰۰" in editor.total.text() and "۳٬۰۰۰" in editor.total.text()
    editor.items.cellWidget(0, COL_REMOVE).click()
    assert editor.items.rowCount() == 0 and editor.items.codes == [] and "۰" in editor.total.text()


def test_enter_picks_the_first_drug_and_a_clear_not_found(qtbot, clinic_ws, open_window):
    window = open_window(clinic_ws)
    window.browse()
    editor = new_editor(qtbot, window)
    editor.search.search.setText("zzqqxx")
    editor.search.run_search()
    assert editor.search.status.text() == "دارویی یافت نشد."
    editor.search.pick()
    assert editor.items.rowCount() == 0
    editor.search.search.setText("amoxicillin")
    editor.search.pick()  # Enter right after typing: the search runs first, the first hit is taken
    assert editor.items.rowCount() == 1 and editor.search.search.text() == ""


def test_signing_queues_the_prescription_and_the_list_shows_it(
    qtbot, clinic_ws, clinic_store, open_window, logged_in
):
    from app.services.outbox import Outbox, chain_of

    window = logged_in(open_window(clinic_ws))
    assert "آزمایشی دکتر سارا احمدی" in window.windowTitle()
    editor = new_editor(qtbot, window)
    fill(qtbot, editor)
    editor.sign()  # rules first (offline: no exchange configured → the local estimate), then the signature
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    rx = editor.prescription
    stored = clinic_store.get_prescription(rx.id)
    assert stored.state == RxState.QUEUED and stored.patient.id.value == "0012345679"
    assert [(i.quantity, i.instructions) for i in stored.items] == [(21, "هر ۸ ساعت یک کپسول")]
    assert len(clinic_store.prescription_signatures(rx.id)) == 2
    assert {r.op for r in Outbox(clinic_store).for_chain(chain_of(rx.id))} == {"eligibility", "register"}
    qtbot.waitUntil(lambda: window.desk.prescriptions.loaded == 1)
    assert "مریم احمدی" in window.desk.prescriptions.table.item(0, 1).text()
    assert window.find_page(lambda p: isinstance(p, PrescriptionEditor)) is None  # the editor made way
    assert window.current_page().rx_id == rx.id  # for the prescription itself


def test_a_signing_failure_shows_one_message_and_keeps_everything(
    qtbot, clinic_ws, clinic_store, open_window, logged_in, seal_passphrase, monkeypatch
):
    from smartcard.p12 import P12Signer

    window = logged_in(open_window(clinic_ws))
    editor = new_editor(qtbot, window)
    fill(qtbot, editor)
    real_sign = P12Signer.sign

    def pulled_out(self, data):
        raise NoskheError("The token was removed.", "توکن جدا شد.")

    monkeypatch.setattr(P12Signer, "sign", pulled_out)
    editor.sign()
    qtbot.waitUntil(lambda: not editor.error.isHidden(), timeout=15000)
    (draft,) = clinic_store.find_prescriptions(limit=10)
    assert draft.state == RxState.DRAFT and editor.prescription is None
    assert "توکن جدا شد" in editor.error.text() and draft.id in editor.error.text()
    assert "Traceback" not in editor.error.text() and editor.error.text().count("\n") == 0
    assert editor.patient.patient_code.text() == "۰۰۱۲۳۴۵۶۷۹" and editor.items.rowCount() == 1
    assert editor.items.quantity(0).value() == 21 and editor.patient.first_name.text() == "مریم"

    monkeypatch.setattr(P12Signer, "sign", real_sign)
    editor.sign()
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    assert editor.prescription.state == RxState.QUEUED and editor.prescription.id == draft.id
    assert [rx.id for rx in clinic_store.find_prescriptions(limit=10)] == [draft.id]


def test_english_words_and_no_new_button_at_a_pharmacy(qtbot, tmp_path, tokens, open_window):
    ws = harness.workstation_over(harness.new_store(tmp_path / "pharmacy", devworld.PHARMACY, tokens))
    try:
        window = open_window(ws, lang="en")
        assert not hasattr(window.desk, "new_action")
        texts = [a.text() for a in window.menus["menu_rx"].actions()]
        assert "New prescription" not in texts  # the counter's own entries may be there, not writing
        assert window.login.login_button.text() in ("Log in", "Unlock")
        window.shutdown()
    finally:
        ws.close()


# ---- what a new user found (the price list not loaded yet, numbers typed in the item table) ----------------


def test_costs_say_pending_until_the_price_list_is_loaded(qtbot, clinic_ws, clinic_store, open_window):
    """A drug with no price yet is not free: its line and the total say the cost is pending, not 0."""
    window = open_window(clinic_ws)
    window.browse()
    editor = new_editor(qtbot, window)
    add_amoxicillin(qtbot, editor, quantity=2)
    assert clinic_store.catalog.get(editor.items.codes[0]).price == 0  # no price list yet
    assert [editor.items.item(0, c).text() for c in (COL_INSURER, COL_PATIENT)] == ["در انتظار قیمت"] * 2
    assert "در انتظار فهرست قیمت‌ها" in editor.total.text() and "۰" not in editor.total.text()
    code = editor.items.codes[0]
    clinic_store.catalog.load([{**clinic_store.catalog.get(code).to_dict(), "price": 1500}], replace=False)
    editor.items.quantity(0).setValue(3)  # repriced: the price list has it now
    assert [editor.items.item(0, c).text() for c in (COL_INSURER, COL_PATIENT)] == ["۰", "۴٬۵۰۰"]
    assert "۴٬۵۰۰" in editor.total.text() and "انتظار" not in editor.total.text()


def _type(box, text):
    """Keys into a number box as a person types them (any script), the box's text selected first as a
    tab into it leaves it."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    box.setFocus()
    box.selectAll()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(box, QKeyEvent(kind, ord(ch), Qt.KeyboardModifier.NoModifier, ch))


def test_days_take_typed_digits_latin_and_persian_and_repeats_say_their_limit(qtbot, ws, open_window):
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    window = open_window(ws)
    window.browse()
    editor = new_editor(qtbot, window)
    add_amoxicillin(qtbot, editor)
    days = editor.items.days(0)
    assert days.text() == "—"  # not given yet
    days.setFocus()
    days.lineEdit().end(False)  # the cursor after the dash, as a click leaves it
    for ch in "۱۰":  # Persian digits, typed over the dash
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(days, QKeyEvent(kind, ord(ch), Qt.KeyboardModifier.NoModifier, ch))
    qtbot.waitUntil(lambda: days.value() == 10)  # (the scanner detector holds keys for a moment)
    assert days.text() == "۱۰"
    _type(days, "14")  # Latin digits in a Persian window
    qtbot.waitUntil(lambda: days.value() == 14)
    assert days.text() == "۱۴"
    assert editor.items.requests()[0].days == 14
    repeats = editor.items.repeats(0)
    _type(repeats, "15")  # past the limit: kept at the limit, and the limit said
    qtbot.waitUntil(lambda: repeats.value() == 12)
    assert not editor.hint.isHidden() and "۱۲" in editor.hint.text() and "تکرار" in editor.hint.text()
    window.host.set_language("en")
    assert days.text() == "14" and repeats.text() == "12"
    _type(days, "۷")  # Persian digits in an English window too
    qtbot.waitUntil(lambda: days.value() == 7)
    assert days.text() == "7"


def test_a_scan_right_after_typing_is_taken_out_of_the_field_and_routed(qtbot, ws, open_window):
    """The GP types into the drug search and scans the patient's card a moment later (the first key of
    the burst within a person's key gap): what was typed stays, the card fills the patient."""
    import time

    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    window = open_window(ws)
    window.browse()
    editor = new_editor(qtbot, window)
    field = editor.search.search
    field.setFocus()

    def key(ch):
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(field, QKeyEvent(kind, ord(ch), Qt.KeyboardModifier.NoModifier, ch))

    for ch in "amo":  # a person: 80 ms a key
        key(ch)
        QTest.qWait(80) if ch != "o" else time.sleep(0.01)  # the scan starts 10 ms after the last key
    for ch in "0012345679":
        key(ch)
    QTest.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.patient.patient_id is not None)
    assert editor.patient.patient_id.value == "0012345679"
    qtbot.waitUntil(lambda: field.text() == "amo")  # what was typed stays, and nothing of the card
    assert editor.items.rowCount() == 0  # the scan's Enter did not pick a drug
