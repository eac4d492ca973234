"""The GP's whole day in the window, against the reference exchange (in a thread) and real SQLCipher: log
in, a scanner burst into a fresh prescription, a rejection the GP overrides with a reason, sign and send,
print to PDF, an outage (sign anyway), the exchange back and the window showing it registered — no CLI —
then edit and cancel."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.lifecycle import RxState
from exchange import devworld, seed
from tests.sync import harness
from tests.ui.conftest import GP_SECRET
from tests.ui.test_editor import add_amoxicillin
from ui.clinic.detail import PrescriptionDetail
from ui.common import paper

FAST = {"probe_every": 0.3, "drain_every": 0.5, "refresh_every": 3600.0, "patience": 0.0}


@pytest.fixture
def day_ws(tmp_path, tokens, exchange, monkeypatch):
    from app.workstation import Workstation
    from ui.common.prompter import QtPrompter
    from ui.i18n import Words

    for name in ("NOSKHE_FACILITY_P12", "NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL", "NOSKHE_TOKEN_LABEL"):
        monkeypatch.delenv(name, raising=False)
    store = harness.new_store(tmp_path / "clinic", devworld.CLINIC, tokens, exchange.url)
    harness.sign_with_p12(store, devworld.CLINIC, tokens)
    ws = Workstation(
        store, QtPrompter(Words("fa")), engine_options=FAST, client_options={"timeout": (1.0, 3.0)}
    )
    yield ws
    ws.close()


def scan(target, text):
    """A keyboard-wedge scanner: every key at once, then Enter, into whatever widget has the focus."""
    QTest.keyClicks(target, text)
    QTest.keyClick(target, Qt.Key.Key_Return)


def seeded(n):
    people = [p for p in seed.persons() if p["kind"] == "national-code" and p["coverages"]]
    return people[n]


def test_the_gps_day(qtbot, day_ws, exchange, open_window, logged_in, tmp_path, monkeypatch):
    window = logged_in(open_window(day_ws), GP_SECRET)
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
    assert "برخط" in window.light.text()

    # A fresh prescription, the focus on the id's kind (a combo box): the scanner's burst still lands.
    editor = window.desk.new_prescription()
    editor.patient.id_kind.setFocus()
    first = seeded(0)
    scan(editor.patient.id_kind, first["value"])
    qtbot.waitUntil(lambda: editor.patient.patient_id is not None)
    assert (
        editor.patient.patient_id.value == first["value"]
        and editor.patient.id_kind.currentData() == "national-code"
    )
    editor.patient.first_name.setText(first["first_name"])
    editor.patient.last_name.setText(first["last_name"])
    row = add_amoxicillin(qtbot, editor, quantity=21)
    editor.items.days(row).setValue(20)  # an antibiotic for 20 days: the rules allow 14 without a reason
    editor.sign()
    qtbot.waitUntil(lambda: editor.findings.checked and not editor.busy, timeout=15000)
    assert editor.findings.needs_reason_field and editor.prescription is None
    assert not editor.findings.check.offline  # the exchange's own rules answered
    editor.sign()
    assert "دلیل" in editor.error.text() and editor.prescription is None  # no reason, no signature
    editor.findings.reason.setText("عفونت مقاوم؛ کشت خلط")
    editor.sign()
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    rx1 = editor.prescription
    assert rx1.override_reason == "عفونت مقاوم؛ کشت خلط"

    # The write kicked a drain: registered, and the window shows it without anyone asking.
    detail = window.current_page()
    assert isinstance(detail, PrescriptionDetail) and detail.rx_id == rx1.id
    qtbot.waitUntil(
        lambda: detail.record is not None and detail.record.prescription.state == RxState.REGISTERED,
        timeout=20000,
    )
    assert detail.record.prescription.tracking_code and detail.record.prescription.hid
    assert "ثبت‌شده" in detail.heading.text()
    qtbot.waitUntil(lambda: "عفونت مقاوم؛ کشت خلط" in detail.exchange.text(), timeout=10000)  # the reason

    # Print: save as PDF, and through the print dialog (a PDF printer here).
    saved = tmp_path / "rx1.pdf"
    monkeypatch.setattr(paper.SaveDialog, "ask", classmethod(lambda cls, *a: saved))
    detail.save_button.click()
    qtbot.waitUntil(saved.exists, timeout=15000)
    assert saved.read_bytes().startswith(b"%PDF")
    printed = tmp_path / "printed.pdf"

    def to_pdf(cls, printer, parent):
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return True

    monkeypatch.setattr(paper.PrintDialog, "ask", classmethod(to_pdf))
    window.desk.print_action.trigger()  # Ctrl+P on the prescription's page
    qtbot.waitUntil(lambda: printed.exists() and printed.stat().st_size > 10_000, timeout=20000)

    # The exchange goes down: the light says so, and the GP signs anyway.
    exchange.faults(outage=True)
    qtbot.waitUntil(lambda: window.sync.state == "offline", timeout=15000)
    assert "برون‌خط" in window.light.text()
    editor = window.desk.new_prescription()
    second = seeded(1)
    editor.patient.patient_code.setText(second["value"])
    editor.patient.first_name.setText(second["first_name"])
    editor.patient.last_name.setText(second["last_name"])
    add_amoxicillin(qtbot, editor, quantity=14)
    editor.sign()
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    rx2 = editor.prescription
    assert rx2.state == RxState.QUEUED and rx2.hid is None
    assert editor.findings.check.offline  # local rules, not a wait

    # It comes back: the probe sees it, the queue drains, the list shows both registered, and the
    # reference data (prices, rules, trust list) is fetched again at once, not hours later.
    fetched = day_ws.store.meta("reference.catalog.fetched_at")
    exchange.faults(outage=False)
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
    store = day_ws.store
    qtbot.waitUntil(lambda: store.meta("reference.catalog.fetched_at") != fetched, timeout=20000)
    qtbot.waitUntil(lambda: store.get_prescription(rx2.id).state == RxState.REGISTERED, timeout=20000)
    view = window.desk.prescriptions
    qtbot.waitUntil(
        lambda: [view.table.item(r, 2).text() for r in range(view.table.rowCount())] == ["ثبت‌شده"] * 2,
        timeout=10000,
    )
    assert "در صف ارسال: ۰" in window.light.text()

    # Edit the first: the reason is kept (written in its field), so the same rejection lets the new
    # version be signed at once, and sent.
    editor = window.desk.edit_prescription(store.get_prescription(rx1.id))
    assert editor.findings.reason.text() == "عفونت مقاوم؛ کشت خلط"
    editor.items.quantity(0).setValue(28)
    editor.sign()
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    assert editor.prescription.version == 2
    qtbot.waitUntil(lambda: store.get_prescription(rx1.id).state == RxState.REGISTERED, timeout=20000)
    assert store.get_prescription(rx1.id).items[0].quantity == 28

    # Cancel the second, after saying yes.
    monkeypatch.setattr(type(window.desk), "confirm_cancel", lambda self, rx: True)
    window.desk.cancel_prescription(store.get_prescription(rx2.id))
    qtbot.waitUntil(lambda: store.get_prescription(rx2.id).state == RxState.CANCELLED, timeout=15000)
    qtbot.waitUntil(lambda: store.outbox.counts().get("pending", 0) == 0, timeout=20000)
    assert exchange.stats()  # the exchange is still there for the record


def _pdf_text(path):
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_costs_pending_then_the_exchanges_split_on_the_page_and_the_reprint_and_a_cancelled_state(
    qtbot, day_ws, exchange, open_window, logged_in, tmp_path, monkeypatch
):
    """Signed before the price list came (the exchange down since the start): the page says the cost is
    pending, and so does the paper; once the exchange registers it, the page shows the exchange's split
    (the estimate beside it) and a reprint prints the exchange's split. Cancelled, the page says so —
    never "registered"."""
    from ui.clinic.items import COL_PATIENT

    store = day_ws.store
    exchange.faults(outage=True)
    window = logged_in(open_window(day_ws), GP_SECRET)
    qtbot.waitUntil(lambda: window.sync.state == "offline", timeout=15000)
    editor = window.desk.new_prescription()
    person = seeded(2)
    editor.patient.patient_code.setText(person["value"])
    editor.patient.first_name.setText(person["first_name"])
    editor.patient.last_name.setText(person["last_name"])
    add_amoxicillin(qtbot, editor, quantity=14)
    assert editor.items.item(0, COL_PATIENT).text() == "در انتظار قیمت"
    editor.sign()
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    rx = editor.prescription
    detail = window.current_page()
    assert isinstance(detail, PrescriptionDetail) and detail.rx_id == rx.id
    qtbot.waitUntil(lambda: detail.record is not None and detail.cost is not None)
    assert "در انتظار فهرست قیمت‌ها" in detail.cost_label.text()
    assert detail.items.item(0, 5).text() == "در انتظار قیمت"
    first_print = tmp_path / "first.pdf"
    monkeypatch.setattr(paper.SaveDialog, "ask", classmethod(lambda cls, *a: first_print))
    detail.save_button.click()
    qtbot.waitUntil(first_print.exists, timeout=15000)
    assert "pending" in _pdf_text(first_print)

    exchange.faults(outage=False)  # back: the price list comes, the queue drains, the exchange prices it
    qtbot.waitUntil(lambda: store.get_prescription(rx.id).state == RxState.REGISTERED, timeout=30000)
    qtbot.waitUntil(lambda: "اعلام سامانه" in detail.cost_label.text(), timeout=10000)
    answer = store.results.get(f"rx:{rx.id}", "registration")
    split = answer["cost"]
    assert split["patient"] > 0
    w = window.host.words
    assert w.rials(split["patient"]) in detail.cost_label.text()
    assert "برآورد محلی" in detail.cost_label.text()  # the estimate beside it
    assert detail.items.item(0, 6).text() == w.rials(split["patient"])  # the line: the exchange's split
    assert "ثبت‌شده" in detail.heading.text() and w("exchange_registered") in detail.exchange.text()
    reprint = tmp_path / "reprint.pdf"
    monkeypatch.setattr(paper.SaveDialog, "ask", classmethod(lambda cls, *a: reprint))
    detail.save_button.click()
    qtbot.waitUntil(reprint.exists, timeout=15000)
    text = _pdf_text(reprint)
    assert "pending" not in text and "estimate" not in text  # the exchange's split, not an estimate

    monkeypatch.setattr(type(window.desk), "confirm_cancel", lambda self, rx: True)
    window.desk.cancel_prescription(store.get_prescription(rx.id))
    qtbot.waitUntil(lambda: "ابطال‌شده" in detail.heading.text(), timeout=15000)
    qtbot.waitUntil(lambda: w("exchange_cancelled") in detail.exchange.text(), timeout=20000)
    assert w("exchange_registered") not in detail.exchange.text()


def _has_focus(qtbot, window, widget):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5000)


def test_a_wrong_pin_gives_the_focus_back_to_the_pin_field_at_login_and_at_the_lock(
    qtbot, token_ws, token_module, open_window
):
    from tests.ui.conftest import UI_PIN

    window = open_window(token_ws("ui-gp-2"))
    window.activateWindow()
    login = window.login
    for pin in ("000000", UI_PIN):
        login.secret.setFocus()
        login.secret.setText(pin)
        QTest.keyClick(login.secret, Qt.Key.Key_Return)  # as the GP presses Enter
        qtbot.waitUntil(lambda: not window.session.busy, timeout=15000)
        if pin != UI_PIN:
            assert window.session.state == "out" and "رمز نادرست" in login.error.text()
            _has_focus(qtbot, window, login.secret)  # the next try is typed straight away
    assert window.session.state == "in"
    window.session.lock("manual")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is login)
    login.secret.setText("111111")
    QTest.keyClick(login.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.session.busy and bool(login.error.text()), timeout=15000)
    assert window.session.state == "locked"
    _has_focus(qtbot, window, login.secret)


def test_the_key_files_path_reads_left_to_right_as_written(qtbot, clinic_ws, open_window):
    from ui.i18n import LRI, PDI

    window = open_window(clinic_ws)
    path = clinic_ws.store.meta("signing.user_p12")
    assert path and any(ch.isdigit() for ch in path)
    assert f"{LRI}{path}{PDI}" in window.login.prompt.text()  # one isolate, its digits as written
    window.host.set_language("en")
    assert f"{LRI}{path}{PDI}" in window.login.prompt.text()


def test_english_and_back_keeps_every_part_in_its_direction_and_digits(qtbot, ws, open_window):
    """Switched to English and back: the window, its bars and the item lines follow each switch; the
    dose instructions are in one script of digits, the unit isolated."""
    from ui.clinic.items import COL_DRUG, COL_INSURER
    from ui.i18n import LRI, PDI, Words

    window = open_window(ws)
    window.browse()
    editor = window.desk.new_prescription()
    add_amoxicillin(qtbot, editor)
    window.statusBar().showMessage("پیامی به فارسی")
    rtl, ltr = Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight
    right = Qt.AlignmentFlag.AlignRight
    for lang, direction in (("en", ltr), ("fa", rtl), ("en", ltr), ("fa", rtl)):
        window.host.set_language(lang)
        for part in (window, window.statusBar(), window.menuBar(), window.toolbar, window.light):
            assert part.layoutDirection() == direction, (lang, part)
        assert window.statusBar().currentMessage() == ""  # not a message in the other language
        for col in (COL_DRUG, COL_INSURER):
            at_right = bool(editor.items.item(0, col).textAlignment() & right)
            assert at_right == (lang == "fa"), (lang, col)
        drug = editor.items.item(0, COL_DRUG).text()
        assert ("Amoxicillin" in drug) == (lang == "en")
    fa, en = Words("fa"), Words("en")
    assert fa.instructions("1 cap every 8h") == f"{LRI}۱ cap every ۸h{PDI}"  # never "۱ cap every 8h"
    assert fa.instructions("هر 8 ساعت 500 mg") == f"هر ۸ ساعت {LRI}۵۰۰ mg{PDI}"
    assert en.instructions("۱ cap every ۸h") == "1 cap every 8h"
    assert "۸" not in en.instructions("هر ۸ ساعت") and "8" in en.instructions("هر ۸ ساعت")
