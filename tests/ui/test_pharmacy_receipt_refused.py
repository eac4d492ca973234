"""A dispensing the exchange refused as a conflict (another pharmacy dispensed first) has no receipt: the
counter's "Print receipt" and "Save receipt (PDF)" are disabled once the conflict is known."""

from types import SimpleNamespace

from exchange import devworld
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness
from ui.common.host import Host
from ui.i18n import Words
from ui.pharmacy.counter import CounterView


def test_no_receipt_buttons_for_a_conflicted_dispensing(qtbot, tmp_path, tokens, exchange):
    sites = {
        spec.facility_token: harness.new_workstation(tmp_path / spec.facility_token, spec, tokens, exchange.url)
        for spec in (devworld.CLINIC, devworld.PHARMACY, devworld.PHARMACY_2)
    }
    try:
        clinic, here, other = (
            sites[s.facility_token] for s in (devworld.CLINIC, devworld.PHARMACY, devworld.PHARMACY_2)
        )
        (rx,) = harness.write_many(clinic, 1)
        assert clinic.sync.drainer.drain().done == 1
        tracking = clinic.store.get_prescription(rx.id).tracking_code
        for ws in (here, other):
            retrieve_prescriptions(ws, key="tracking", value=tracking)
        dispense(other, ref=rx.id, all_lines=True, ttac_reason="بسته بدون برچسب")  # the other one first

        host = Host(here, Words("en"))
        host.sync = SimpleNamespace(state="offline", probe=lambda: None)
        counter = CounterView(host, rx.id)
        qtbot.addWidget(counter)
        qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)
        counter.ttac_reason.setText("بسته بدون برچسب")
        counter.dispense()
        qtbot.waitUntil(lambda: not counter.busy and counter.state.last is not None, timeout=15000)
        assert counter.print_button.isEnabled() and counter.save_button.isEnabled()  # queued: a receipt
        assert here.sync.drainer.drain().conflicts == 1
        counter._loaded(counter.rx)  # the counter hears of the conflict
        qtbot.waitUntil(lambda: not counter.conflict.isHidden(), timeout=15000)
        assert not counter.print_button.isEnabled() and not counter.save_button.isEnabled()
        host.tasks.shutdown()
    finally:
        for ws in sites.values():
            ws.close()
