"""At the counter, online: a prescription another pharmacy has claimed is refused before anything is signed,
and the counter says who holds it and since when."""

from types import SimpleNamespace

from exchange import devworld
from sync.counter import claim
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness
from ui.common.host import Host
from ui.i18n import Words
from ui.pharmacy.counter import CounterView


def test_a_claim_held_elsewhere_is_refused_with_who_holds_it(qtbot, tmp_path, tokens, exchange):
    sites = {
        spec.facility_token: harness.new_workstation(
            tmp_path / spec.facility_token, spec, tokens, exchange.url
        )
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
        claim(other, other.store.get_prescription(rx.id))  # the patient went there first

        host = Host(here, Words("fa"))
        host.sync = SimpleNamespace(state="online")  # as the window's probe found it
        counter = CounterView(host, rx.id)
        qtbot.addWidget(counter)
        qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)
        counter.ttac_reason.setText("بسته بدون برچسب")
        counter.dispense()
        qtbot.waitUntil(lambda: not counter.busy and not counter.error.isHidden(), timeout=15000)
        assert devworld.PHARMACY_2.name in counter.error.text() and "۱۴۰" in counter.error.text()
        assert counter.state.last is None and here.store.get_prescription(rx.id).dispensed_of(1) == 0

        # the patient comes here after all: the other pharmacy lets go, this one claims, then lets go too
        from sync.counter import release_claim

        assert release_claim(other, rx.id).released
        claim(here, here.store.get_prescription(rx.id))
        counter.release_button.click()
        qtbot.waitUntil(lambda: "رها شد" in counter.result.text(), timeout=15000)
        claim(other, other.store.get_prescription(rx.id))  # free for another pharmacy again
        host.tasks.shutdown()
    finally:
        for ws in sites.values():
            ws.close()
