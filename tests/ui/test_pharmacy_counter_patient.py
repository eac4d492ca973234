"""The pharmacy verifies the patient's code at retrieval (national rules 9-2 step 4), in the desktop as with
`noskhe rx retrieve --patient / --no-patient-check`: on the real path (the reference exchange, real
SQLCipher, the pharmacy window offscreen), a tracking code or HID asks for the code the patient presents
before anything is retrieved; a code not the patient's is refused in one line and nothing is kept; theirs
(typed, or their national card scanned) opens the prescription; retrieving without it needs a written reason
that says something, recorded in the audit log. At the counter, a "no pack code" reason of invisible marks
is refused in the window, before the token is asked."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from exchange import seed
from tests.sync import harness
from tests.ui.test_pharmacy_counter import (  # noqa: F401
    PHARMACIST_SECRET,
    others,
    pharmacy_ws,
    scan,
)
from ui.pharmacy.counter import CounterView

INVISIBLE = " \u200c\u200f \u200b "


@pytest.fixture
def desk(qtbot, pharmacy_ws, open_window, logged_in):  # noqa: F811
    window = logged_in(open_window(pharmacy_ws), PHARMACIST_SECRET)
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
    window.desk.show_retrieve()
    return window


def _written(others):  # noqa: F811
    clinic = others["clinic"]
    (rx,) = harness.write_many(clinic, 1)
    assert clinic.sync.drainer.drain().done == 1
    return clinic.store.get_prescription(rx.id)


def _not_kept(ws, rx):
    return not ws.store.find_prescriptions(tracking_code=rx.tracking_code, limit=1)


def test_a_tracking_code_asks_for_the_patients_code_refuses_another_and_opens_with_theirs(
    qtbot,
    desk,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
):
    rx = _written(others)
    retrieve, w = desk.desk.retrieve, desk.host.words
    scan(retrieve.value, rx.tracking_code)
    qtbot.waitUntil(lambda: not retrieve.check.isHidden(), timeout=5000)
    assert retrieve.pending == ("tracking", rx.tracking_code) and not retrieve.busy
    assert retrieve.found == [] and _not_kept(pharmacy_ws, rx)  # nothing asked of the exchange yet

    other = next(p["value"] for p in seed.demo_patients(3) if p["value"] != rx.patient.id.value)
    retrieve.patient_code.setText(other)
    QTest.keyClick(retrieve.patient_code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: retrieve.status.text() == w("ph_patient_mismatch"), timeout=15000)
    assert "\n" not in retrieve.status.text()  # one line
    assert retrieve.found == [] and retrieve.table.rowCount() == 0 and _not_kept(pharmacy_ws, rx)
    assert not retrieve.check.isHidden() and retrieve.pending is not None  # still asking

    # the patient's national card scanned into the field: theirs, so it opens
    retrieve.patient_code.clear()
    scan(retrieve.patient_code, rx.patient.id.value)
    qtbot.waitUntil(lambda: [r.id for r in retrieve.found] == [rx.id], timeout=15000)
    assert retrieve.check.isHidden() and retrieve.pending is None
    retrieve.open_selected()
    counter = desk.current_page()
    assert isinstance(counter, CounterView)
    qtbot.waitUntil(lambda: counter.rx is not None, timeout=15000)
    assert not pharmacy_ws.store.audit.entries(actions=("retrieve.patient-unchecked",))


def test_an_hid_retrieved_without_the_code_needs_a_reason_and_is_audited(
    qtbot,
    desk,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
):
    rx = _written(others)
    retrieve, w = desk.desk.retrieve, desk.host.words
    scan(retrieve.value, rx.hid)
    qtbot.waitUntil(lambda: not retrieve.check.isHidden(), timeout=5000)
    assert retrieve.pending == ("hid", rx.hid)

    retrieve.skip_check()  # no reason written
    assert retrieve.status.text() == w("ph_patient_skip_reason_needed") and not retrieve.busy
    retrieve.skip_reason.setText(INVISIBLE)  # a reason that says nothing: refused by the service
    retrieve.skip_check()
    qtbot.waitUntil(lambda: not retrieve.busy, timeout=15000)
    assert "نامرئی" in retrieve.status.text() and retrieve.found == [] and _not_kept(pharmacy_ws, rx)
    assert not retrieve.check.isHidden()
    assert not pharmacy_ws.store.audit.entries(actions=("retrieve.patient-unchecked",))

    reason = "بیمار بستری است و همراهش نسخه را آورده"
    retrieve.skip_reason.setText(f" {reason}\u200f ")
    QTest.keyClick(retrieve.skip_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [r.id for r in retrieve.found] == [rx.id], timeout=15000)
    assert retrieve.check.isHidden()
    (row,) = pharmacy_ws.store.audit.entries(actions=("retrieve.patient-unchecked",))
    assert row["outcome"] == reason and row["object"] == f"hid:{rx.hid}"


def test_an_invisible_no_pack_code_reason_is_refused_before_signing(
    qtbot,
    desk,
    pharmacy_ws,  # noqa: F811
    others,  # noqa: F811
):
    rx = _written(others)
    retrieve = desk.desk.retrieve
    scan(retrieve.value, rx.tracking_code)
    qtbot.waitUntil(lambda: not retrieve.check.isHidden(), timeout=5000)
    scan(retrieve.patient_code, rx.patient.id.value)
    qtbot.waitUntil(lambda: [r.id for r in retrieve.found] == [rx.id], timeout=15000)
    retrieve.open_selected()
    counter = desk.current_page()
    assert isinstance(counter, CounterView)
    qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)

    counter.ttac_reason.setText(INVISIBLE)  # no pack scanned, and a reason of invisible marks only
    counter.dispense()
    assert not counter.busy and counter.state.last is None  # refused at once: no token asked, nothing signed
    assert "نامرئی" in counter.error.text(), counter.error.text()
