"""Right at the counter, against a real exchange process: packs checked (9-2-7), partial lines completed
later, and local state that follows the exchange's verdicts (cancelled, suspended, refused).

Each site is a `Workstation` over its SQLCipher store, signing with PKCS#12 files as the CLI does
(`tests.sync.harness.new_workstation`); the pharmacies use the counter's use cases (`sync.retrieve`,
`sync.counter`) and the CLI's own handlers (`rx show`, `sync attention`)."""

from __future__ import annotations

import json

import pytest

from app.canonical import canonical_bytes
from app.cli import main
from app.domain import DispensedPack, Dispensing, DispensingItem, Prescriber
from app.services.dispensing import (
    DISPENSING_ROLES,
    DispenseLine,
    NotDispensable,
    TtacReasonNeeded,
    pharmacist_of,
)
from app.services.prescribing import ItemRequest, cancel_prescription, sign_with, write_prescription
from app.workstation import Workstation
from exchange import devworld
from printing.payload import PaperSignatureError, encode, fields_from_prescription, seal
from printing.pharmacy import read_paper
from sync import fhir
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness

UNKNOWN_PACK = "1234567890123456"  # 16 digits, well formed, unknown to TTAC


@pytest.fixture
def world(tmp_path, tokens, exchange_process, monkeypatch):
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)  # for the CLI's handlers
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    ex = exchange_process.start()
    sites = harness.three_sites(tmp_path, tokens, ex.url)
    yield ex, sites
    for ws in sites.values():
        ws.close()


def cli(ws: Workstation, capsys, *argv: str) -> tuple[int, str]:
    """`noskhe --data-dir <the site's> …` in-process, as typed at the counter."""
    code = main(["--data-dir", str(ws.store.data_dir), "--lang", "en", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


ITEMS = (ItemRequest("101002", 21, "هر ۸ ساعت"), ItemRequest("103011", 10, "شب"))


def registered(sites, items=ITEMS):
    """One prescription written at the clinic and registered at the exchange."""
    clinic = sites["clinic"]
    rx = write_prescription(clinic, patient=harness.patients(1)[0], items=list(items))
    assert clinic.sync.run().done >= 1
    return clinic.store.get_prescription(rx.id)


def shelf(ex, rx, line: int, n: int = 1) -> tuple[DispensedPack, ...]:
    """`n` genuine packs of the drug of `line` (TTAC codes from the exchange's stock)."""
    drug = next(it.drug_code for it in rx.items if it.line == line)
    return tuple(DispensedPack(c) for c in ex.ttac_codes(drug, n))


def paper_of(rx, signer) -> str:
    """The QR text of `rx`'s paper copy, signed by `signer` (the prescriber)."""
    return encode(seal(fields_from_prescription(rx), signer))


# ---- 5. partial lines --------------------------------------------------------------------------------


def test_a_partial_line_is_completed_later_here_and_at_the_exchange(world, capsys) -> None:
    ex, sites = world
    rx = registered(sites)
    pharmacy = sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    p1, p2, p3 = (shelf(ex, rx, 1, 2)[0], shelf(ex, rx, 1, 2)[1], shelf(ex, rx, 2)[0])

    first = dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(1, 15, packs=(p1,))])
    assert first.dispensing.state == "registered" and first.dispensing.items[0].quantity == 15
    kept = pharmacy.store.get_prescription(rx.id)
    assert kept.state.value == "partially_dispensed" and kept.dispensed_of(1) == 15 and kept.remaining(1) == 6
    assert first.to_dict()["quantities"] == {"1": "15/21", "2": "0/10"}
    code, out = cli(pharmacy, capsys, "rx", "show", rx.id)
    assert code == 0 and "15/21" in out and "partially_dispensed" in out
    status = pharmacy.client.status(rx.tracking_code)
    assert status["state"] == "partially_dispensed" and status["dispensedQuantities"] == {"1": 15}
    assert status["dispensedLines"] == []

    # more than remains is refused here at once, before any token or the exchange is asked
    with pytest.raises(Exception, match="6 remain"):
        dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(1, 10, packs=(p2,))])

    # the remainder of line 1, later: the quantity defaults to what remains
    rest = dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(1, packs=(p2,))])
    assert rest.dispensing.state == "registered" and rest.dispensing.items[0].quantity == 6
    assert pharmacy.store.get_prescription(rx.id).state.value == "partially_dispensed"  # line 2 is open
    assert pharmacy.client.status(rx.tracking_code)["dispensedQuantities"] == {"1": 21}

    last = dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(2, packs=(p3,))])
    assert last.dispensing.state == "registered"
    done = pharmacy.store.get_prescription(rx.id)
    assert done.state.value == "dispensed" and done.dispensed_lines == [1, 2]
    status = pharmacy.client.status(rx.tracking_code)
    assert status["state"] == "dispensed" and status["dispensedLines"] == [1, 2]
    assert [d["lines"] for d in status["dispensings"]] == [[1], [1], [2]]
    code, out = cli(pharmacy, capsys, "rx", "show", rx.id)
    assert "21/21" in out and "10/10" in out
    # the clinic learns it (status pull): dispensed in full, no edit any more
    assert sites["clinic"].sync.run().statuses["changed"] == 1
    assert sites["clinic"].store.get_prescription(rx.id).state.value == "dispensed"


