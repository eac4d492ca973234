"""The engine: status, reference-data refresh (stale but usable), connectivity probe and the schedules."""

from __future__ import annotations

import time

from app.services.outbox import Outbox
from exchange import devworld
from sync.drain import Backoff
from sync.engine import SyncEngine
from sync.status import sync_status
from tests.sync import harness


def _wait(cond, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_status_counts_ages_and_attention(exchange, clinic, clinic_ws) -> None:
    assert sync_status(clinic).online is None  # never tried
    with harness.exchange_down(exchange):  # written offline: eligibility and registration queued
        harness.write_many(clinic_ws, 2)
    st = sync_status(clinic)
    assert st.counts["pending"] == 4 and st.counts["done"] == 0
    assert st.oldest_pending_age_s is not None and st.oldest_pending_age_s < 60
    assert st.online is False and st.last_success is None  # admission found the exchange down
    assert all(info["stale"] for info in st.reference.values())


def test_reference_refresh_brings_prices_rules_and_trust_list_then_304(
    exchange, clinic, clinic_client
) -> None:
    engine = SyncEngine(clinic, clinic_client)
    assert clinic.catalog.get("101002").price == 0  # the starter catalog has no prices
    assert engine.refresh() == {"catalog": "updated", "rules": "updated", "trustlist": "updated"}
    assert clinic.catalog.get("101002").price > 0
    assert engine.refresh() == {"catalog": "current", "rules": "current", "trustlist": "current"}
    ref = engine.status().reference
    assert all(not info["stale"] and info["age_s"] < 60 for info in ref.values())
    exchange.faults(outage=True)
    out = engine.refresh()
    assert all(v.startswith("failed") for v in out.values())
    assert clinic.catalog.get("101002").price > 0  # stale but usable
    assert engine.status().reference["catalog"]["version"] == ref["catalog"]["version"]


def test_probe_switches_online_and_the_schedules_drain_on_reconnection(
    exchange, clinic, clinic_client, clinic_ws
) -> None:
    exchange.faults(outage=True)
    harness.write_many(clinic_ws, 3)
    engine = SyncEngine(
        clinic,
        clinic_client,
        backoff=Backoff(30.0, 60.0),
        drain_every=3600,
        probe_every=0.2,
        refresh_every=3600,
        patience=0.5,
    )
    events = []
    engine.listeners.append(lambda e, d: events.append(e))
    engine.run()
    assert engine.status().online is False
    assert Outbox(clinic).counts()["pending"] == 6
    engine.start()
    try:
        assert _wait(lambda: "offline" in events or engine.status().online is False)
        exchange.faults(outage=False)
        # long backoffs would hold the rows for a minute; reconnection makes them due at once
        assert _wait(lambda: engine.status().counts["done"] == 6)
        assert "online" in events and engine.status().online is True
    finally:
        engine.stop()


def test_the_engine_works_for_a_pharmacy_too(tmp_path, tokens, exchange) -> None:
    ws = harness.new_workstation(tmp_path / "ph", devworld.PHARMACY, tokens, exchange.url)
    engine = ws.sync
    assert engine.probe() is True
    assert engine.run().done == 0
    ws.close()


def test_the_clinic_learns_its_prescription_was_dispensed_and_refuses_edits_locally(
    tmp_path, tokens, exchange, clinic, clinic_client, clinic_ws
) -> None:
    import pytest

    from app.errors import IllegalTransition
    from app.services.dispensing import DispenseLine, record_dispensing
    from app.services.prescribing import edit_prescription

    engine = SyncEngine(clinic, clinic_client, backoff=Backoff(0.01, 0.05))
    (rx,) = harness.write_many(clinic_ws, 1)
    assert engine.run().statuses == {"checked": 1, "changed": 0}
    ph = harness.new_workstation(tmp_path / "ph", devworld.PHARMACY, tokens, exchange.url)
    pharmacy = ph.store
    pharmacy.save_prescription(clinic.get_prescription(rx.id), clinic.signatures(rx.id, 1))
    record_dispensing(
        pharmacy,
        rx.id,
        pharmacist=devworld.PHARMACISTS["noskhe-pharmacist"],
        lines=[DispenseLine(1), DispenseLine(2)],
        signers=ph.signers(),
        ttac_reason="test: packs not scanned",
    )
    assert ph.sync.run().done == 1
    assert engine.run().statuses == {"checked": 1, "changed": 1}
    assert clinic.get_prescription(rx.id).state.value == "dispensed"
    with pytest.raises(IllegalTransition):
        edit_prescription(clinic_ws, rx.id, notes="too late")
    ph.close()
