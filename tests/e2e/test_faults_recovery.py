"""Recovery after an outage: once the exchange answers again, the whole queue drains at once (in order per
prescription), not just the rows whose backoff happened to run out."""

from __future__ import annotations

import pytest

from exchange import devworld
from sync.drain import Backoff
from tests.sync import harness
from tests.sync.fixtures import exchange  # noqa: F401


@pytest.fixture
def clinic_ws(tmp_path, tokens, exchange):  # noqa: F811
    """The TEST clinic with the engine's real backoff (2 s doubling, capped at 5 minutes)."""
    ws = harness.new_workstation(
        tmp_path / "clinic", devworld.CLINIC, tokens, exchange.url,
        engine_options={"backoff": Backoff(), "patience": 0.5},
    )
    yield ws
    ws.close()


@pytest.mark.parametrize("fault", [{"outage": True}, {"error_rate": 1.0}], ids=["outage", "all-5xx"])
def test_after_a_fault_clears_one_sync_run_drains_the_whole_queue(clinic_ws, exchange, fault) -> None:  # noqa: F811
    ws = clinic_ws
    exchange.faults(**fault)
    written = harness.write_many(ws, 12)
    for _ in range(3):  # the drains during the fault put every row on a growing backoff
        ws.sync.run()
    pending = ws.store.outbox.counts()["pending"]
    assert pending == 24
    assert ws.store.outbox.heads(limit=100) == [] or fault.get("error_rate")
    exchange.faults(outage=False, error_rate=0.0)
    first = ws.sync.run()
    assert first.remaining == 0, first
    assert first.done == 24 and first.quarantined == 0 and first.rejected == 0
    stats = exchange.stats()
    assert stats["prescriptions"] == 12 and stats["duplicate_registrations"] == 0
    assert {rx.id for rx in written} == {r[0] for r in ws.store.conn().execute(
        "SELECT id FROM prescriptions WHERE state = 'registered'")}


def test_the_probe_that_sees_the_exchange_back_makes_every_row_due(clinic_ws, exchange) -> None:  # noqa: F811
    ws = clinic_ws
    with harness.exchange_down(exchange):
        harness.write_many(ws, 4)
        ws.sync.run()
        assert ws.sync.probe() is False
        assert ws.store.outbox.counts()["pending"] == 8
    assert ws.sync.probe() is True
    assert len(ws.store.outbox.heads(limit=100)) == 4  # every chain's head due now, in order per prescription