def test_dispense_all_takes_only_what_remains(world) -> None:
    ex, sites = world
    rx = registered(sites)
    pharmacy = sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(1, 15, packs=shelf(ex, rx, 1))])
    rest = dispense(pharmacy, ref=rx.tracking_code, all_lines=True, ttac_reason="labels torn by the damp")
    assert [(it.line, it.quantity) for it in rest.dispensing.items] == [(1, 6), (2, 10)]
    assert rest.dispensing.state == "registered" and rest.ttac == "skipped"
    assert pharmacy.store.get_prescription(rx.id).state.value == "dispensed"
    with pytest.raises(NotDispensable, match="dispensed in full"):
        dispense(pharmacy, ref=rx.tracking_code, all_lines=True, ttac_reason="again")


def test_the_exchange_refuses_more_units_than_remain_from_another_pharmacy(world) -> None:
    ex, sites = world
    rx = registered(sites)
    first, second = sites["noskhe-pharmacy"], sites["noskhe-pharmacy-2"]
    for ws in (first, second):
        retrieve_prescriptions(ws, key="tracking", value=rx.tracking_code)
    packs = shelf(ex, rx, 1, 2)
    dispense(first, ref=rx.tracking_code, lines=[DispenseLine(1, 15, packs=packs[:1])])
    first.client.release(rx.tracking_code, None)  # the patient takes the rest elsewhere
    # the second pharmacy did not know (it retrieved before): offline, 10 more of line 1
    late = dispense(second, ref=rx.id, lines=[DispenseLine(1, 10, packs=packs[1:])], offline=True)
    assert late.ttac == "queued"
    report = second.sync.run()
    assert report.conflicts == 1
    (item,) = second.sync.status().attention
    assert item["code"] == "already-dispensed" and "6 remain" in item["reason_en"]
    kept = second.store.get_prescription(rx.id)
    assert kept.dispensed_of(1) == 15 and kept.state.value == "partially_dispensed"
    # once the item is settled, what remains is still there for it: 6 units
    second.store.outbox.acknowledge(item["id"])
    again = dispense(second, ref=rx.tracking_code, lines=[DispenseLine(1, packs=packs[1:])])
    assert again.dispensing.items[0].quantity == 6 and again.dispensing.state == "registered"


# ---- 4. packs are checked ----------------------------------------------------------------------------


def test_packs_without_codes_need_a_reason_that_is_signed_and_seen_by_the_exchange(world) -> None:
    ex, sites = world
    rx = registered(sites)
    pharmacy = sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    with pytest.raises(TtacReasonNeeded) as exc:
        dispense(
            pharmacy, ref=rx.tracking_code, lines=[DispenseLine(1, packs=shelf(ex, rx, 1)), DispenseLine(2)]
        )
    assert exc.value.details["lines"] == [2]
    with pytest.raises(TtacReasonNeeded, match="Skipping the TTAC check"):
        dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(1, packs=shelf(ex, rx, 1))], ttac=False)
    assert pharmacy.store.outbox.counts()["pending"] == 0 and "claimed" not in ex.stats()["events"]

    reason = "TTAC down since morning; labels photographed"
    done = dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(2)], ttac_reason=reason)
    d = done.dispensing
    assert d.state == "registered" and d.ttac_reason == reason and done.ttac == "skipped"
    # the reason is part of what the pharmacist and the pharmacy signed
    assert d.document()["ttac_reason"] == reason
    trust = pharmacy.trust
    for sig in pharmacy.store.dispensing_signatures(d.id):
        trust.verify(canonical_bytes(d.document()), sig.cms)
    (seen,) = pharmacy.client.status(rx.tracking_code)["dispensings"]
    assert seen["ttacReason"] == reason


