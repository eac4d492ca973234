"""The window's house: two lanes, results back on the UI thread, ops and their changes, the one failure
path, a prompter that asks from a worker — and an event loop that keeps turning during a long signature
and a long sync."""

import threading
import time

from PySide6.QtCore import QTimer

from app.errors import NoskheError
from tests.conftest import make_prescription
from tests.sync import harness
from ui.common.operations import Changes, Op
from ui.common.taskman import Lane


def test_store_and_network_work_run_on_their_own_lanes_one_at_a_time(qtbot, ws, open_window):
    window = open_window(ws)
    tasks = window.host.tasks
    seen, running, overlap = [], [0], []

    def work(lane):
        def run():
            running[0] += 1
            overlap.append(running[0])
            time.sleep(0.02)
            seen.append((lane, threading.current_thread().name))
            running[0] -= 1
            return lane

        return run

    back = []
    for _ in range(3):
        tasks.run(Lane.STORE, work("store"), lambda f: back.append((f.result(), threading.current_thread())))
    tasks.run(Lane.NETWORK, work("network"), lambda f: back.append((f.result(), threading.current_thread())))
    assert tasks.wait(10)
    names = {lane: {n for l, n in seen if l == lane} for lane in ("store", "network")}
    assert len(names["store"]) == 1 and names["store"].pop().startswith("noskhe-store")
    assert names["network"].pop().startswith("noskhe-net")
    assert all(t is threading.main_thread() for _r, t in back) and len(back) == 4
    assert max(overlap) <= 2  # one store task and one network task at most, never two of a lane


def test_an_op_publishes_its_changes_and_a_failure_goes_to_one_place(qtbot, ws, open_window):
    window = open_window(ws)
    host = window.host
    published, failures, results = [], [], []
    host.changes.changed.connect(published.append)
    Op(lambda: 41 + 1, changes=lambda n: Changes(prescriptions=frozenset({str(n)}))).success(
        results.append
    ).run(host)
    Op(lambda: (_ for _ in ()).throw(NoskheError("No.", "نه."))).failure(failures.append).run(host)
    Op(lambda: 1 / 0).run(host)  # no failure callback: the host's one failure path
    assert host.tasks.wait(10)
    assert results == [42] and published[0].touches("42")
    assert len(failures) == 1 and failures[0].fa == "نه."
    assert host.last_error and "ZeroDivisionError" in host.last_error and "Traceback" not in host.last_error


def test_a_written_prescription_refreshes_the_list_by_itself(qtbot, ws, open_window, store):
    window = open_window(ws)
    window.browse()
    qtbot.waitUntil(lambda: window.desk.prescriptions.refresh_button.isEnabled())
    rx = make_prescription()
    Op(lambda: store.save_prescription(rx), changes=Changes.of_prescription(rx.id)).run(window.host)
    qtbot.waitUntil(lambda: window.desk.prescriptions.loaded == 1)


def test_the_prompter_asks_from_a_worker_on_the_ui_thread(qtbot, clinic_ws, open_window, monkeypatch):
    from ui.common.prompter import FacilityPassphraseDialog

    window = open_window(clinic_ws)
    asked_on = []
    monkeypatch.setattr(
        FacilityPassphraseDialog,
        "ask",
        classmethod(lambda cls, *a, **k: asked_on.append(threading.current_thread()) or "secret"),
    )
    got = []
    Op(lambda: clinic_ws.prompter.passphrase("facility-p12"), lane=Lane.NETWORK).success(got.append).run(
        window.host
    )
    qtbot.waitUntil(lambda: got == ["secret"])
    assert asked_on == [threading.main_thread()]


def _ticks(qtbot):
    ticks = [0]
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    timer.start()
    return ticks, timer


def test_the_event_loop_keeps_turning_during_a_long_signature(
    qtbot, clinic_ws, open_window, logged_in, monkeypatch
):
    from smartcard.p12 import P12Signer
    from tests.ui.test_editor import fill

    window = logged_in(open_window(clinic_ws))
    editor = window.desk.new_prescription()
    fill(qtbot, editor)
    real = P12Signer.sign

    def slow(self, data):
        time.sleep(0.6)  # a slow token: each of the two signatures
        return real(self, data)

    monkeypatch.setattr(P12Signer, "sign", slow)
    editor.findings.show_check(_offline_check())
    ticks, timer = _ticks(qtbot)
    started = time.monotonic()
    editor.sign()
    assert editor.busy and window.host.progress.running  # progress shows while it signs
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    elapsed = time.monotonic() - started
    timer.stop()
    assert elapsed >= 1.2
    assert ticks[0] >= 0.5 * elapsed / 0.02, (ticks[0], elapsed)  # the loop turned all along


def test_the_event_loop_keeps_turning_during_a_long_sync(qtbot, clinic_ws, open_window, logged_in, exchange):
    clinic_ws.store.set_meta("exchange.url", exchange.url)
    harness.write_many(clinic_ws, 3)
    exchange.faults(latency_ms=400)  # every call to the exchange is slow
    window = open_window(clinic_ws)
    ticks, timer = _ticks(qtbot)
    started = time.monotonic()
    logged_in(window)  # the seal opens, the sync starts: probe, drain (eligibility, then registration)
    qtbot.waitUntil(
        lambda: window.sync.last_report is not None and window.sync.last_report.done > 0, timeout=30000
    )
    qtbot.waitUntil(lambda: clinic_ws.store.outbox.counts().get("pending", 0) == 0, timeout=30000)
    elapsed = time.monotonic() - started
    timer.stop()
    assert elapsed >= 1.5
    assert ticks[0] >= 0.5 * elapsed / 0.02, (ticks[0], elapsed)
    assert window.sync.state == "online"


def _offline_check():
    from sync.checking import RulesCheck

    return RulesCheck(
        findings=[],
        total={"insurer": 0, "patient": 0},
        rejected=False,
        offline=True,
        reason_en="test",
        reason_fa="آزمایش",
    )
