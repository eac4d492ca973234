"""At the counter: a prescription dispensed in full says so (not "the rules are not checked yet"), and a
refused pack (expired) does not count in the line's packs column."""

from types import SimpleNamespace

from exchange import devworld
from exchange.seed import gtin
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness
from ui.common.host import Host
from ui.i18n import Words
from ui.pharmacy.counter import CounterView

GS = "\x1d"


def test_dispensed_in_full_and_a_refused_pack_not_counted(qtbot, tmp_path, tokens, exchange):
    sites = {
        spec.facility_token: harness.new_workstation(tmp_path / spec.facility_token, spec, tokens, exchange.url)
        for spec in (devworld.CLINIC, devworld.PHARMACY)
    }
    try:
        clinic, here = sites[devworld.CLINIC.facility_token], sites[devworld.PHARMACY.facility_token]
        rx1, rx2 = harness.write_many(clinic, 2)
        assert clinic.sync.drainer.drain().done == 2
        for rx in (rx1, rx2):
            retrieve_prescriptions(here, key="tracking", value=clinic.store.get_prescription(rx.id).tracking_code)
        host = Host(here, Words("en"))
        host.sync = SimpleNamespace(state="online", probe=lambda: None)

        # a refused pack does not count: two genuine packs and an expired one read 2/2, not 2/3
        rx = here.store.get_prescription(rx2.id)
        counter = CounterView(host, rx.id)
        qtbot.addWidget(counter)
        qtbot.waitUntil(lambda: counter.rx is not None and counter.verdict is not None, timeout=15000)
        line = rx.items[0]
        counter.select_line(1)
        good = exchange.ttac_codes(line.drug_code, 3)
        for code in good[:2]:
            counter.scan_pack(code, 1)
        counter.scan_pack(f"01{gtin(line.drug_code).zfill(14)}1724010110B301107{GS}21{good[2]}", 1)
        qtbot.waitUntil(lambda: all(p.check is not None for p in counter.state.packs), timeout=15000)
        assert [p.check.status for p in counter.state.packs][-1] == "expired"
        qtbot.waitUntil(lambda: counter.lines.item(0, 6).text() in ("2/2", "۲/۲"), timeout=5000)

        # dispensed in full: said so where the rules would be
        dispense(here, ref=rx1.id, all_lines=True, ttac_reason="بسته بدون برچسب")
        assert here.store.get_prescription(rx1.id).fully_dispensed
        done = CounterView(host, rx1.id)
        qtbot.addWidget(done)
        qtbot.waitUntil(lambda: done.rx is not None, timeout=15000)
        qtbot.wait(100)
        assert "dispensed in full" in done.rules_summary.text()
        assert "not checked yet" not in done.rules_summary.text()
        host.tasks.shutdown()
    finally:
        for ws in sites.values():
            ws.close()