def test_the_exchange_refuses_a_dispensing_with_neither_codes_nor_reason(world) -> None:
    ex, sites = world
    rx = registered(sites)
    pharmacy = sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    item = rx.items[1]
    # a dispensing made by another client that does not ask for codes: signed, but bare
    d = Dispensing(
        prescription_id=rx.id,
        pharmacist=pharmacist_of(pharmacy.user_signer()),
        facility_siam=pharmacy.store.facility_siam,
        items=[DispensingItem(item.line, item.drug_code, 10)],
        hid=rx.hid,
        tracking_code=rx.tracking_code,
    )
    sigs = sign_with(pharmacy.signers(), d.document(), DISPENSING_ROLES)
    reply = pharmacy.client.call(
        "POST", "/dispensings", body=fhir.dispensing_bundle(d, sigs), headers={"Idempotency-Key": d.id}
    )
    assert reply.status == 422, reply.body
    assert reply.refusal().code == "ttac-missing" and reply.refusal().details["lines"] == [item.line]
    assert ex.stats()["dispensings"] == 0


def test_offline_the_pack_check_is_queued_and_a_bad_pack_needs_attention(world, capsys) -> None:
    ex, sites = world
    rx = registered(sites)
    pharmacy = sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    good = shelf(ex, rx, 2)
    ok = dispense(pharmacy, ref=rx.id, lines=[DispenseLine(2, packs=good)], offline=True)
    assert ok.ttac == "queued" and ok.dispensing.state == "queued" and ok.to_dict()["ttac"] == "queued"
    assert pharmacy.sync.run().done == 1
    receipt = pharmacy.store.results.get(f"disp:{ok.dispensing.id}", "receipt")
    assert receipt["packs"] == [{"line": 2, "code": good[0].authenticity_code, "status": "genuine"}]

    bad = dispense(
        pharmacy, ref=rx.id, lines=[DispenseLine(1, packs=(DispensedPack(UNKNOWN_PACK),))], offline=True
    )
    assert bad.ttac == "queued"
    report = pharmacy.sync.run()
    assert report.rejected == 1 and pharmacy.store.get_dispensing(bad.dispensing.id).state == "rejected"
    _, out = cli(pharmacy, capsys, "sync", "attention", "--json")
    (item,) = json.loads(out)
    assert item["code"] == "unknown-pack" and UNKNOWN_PACK in item["reason_en"] and item["action_en"]


# ---- 6. state follows the exchange's verdicts ------------------------------------------------------------


