"""A long paper QR from a wedge scanner often comes in bursts with pauses between them (the scanner's
buffer, a busy machine): it is still one scan, judged whole. A paper scan that does not decode (cut short,
a fragment) says the scan was incomplete — scan again — never "tampered, do not dispense" and never a
national-code error."""

from printing.payload import encode, fields_from_prescription, seal
from printing.pharmacy import paper_verdict
from tests.ui.test_pharmacy_counter_paper import pharmacy, shown, written_by  # noqa: F401  (fixtures)
from tests.ui.test_scanner_bursts import detector, wedge  # noqa: F401  (fixtures)
from ui.common.host import Host
from ui.i18n import Words
from ui.pharmacy.retrieve import RetrieveView


def test_a_long_qr_typed_in_two_bursts_150ms_apart_is_one_scan(qtbot, detector, tokens, exchange, tmp_path):  # noqa: F811
    field, scans = detector
    rx, gp = written_by(tmp_path, tokens, exchange, "noskhe-gp")
    qr = encode(seal(fields_from_prescription(rx), gp))
    assert len(qr) > 600
    half = len(qr) // 2
    wedge(field, qr[:half], enter=False)
    qtbot.wait(150)  # the scanner's buffer empties: a pause far longer than between a scan's keys
    wedge(field, qr[half:])
    assert scans == [qr] and field.text() == ""


def test_a_fast_burst_that_reads_as_nothing_is_still_given_back(qtbot, detector):  # noqa: F811
    field, scans = detector
    wedge(field, "amoxicillin caps", enter=False)
    qtbot.wait(100)
    wedge(field, "ule")
    qtbot.waitUntil(lambda: field.text() == "amoxicillin capsule", timeout=5000)
    assert scans == []


def test_a_cut_short_paper_scan_is_unreadable_not_tampered(qtbot, pharmacy, tokens, exchange, tmp_path):  # noqa: F811
    rx, gp = written_by(tmp_path, tokens, exchange, "noskhe-gp")
    qr = encode(seal(fields_from_prescription(rx), gp))
    for fragment in (qr[: len(qr) // 2], qr[len(qr) // 2 :], qr[:-7]):
        v = paper_verdict(pharmacy, [fragment])
        assert v.verdict == "unreadable" and not v.dispensable
        fa = shown(qtbot, pharmacy, v).verdict_label.text()
        assert "دوباره اسکن" in fa and "نپیچید" not in fa
        en = shown(qtbot, pharmacy, v, "en").verdict_label.text()
        assert "incomplete or unreadable" in en and "tampered" not in en


def test_a_paper_qr_left_whole_in_the_retrieve_field_is_judged_as_a_paper(qtbot, pharmacy, tokens, exchange, tmp_path):  # noqa: F811
    rx, gp = written_by(tmp_path, tokens, exchange, "noskhe-gp")
    qr = encode(seal(fields_from_prescription(rx), gp))
    view = RetrieveView(Host(pharmacy, Words("en")))
    qtbot.addWidget(view)
    view.value.setText(qr[:-11])  # an undecodable QR: never a national-code error
    view.retrieve()
    qtbot.waitUntil(lambda: view.verdict is not None, timeout=15000)
    assert view.verdict.verdict == "unreadable"
    assert "digits only" not in view.status.text() and "national" not in view.status.text().lower()
    view.verdict = None
    view.value.setText(qr)
    view.retrieve()
    qtbot.waitUntil(lambda: view.verdict is not None, timeout=15000)
    assert view.verdict.verdict == "valid"
