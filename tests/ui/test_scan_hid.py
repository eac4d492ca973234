"""The clinic's scan routing: an HID scanned anywhere in the window opens the prescription kept for that
visit, as its tracking code does (offscreen Qt, real SQLCipher store, the real dev tokens)."""

from __future__ import annotations

from tests.conftest import make_prescription
from ui.common.scanner import Scanned, read_scan

HID = "1000000000000024"
TRACKING = "100000000009"


def test_an_hid_or_tracking_code_scan_opens_its_prescription(qtbot, clinic_ws, clinic_store, open_window):
    from ui.clinic.detail import PrescriptionDetail

    rx = make_prescription()
    rx.hid, rx.tracking_code = HID, TRACKING
    clinic_store.save_prescription(rx)
    window = open_window(clinic_ws)
    assert [s.kind for s in read_scan(HID)] == ["hid"]  # what the scanner sees: an HID
    assert window.desk.route_scan(read_scan(HID))
    qtbot.waitUntil(
        lambda: (
            isinstance(window.current_page(), PrescriptionDetail) and window.current_page().rx_id == rx.id
        ),
        timeout=15000,
    )
    assert "scan_not_found" not in window.statusBar().currentMessage()
    window.desk.route_scan([Scanned("tracking-code", TRACKING)])
    qtbot.waitUntil(lambda: window.current_page().rx_id == rx.id, timeout=15000)