def test_a_cancelled_prescription_is_refused_at_the_counter_after_the_status_pull(world) -> None:
    ex, sites = world
    rx = registered(sites)
    pharmacy, clinic = sites["noskhe-pharmacy"], sites["clinic"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    cancel_prescription(clinic, rx.id)
    assert clinic.sync.run().done == 1
    assert pharmacy.sync.run().statuses == {"checked": 1, "changed": 1}
    assert pharmacy.store.get_prescription(rx.id).state.value == "cancelled"
    ex.faults(outage=True)  # offline now: the counter knows
    with pytest.raises(NotDispensable, match="cancelled") as exc:
        dispense(pharmacy, ref=rx.id, lines=[DispenseLine(1, packs=shelf(ex, rx, 1))], offline=True)
    assert exc.value.details["state"] == "cancelled"
    assert pharmacy.store.outbox.counts()["pending"] == 0
    assert ("passphrase", "user-p12") not in pharmacy.prompter.asked  # type: ignore[attr-defined]  # no signature


def test_a_cancelled_paper_dispensed_once_offline_is_refused_the_second_time(world, tokens) -> None:
    ex, sites = world
    rx = registered(sites)
    clinic, pharmacy = sites["clinic"], sites["noskhe-pharmacy"]
    qr = paper_of(rx, clinic.user_signer())
    cancel_prescription(clinic, rx.id)
    assert clinic.sync.run().done == 1
    lines = [DispenseLine(1, packs=shelf(ex, rx, 1)), DispenseLine(2, packs=shelf(ex, rx, 2))]

    done = dispense(pharmacy, paper=lambda: read_paper(pharmacy, [qr]), lines=lines, offline=True)  # from paper
    assert done.from_paper and done.dispensing.state == "queued"
    with pytest.raises(NotDispensable, match="dispensed in full"):  # the same paper again, before any sync
        dispense(pharmacy, paper=lambda: read_paper(pharmacy, [qr]), all_lines=True, ttac_reason="x", offline=True)

    report = pharmacy.sync.run()
    assert report.conflicts == 1
    (item,) = pharmacy.sync.status().attention
    assert item["code"] == "cancelled" and item["action_en"]
    assert pharmacy.store.get_prescription(rx.id).state.value == "cancelled"
    with pytest.raises(NotDispensable, match="cancelled"):
        dispense(pharmacy, paper=lambda: read_paper(pharmacy, [qr]), lines=lines)
    assert ex.stats()["dispensings"] == 0 and pharmacy.store.outbox.counts()["pending"] == 0


def test_an_online_claim_refused_as_cancelled_is_remembered(world) -> None:
    ex, sites = world
    rx = registered(sites)
    clinic, pharmacy = sites["clinic"], sites["noskhe-pharmacy"]
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    cancel_prescription(clinic, rx.id)
    clinic.sync.run()
    from sync.client import ExchangeRefused

    with pytest.raises(ExchangeRefused) as exc:
        dispense(pharmacy, ref=rx.tracking_code, lines=[DispenseLine(1, packs=shelf(ex, rx, 1))])
    assert exc.value.code == "cancelled"
    assert pharmacy.store.get_prescription(rx.id).state.value == "cancelled"


def test_a_suspended_prescriber_is_refused_offline_and_a_late_refusal_needs_attention(
    world, tokens, tmp_path
) -> None:
    ex, sites = world
    pharmacy = sites["noskhe-pharmacy"]
    suspended = harness.signer(tokens, "noskhe-gp-suspended")
    who = suspended.identity()
    gp = harness.workstation_over(
        harness.new_store(tmp_path / "suspended-gp", devworld.CLINIC, tokens, ex.url),
        suspended,
        harness.signer(tokens, "noskhe-clinic"),
    )
    written = [
        write_prescription(
            gp,
            patient=p,
            items=[ItemRequest("101002", 21, "هر ۸ ساعت")],
            prescriber=Prescriber(who.name, who.medical_council_number, national_code=who.national_code),
        )
        for p in harness.patients(2)
    ]
    gp.close()
    first, second = (paper_of(rx, suspended) for rx in written)

    # the pharmacy's trust list is older than the suspension: the paper verifies, is dispensed offline…
    done = dispense(
        pharmacy,
        paper=lambda: read_paper(pharmacy, [first]),
        lines=[DispenseLine(1, packs=shelf(ex, written[0], 1))],
    )
    assert done.dispensing.prescriber_council == who.medical_council_number
    # …and the exchange refuses it for good: an item that needs attention, not a row pending for ever
    report = pharmacy.sync.run()
    assert report.rejected == 1 and report.remaining == 0
    (item,) = pharmacy.sync.status().attention
    assert item["code"] == "prescriber-suspended" and item["action_en"]
    assert pharmacy.store.get_prescription(written[0].id).state.value == "rejected"

    # refreshed with the trust list (the first send fetched it already: it had never been fetched), the
    # suspension is known offline: the next paper is refused at once
    assert pharmacy.sync.refresh()["trustlist"] in ("updated", "current")
    assert [s.council for s in pharmacy.trust.suspended] == [who.medical_council_number]
    ex.faults(outage=True)
    with pytest.raises(PaperSignatureError, match="suspended") as exc:
        dispense(pharmacy, paper=lambda: read_paper(pharmacy, [second]), all_lines=True, ttac_reason="x")
    assert exc.value.details["reason"] == "prescriber-suspended"
    assert pharmacy.store.get_prescription(written[0].id).state.value == "rejected"
    with pytest.raises(Exception, match="No prescription"):
        pharmacy.store.get_prescription(written[1].id)  # nothing kept of the refused paper


def test_a_prescriber_suspended_later_is_published_with_the_trust_list(world) -> None:
    ex, sites = world
    pharmacy = sites["noskhe-pharmacy"]
    ex.admin("POST", "/admin/council", {"number": devworld.GP.medical_council_number, "status": "suspended"})
    assert pharmacy.sync.refresh()["trustlist"] == "updated"
    assert {s.council for s in pharmacy.trust.suspended} == {"555555", devworld.GP.medical_council_number}
    ex.admin("POST", "/admin/council", {"number": devworld.GP.medical_council_number, "status": "active"})
    assert pharmacy.sync.refresh()["trustlist"] == "updated"
    assert [s.council for s in pharmacy.trust.suspended] == ["555555"]
