"""A keyboard-wedge scanner presses Shift around every uppercase character (a paper QR, a GS1 batch) and
types GS1's group separator as GS (0x1D), often as Ctrl+]. Neither may end the burst: a paper QR scanned
with the focus on the list must reach the retrieve page whole, and a GS1 pack scan must keep its GTIN,
batch and expiry — an expired pack refused, not read as a bare 16-digit code."""

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from app.packs import read_pack
from exchange.seed import gtin
from tests.ui.test_pharmacy_counter import (  # noqa: F401  (fixtures)
    PHARMACIST_SECRET,
    others,
    paper_qr,
    pharmacy_ws,
    settled,
)
from ui.common.scanner import ScanDetector, read_scan
from ui.pharmacy.counter import CounterView

GS = "\x1d"
SHIFTED = set('~!@#$%^&*()_+{}|:"<>?')
#: the tester's pack: GTIN 06260001030114, expiry 2024-01-01, batch B301107, serial 4739959390884841
TESTER_GS1 = f"01062600010301141724010110B301107{GS}214739959390884841"


def _send(target, kind, key, modifiers, text=""):
    QApplication.sendEvent(target, QKeyEvent(kind, key, modifiers, text))


def wedge(target, text, enter=True):
    """What a wedge scanner (or `xdotool type`) sends: Shift pressed and released around each uppercase
    character and shifted symbol, GS as Ctrl+], every key at once, then Enter."""
    press, release = QEvent.Type.KeyPress, QEvent.Type.KeyRelease
    shift, ctrl = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier
    none = Qt.KeyboardModifier.NoModifier
    for ch in text:
        if ch == GS:
            _send(target, press, Qt.Key.Key_Control, ctrl)
            _send(target, press, Qt.Key.Key_BracketRight, ctrl, GS)
            _send(target, release, Qt.Key.Key_BracketRight, ctrl, GS)
            _send(target, release, Qt.Key.Key_Control, none)
        elif ch.isupper() or ch in SHIFTED:
            _send(target, press, Qt.Key.Key_Shift, shift)
            _send(target, press, ord(ch.upper()), shift, ch)
            _send(target, release, ord(ch.upper()), shift, ch)
            _send(target, release, Qt.Key.Key_Shift, none)
        else:
            key = ord(ch.upper())
            _send(target, press, key, none, ch)
            _send(target, release, key, none, ch)
    if enter:
        _send(target, press, Qt.Key.Key_Return, none, "\r")
        _send(target, release, Qt.Key.Key_Return, none, "\r")


@pytest.fixture
def detector(qtbot):
    field = QLineEdit()
    qtbot.addWidget(field)
    field.show()
    field.setFocus()
    scanner = ScanDetector()
    QApplication.instance().installEventFilter(scanner)
    scans: list[str] = []
    scanner.scanned.connect(scans.append)
    yield field, scans
    QApplication.instance().removeEventFilter(scanner)


def test_shift_and_ctrl_bracket_keep_a_gs1_burst_whole_and_its_expiry_refuses_the_pack(qtbot, detector):
    field, scans = detector
    wedge(field, TESTER_GS1)
    assert scans == [TESTER_GS1] and field.text() == ""
    assert [r.kind for r in read_scan(scans[0])] == ["pack"]
    pack = read_pack(scans[0])
    assert (pack.gtin, pack.batch, pack.code) == ("06260001030114", "B301107", "4739959390884841")
    assert pack.expiry == dt.date(2024, 1, 1) and pack.expired(dt.date(2026, 11, 30))


def test_a_gs_character_is_kept_too_and_a_persons_shifted_typing_still_lands(qtbot, detector):
    field, scans = detector
    press = QEvent.Type.KeyPress
    for ch in TESTER_GS1:  # GS sent as the control character itself, no Ctrl
        _send(field, press, ord(ch.upper()) if ch != GS else 0, Qt.KeyboardModifier.NoModifier, ch)
    _send(field, press, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
    assert scans == [TESTER_GS1]
    wedge(field, "Ali", enter=False)  # a person's name, typed with Shift: given back to the field
    qtbot.waitUntil(lambda: field.text() == "Ali")
    assert scans == [TESTER_GS1]


def test_a_paper_qr_with_uppercase_reaches_the_retrieve_page_whole(
    qtbot,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
    tokens,
    open_window,
    logged_in,
):
    from tests.sync import harness

    clinic = others["clinic"]
    (rx,) = harness.write_many(clinic, 1)
    qr = paper_qr(clinic.store.get_prescription(rx.id), tokens)
    assert any(ch.isupper() for ch in qr)  # the scanner presses Shift inside it
    window = logged_in(open_window(pharmacy_ws), PHARMACIST_SECRET)
    desk = window.desk
    window.tabs.setCurrentIndex(0)
    first = window.tabs.currentWidget()
    first.setFocus()
    routed: list[str] = []
    window.scanner.scanned.connect(routed.append)
    wedge(QApplication.focusWidget() or first, qr)
    assert routed == [qr]
    qtbot.waitUntil(lambda: desk.retrieve.verdict is not None, timeout=15000)
    assert desk.retrieve.verdict.verdict == "valid"
    assert window.current_page() is desk.retrieve


def test_an_expired_gs1_pack_scanned_with_shift_is_refused_at_the_counter(
    qtbot,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
    exchange,
    open_window,
    logged_in,
):
    from tests.sync import harness

    clinic = others["clinic"]
    (rx,) = harness.write_many(clinic, 1)
    assert clinic.sync.drainer.drain().done == 1
    rx = clinic.store.get_prescription(rx.id)
    window = logged_in(open_window(pharmacy_ws), PHARMACIST_SECRET)
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
    desk = window.desk
    desk.show_retrieve()
    desk.retrieve.set_key("tracking", rx.tracking_code)
    desk.retrieve.scan_patient(rx.patient.id.value)  # 9-2 step 4: the patient's code is asked
    qtbot.waitUntil(lambda: [r.id for r in desk.retrieve.found] == [rx.id], timeout=15000)
    desk.retrieve.open_selected()
    counter = window.current_page()
    assert isinstance(counter, CounterView)
    qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)
    drug = rx.items[-1].drug_code
    counter.select_line(len(rx.items))
    code = exchange.ttac_codes(drug, 1)[0]
    expired = f"01{gtin(drug).zfill(14)}1724010110B301107{GS}21{code}"
    counter.payment_id.setFocus()
    wedge(counter.payment_id, expired)
    settled(qtbot, counter)
    assert counter.payment_id.text() == ""
    scan = counter.state.packs[-1].scan
    assert scan.source == "gs1" and scan.batch == "B301107" and scan.expiry == dt.date(2024, 1, 1)
    assert counter.state.packs[-1].check.status == "expired"
    qtbot.waitUntil(lambda: not counter._preview_timer.isActive(), timeout=5000)  # its rules asked again
    qtbot.wait(200)
