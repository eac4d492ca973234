"""1,000 prescriptions written while the exchange is down reach it exactly once, even through a kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from app.services.outbox import Outbox
from app.store import Store
from exchange import devworld
from exchange.process import free_port
from sync.drain import Backoff
from tests.sync import harness


def exchange_view(ex) -> dict[str, str]:
    with sqlite3.connect(f"file:{ex.data / 'exchange.db'}?mode=ro", uri=True) as c:
        return dict(c.execute("SELECT client_id, tracking_code FROM prescriptions"))


def assert_registered_exactly_once(store, ex, n: int) -> None:
    stats = ex.stats()
    assert stats["prescriptions"] == n and stats["hids"] == n
    assert stats["events"]["registered"] == n and stats["duplicate_registrations"] == 0
    rows = store.conn().execute("SELECT id, state, tracking_code, hid FROM prescriptions").fetchall()
    assert len(rows) == n
    assert {r[1] for r in rows} == {"registered"}
    assert {r[0]: r[2] for r in rows} == exchange_view(ex)
    assert len({r[2] for r in rows}) == n and len({r[3] for r in rows}) == n
    counts = Outbox(store).counts()
    assert counts["done"] == 2 * n and sum(counts.values()) == 2 * n


def test_a_thousand_written_while_down_are_registered_exactly_once(
    tokens, written_1000, copy_of, tmp_path
) -> None:
    path = copy_of(written_1000)
    port = free_port()
    with Store.open(path, harness.PASSPHRASE) as store:  # the clinic's seal, as a key file here
        harness.sign_with_p12(store, devworld.CLINIC, tokens)
        store.set_meta("exchange.url", f"http://127.0.0.1:{port}")
    ws = harness.open_workstation(
        path, devworld.CLINIC, engine_options={"backoff": Backoff(0.05, 1.0), "patience": 2.0}
    )
    store, engine = ws.store, ws.sync
    ex = harness.ProcessExchange(tmp_path / "exchange", tokens.trust_list, port=port)
    try:
        down = engine.run()
        assert down.offline and down.done == 0 and engine.status().counts["pending"] == 2000
        assert engine.probe() is False
        ex.start()
        assert engine.probe() is True  # reconnection: everything due at once
        up = engine.run()
        assert up.done == 2000 and up.remaining == 0 and up.requests == 40
        assert_registered_exactly_once(store, ex, 1000)
    finally:
        ws.close()
        ex.stop()


def test_kill_minus_9_mid_drain_loses_nothing_and_duplicates_nothing(
    tokens, written_1000, copy_of, exchange_process
) -> None:
    path = copy_of(written_1000)
    ex = exchange_process.start()
    ex.faults(latency_ms=40)
    with Store.open(path, harness.PASSPHRASE) as store:  # the clinic signs in with its seal on the token
        store.set_meta("exchange.url", ex.url)
        store.set_meta("signing.facility_token", "noskhe-clinic")
    env = harness.cli_env(tokens, NOSKHE_FACILITY_PIN="333333")
    cmd = [sys.executable, "-m", "app", "--data-dir", str(path), "sync", "run", "--quiet", "--batch", "25"]
    first = subprocess.Popen(cmd, env=env, cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while ex.stats()["prescriptions"] < 300:
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    with Store.open(path, harness.PASSPHRASE) as store:
        counts = Outbox(store).counts()
        assert sum(counts.values()) == 2000 and counts["pending"] > 0 and counts["done"] > 0
        assert store.integrity_problems() == []
    ex.faults(latency_ms=0)
    again = subprocess.run(
        cmd, check=False, env=env, cwd=harness.ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with Store.open(path, harness.PASSPHRASE) as store:
        assert_registered_exactly_once(store, ex, 1000)
