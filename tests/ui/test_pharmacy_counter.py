"""The pharmacist's day in the window, against the reference exchange (in a thread) and real SQLCipher: log
in, retrieve by national code (a scanned card), the prescriber shown, packs scanned (the 16-digit code and a
GS1 DataMatrix string; an expired pack refused), part of a line dispensed and the rest later, the receipt
saved and printed to PDF, a paper QR scanned offline (valid, tampered, already dispensed here), dispensed
offline — and, a second pharmacy having dispensed it first, the status bar's "needs attention" opening the
panel that says who, where and when."""

import datetime as dt
import subprocess

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtTest import QTest

from app.lifecycle import RxState
from exchange import devworld
from exchange.seed import gtin
from tests.sync import harness
from ui.common import paper
from ui.pharmacy.attention import AttentionPanel
from ui.pharmacy.counter import CounterView

FAST = {"probe_every": 0.3, "drain_every": 0.5, "refresh_every": 3600.0, "patience": 0.0}
PHARMACIST_SECRET = devworld.P12_PASSPHRASES[devworld.PHARMACY.user_token]


@pytest.fixture
def pharmacy_ws(tmp_path, tokens, exchange, monkeypatch, seal_passphrase):
    """The TEST pharmacy's workstation as the desktop opens it: secrets asked by the Qt prompter."""
    from app.workstation import Workstation
    from ui.common.prompter import KeyPassphraseDialog, QtPrompter
    from ui.i18n import Words

    for name in ("NOSKHE_FACILITY_P12", "NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL", "NOSKHE_TOKEN_LABEL"):
        monkeypatch.delenv(name, raising=False)
    seal_passphrase[0] = devworld.P12_PASSPHRASES[devworld.PHARMACY.facility_token]
    monkeypatch.setattr(KeyPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: PHARMACIST_SECRET))
    store = harness.new_store(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    harness.sign_with_p12(store, devworld.PHARMACY, tokens)
    ws = Workstation(
        store, QtPrompter(Words("fa")), engine_options=FAST, client_options={"timeout": (1.0, 3.0)}
    )
    yield ws
    ws.close()


@pytest.fixture
def others(tmp_path, tokens, exchange):
    """The clinic that writes the prescriptions and the second pharmacy, as the CLI opens them."""
    made = {
        "clinic": harness.new_workstation(tmp_path / "clinic", devworld.CLINIC, tokens, exchange.url),
        "pharmacy-2": harness.new_workstation(tmp_path / "ph2", devworld.PHARMACY_2, tokens, exchange.url),
    }
    yield made
    for ws in made.values():
        ws.close()


def scan(target, text):
    """A keyboard-wedge scanner: every key at once, then Enter, into whatever widget has the focus."""
    QTest.keyClicks(target, text)
    QTest.keyClick(target, Qt.Key.Key_Return)


def gs1(drug, code, expiry="271231", batch="LOT7"):
    """A pack's GS1 DataMatrix as a wedge scanner set to send <GS> for the separator types it."""
    return f"01{gtin(drug).zfill(14)}17{expiry}10{batch}<GS>21{code}"


def paper_qr(rx, tokens):
    from printing.payload import encode, fields_from_prescription, seal

    return encode(seal(fields_from_prescription(rx), harness.signer(tokens, "noskhe-gp")))


def settled(qtbot, counter):
    qtbot.waitUntil(lambda: all(p.check is not None for p in counter.state.packs), timeout=15000)


def test_the_pharmacists_day(
    qtbot, pharmacy_ws, others, exchange, tokens, open_window, logged_in, tmp_path, monkeypatch
):
    clinic = others["clinic"]
    rx1, rx2 = harness.write_many(clinic, 2)
    assert clinic.sync.drainer.drain().done == 2
    rx1 = clinic.store.get_prescription(rx1.id)
    assert rx1.tracking_code and [it.drug_code for it in rx1.items] == ["101002", "103011"]

    window = logged_in(open_window(pharmacy_ws), PHARMACIST_SECRET)
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
    desk = window.desk

    # Retrieve by national code: the patient's card scanned into the retrieve page.
    desk.show_retrieve()
    scan(desk.retrieve.value, rx1.patient.id.value)
    qtbot.waitUntil(lambda: [r.id for r in desk.retrieve.found] == [rx1.id], timeout=15000)
    row = [desk.retrieve.table.item(0, c).text() for c in range(desk.retrieve.table.columnCount())]
    assert row[1] == devworld.GP.name and row[2] == "۱۲۳۴۵۶" and row[3] == "پزشک عمومی"

    from ui.common.tables import row_key

    print(
        "ROWS",
        desk.retrieve.table.rowCount(),
        desk.retrieve.table.selectionModel().selectedRows(),
        desk.retrieve.status.text(),
    )
    print(
        "KEY",
        row_key(desk.retrieve.table),
        desk.retrieve.table.currentRow(),
        [type(p).__name__ for p in window.pages()],
    )
    # the same prescription by its tracking code and by the visit's HID, scanned on the retrieve page
    for code, key in ((rx1.tracking_code, "tracking"), (rx1.hid, "hid")):
        desk.retrieve.found = []
        scan(desk.retrieve.value, code)
        scan(desk.retrieve.patient_code, rx1.patient.id.value)  # 9-2 step 4: the patient's code is asked
        qtbot.waitUntil(lambda: [r.id for r in desk.retrieve.found] == [rx1.id], timeout=15000)
        assert desk.retrieve.key.currentData() == key

    desk.retrieve.open_selected()
    counter = window.current_page()
    assert isinstance(counter, CounterView)
    qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)
    assert counter.verdict.online  # the exchange's rules and split, before anything is signed
    assert "شماره نظام" in counter.prescriber.text() or "شمارهٔ نظام" in counter.prescriber.text()

    # Packs: line 1's 16-digit code, line 2's GS1 DataMatrix, an expired GS1 pack refused at once.
    shelf1, shelf2 = exchange.ttac_codes("101002", 2), exchange.ttac_codes("103011", 2)
    counter.select_line(1)
    scan(counter.pack_field, shelf1[0])
    settled(qtbot, counter)
    counter.select_line(2)
    scan(counter.pack_field, gs1("103011", shelf2[1], expiry="200131"))
    settled(qtbot, counter)
    assert counter.state.packs[-1].check.status == "expired"
    assert "منقضی" in counter.pack_list.item(1).text()
    counter.pack_list.setCurrentRow(1)
    counter.remove_pack.click()
    scan(counter.pack_field, gs1("101002", shelf2[1]))  # a genuine code on another product's barcode
    settled(qtbot, counter)
    assert (
        counter.state.packs[-1].check.status == "gtin-mismatch" and "GTIN" in counter.pack_list.item(1).text()
    )
    counter.pack_list.setCurrentRow(1)
    counter.remove_pack.click()
    scan(counter.pack_field, gs1("103011", shelf2[0]))
    settled(qtbot, counter)
    assert [(p.line, p.check.status) for p in counter.state.packs] == [(1, "genuine"), (2, "genuine")]
    gs1_pack = counter.state.packs[1].scan
    assert (gs1_pack.gtin, gs1_pack.batch, gs1_pack.expiry) == (
        gtin("103011").zfill(14),
        "LOT7",
        dt.date(2027, 12, 31),
    )
    assert "تیتک" in counter.pack_list.item(0).text()

    # Part of line 1 now (15 of 21), all of line 2; payment id and POS terminal.
    counter.set_quantity(1, 15)
    counter.payment_id.setText("PAY5521XY")
    counter.pos_terminal.setText("POS77123")
    qtbot.wait(400)
    counter.dispense()
    qtbot.waitUntil(lambda: counter.state.last is not None or counter.error.isVisible(), timeout=20000)
    assert counter.error.isHidden(), counter.error.text()
    done = counter.state.last
    d = done.dispensing
    assert [(i.line, i.quantity) for i in d.items] == [(1, 15), (2, 10)]
    assert (d.payment_id, d.pos_terminal_id, d.state) == ("PAY5521XY", "POS77123", "registered")
    assert done.ttac == "checked" and [p.authenticity_code for p in d.items[1].packs] == [shelf2[0]]
    assert d.items[1].packs[0].expiry == "2027-12-31"
    kept = pharmacy_ws.store.get_prescription(rx1.id)
    assert kept.state == RxState.PARTIALLY_DISPENSED and kept.remaining(1) == 6
    qtbot.waitUntil(lambda: counter.rx.dispensed_of(1) == 15)
    qtbot.waitUntil(lambda: "۱۵/۲۱" in desk.retrieve.table.item(0, 6).text())  # the retrieve list follows
    assert counter.quantities() == {1: 6, 2: 0} and "ثبت‌شده" in counter.result.text()

    # The receipt: saved as a PDF, and printed through the print dialog (a PDF printer here), 80 mm roll.
    saved = tmp_path / "receipt.pdf"
    monkeypatch.setattr(paper.SaveDialog, "ask", classmethod(lambda cls, *a: saved))
    counter.save_button.click()
    qtbot.waitUntil(lambda: saved.exists() and saved.stat().st_size > 1000, timeout=15000)
    text = subprocess.run(["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace(" ", "")
    assert shelf1[0] in flat and shelf2[0] in flat and "PAY5521XY" in text and "POS77123" in text
    printed = tmp_path / "printed.pdf"

    def to_pdf(cls, printer, parent):
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return True

    monkeypatch.setattr(paper.PrintDialog, "ask", classmethod(to_pdf))
    counter.print_receipt()
    qtbot.waitUntil(lambda: printed.exists() and printed.stat().st_size > 5000, timeout=20000)

    # Later, the rest of line 1, with its own pack.
    counter.select_line(1)
    # a short GS1 Code 128 (GTIN and serial only) scanned while the focus is in the payment field
    scan(counter.payment_id, f"01{gtin('101002').zfill(14)}21{shelf1[1]}")
    settled(qtbot, counter)
    assert counter.payment_id.text() == "" and counter.state.packs[0].scan.source == "gs1"
    counter.dispense()
    qtbot.waitUntil(lambda: counter.state.last is not None and counter.state.last is not done, timeout=20000)
    assert [(i.line, i.quantity) for i in counter.state.last.dispensing.items] == [(1, 6)]
    assert pharmacy_ws.store.get_prescription(rx1.id).state == RxState.DISPENSED
    assert not counter.dispense_button.isEnabled()

    # A second pharmacy dispenses rx2 first, online; then our exchange link goes down.
    from sync.counter import dispense
    from sync.retrieve import retrieve_prescriptions

    other = others["pharmacy-2"]
    retrieve_prescriptions(other, key="tracking", value=clinic.store.get_prescription(rx2.id).tracking_code)
    assert (
        dispense(other, ref=rx2.id, all_lines=True, ttac_reason="بسته بدون برچسب").dispensing.state
        == "registered"
    )
    exchange.faults(outage=True)
    qtbot.waitUntil(lambda: window.sync.state == "offline", timeout=15000)

    # Paper QRs scanned offline: damaged (unreadable: scan again), already dispensed here, and rx2's — valid.
    desk.show_retrieve()
    qr2 = paper_qr(clinic.store.get_prescription(rx2.id), tokens)
    scan(desk.retrieve.value, qr2[:-30] + "0" * 30)
    qtbot.waitUntil(lambda: desk.retrieve.verdict is not None, timeout=15000)
    assert desk.retrieve.verdict.verdict == "unreadable" and "دوباره اسکن" in desk.retrieve.verdict_label.text()
    scan(desk.retrieve.value, paper_qr(rx1, tokens))
    qtbot.waitUntil(lambda: desk.retrieve.verdict.verdict != "unreadable", timeout=15000)
    assert desk.retrieve.verdict.verdict == "already-dispensed"
    scan(desk.retrieve.value, qr2)
    qtbot.waitUntil(lambda: desk.retrieve.verdict.verdict == "valid", timeout=15000)
    assert "معتبر" in desk.retrieve.verdict_label.text() and "۱۲۳۴۵۶" in desk.retrieve.verdict_detail.text()

    # Dispensed offline from the paper: the pack's check is queued.
    desk.retrieve.open_selected()
    paper_counter = window.current_page()
    assert isinstance(paper_counter, CounterView) and paper_counter is not counter
    qtbot.waitUntil(lambda: paper_counter.verdict is not None, timeout=15000)
    assert not paper_counter.verdict.online and paper_counter.offline
    paper_counter.select_line(1)
    scan(paper_counter.pack_field, exchange.ttac_codes(rx2.items[0].drug_code, 1)[0])
    settled(qtbot, paper_counter)
    assert paper_counter.state.packs[0].check.status == "queued"
    assert "در صف" in paper_counter.pack_list.item(0).text()
    paper_counter.dispense()  # line 2 has no pack and no reason: refused before any token is asked
    assert "ندارد" in paper_counter.error.text() and paper_counter.state.last is None
    paper_counter.ttac_reason.setText("برچسب ردیف دوم پاره است")
    paper_counter.dispense()
    qtbot.waitUntil(lambda: paper_counter.state.last is not None, timeout=20000)
    assert paper_counter.state.last.dispensing.state == "queued" and paper_counter.state.last.ttac == "queued"

    # The exchange back: the dispensing is refused as a double one; the light says so; a click opens the panel.
    exchange.faults(outage=False)
    qtbot.waitUntil(lambda: bool(pharmacy_ws.store.outbox.attention()), timeout=30000)
    qtbot.waitUntil(
        lambda: window.light.status is not None and bool(window.light.status.attention), timeout=15000
    )
    assert "رسیدگی" in window.light.text()
    QTest.mouseClick(window.light, Qt.MouseButton.LeftButton)
    panel = window.current_page()
    assert isinstance(panel, AttentionPanel)
    qtbot.waitUntil(lambda: bool(panel.items), timeout=10000)
    (conflict,) = panel.items
    assert conflict.code == "already-dispensed" and conflict.facility == devworld.PHARMACY_2.siam
    assert conflict.prescription_id == rx2.id and conflict.at
    detail = panel.detail.text()
    assert devworld.PHARMACY_2.name in detail and "۱۴۰" in detail  # a Jalali year, Persian digits
    assert "پس بگیرید" in detail  # what to do, at this end
    panel.open_button.click()
    assert window.current_page() is paper_counter
    window.light.timer.stop()  # the status light's 15 s refresh must not outlive this test's lanes


def test_the_pharmacy_screens_render(
    qtbot, pharmacy_ws, others, exchange, tokens, tmp_path, monkeypatch, request
):
    """Retrieve, a paper's verdict, the counter with a pack scanned, the receipt, and a conflict in the
    needs-attention panel, rendered to PNGs (`NOSKHE_SCREENS_DIR` keeps them, e.g. for docs/)."""
    import os
    import shutil

    from PIL import Image

    from printing.paper import print_prescription
    from sync.counter import dispense
    from sync.retrieve import retrieve_prescriptions
    from ui.common.mainwindow import MainWindow
    from ui.pharmacy.screens import PHARMACY_SCREENS
    from ui.screenshots import render

    monkeypatch.setattr(MainWindow, "confirm_quit", lambda self: True)
    clinic, other = others["clinic"], others["pharmacy-2"]
    rx1, rx2 = harness.write_many(clinic, 2)
    assert clinic.sync.drainer.drain().done == 2
    paper_pdf = tmp_path / "paper.pdf"
    print_prescription(clinic.store, rx1.id, paper_pdf, signer=clinic.user_signer)
    # a double dispensing: the second pharmacy first, online; this one from its copy, offline
    tracking2 = clinic.store.get_prescription(rx2.id).tracking_code
    for ws in (other, pharmacy_ws):
        retrieve_prescriptions(ws, key="tracking", value=tracking2)
    dispense(other, ref=rx2.id, all_lines=True, ttac_reason="بسته بدون برچسب")
    dispense(pharmacy_ws, ref=rx2.id, all_lines=True, offline=True, ttac_reason="بسته بدون برچسب")
    assert pharmacy_ws.sync.drainer.drain().conflicts == 1

    names = [name for name, _ in PHARMACY_SCREENS]
    out = tmp_path / "shots"
    p = rx1.patient
    files = render(
        pharmacy_ws, out, secret=PHARMACIST_SECRET, names=names,
        patient=(p.id.kind, p.id.value, p.first_name, p.last_name),
        state={"paper_pdf": paper_pdf, "ttac_sample": lambda drug: exchange.ttac_codes(drug, 1)},
    )  # fmt: skip
    # the window render() closed is deleted now, its timers with it (not in the next test's event loop)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert [f.stem for f in files] == [f"ui-{n}" for n in names]
    for f in files:
        with Image.open(f) as im:
            assert im.width > 300 and len(im.convert("L").getcolors(1 << 16) or []) > 8, f
    # what the screens showed: a genuine pack, the dispensing registered, the conflict with who was first
    kept = pharmacy_ws.store.get_prescription(rx1.id)
    assert kept.dispensed_of(1) and kept.remaining(1)  # part of line 1, the rest kept for later
    assert pharmacy_ws.store.get_prescription(rx2.id).state == RxState.DISPENSED
    keep = os.environ.get("NOSKHE_SCREENS_DIR")
    if keep:
        for f in files:
            shutil.copy(f, keep)
