"""A paper QR scanned at the counter, judged offline, and the verdict the retrieve page shows: valid, tampered,
an unknown signer, a suspended prescriber (once the trust list names him), already dispensed here — with
the prescriber's name, council number and specialty."""

import dataclasses

import pytest

from app.domain import Prescriber
from app.services.dispensing import DispenseLine
from app.services.prescribing import ItemRequest, write_prescription
from exchange import devworld
from printing.payload import encode, fields_from_prescription, seal
from printing.pharmacy import paper_verdict
from sync.counter import dispense
from tests.sync import harness
from ui.common.host import Host
from ui.i18n import Words
from ui.pharmacy.retrieve import RetrieveView


@pytest.fixture
def pharmacy(tmp_path, tokens, exchange):
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    yield ws
    ws.close()


def written_by(tmp_path, tokens, exchange, label):
    """A prescription signed by GP `label` for a seeded patient (the clinic's seal), and that GP's signer."""
    gp = harness.signer(tokens, label)
    who = gp.identity()
    ws = harness.workstation_over(
        harness.new_store(tmp_path / label, devworld.CLINIC, tokens, exchange.url),
        gp,
        harness.signer(tokens, "noskhe-clinic"),
    )
    rx = write_prescription(
        ws,
        patient=harness.patients(3)[2],
        items=[ItemRequest("101002", 21, "هر ۸ ساعت")],
        prescriber=Prescriber(who.name, who.medical_council_number, national_code=who.national_code),
    )
    ws.close()
    return rx, gp


def shown(qtbot, ws, verdict, lang="fa"):
    view = RetrieveView(Host(ws, Words(lang)))
    qtbot.addWidget(view)
    view._show_verdict(verdict)
    return view


def test_each_verdict_a_paper_can_get(qtbot, pharmacy, tokens, exchange, tmp_path):
    rx, gp = written_by(tmp_path, tokens, exchange, "noskhe-gp")
    qr = encode(seal(fields_from_prescription(rx), gp))

    # tampered: it reads, but a field was changed after signing (a QR that does not decode is unreadable)
    sealed = seal(fields_from_prescription(rx), gp)
    bad = encode(dataclasses.replace(sealed, fields=dataclasses.replace(sealed.fields, patient_last_name="X")))
    v = paper_verdict(pharmacy, [bad])
    assert v.verdict == "tampered" and v.prescription is None and not v.dispensable
    assert "دست‌کاری" in shown(qtbot, pharmacy, v).verdict_label.text()

    # an unknown signer: the QR carries only a reference to a certificate this workstation never saw
    v = paper_verdict(pharmacy, [encode(seal(fields_from_prescription(rx), gp), embed_cert=False)])
    assert v.verdict == "unknown-signer" and v.reason == "unknown-signer"
    assert "Unknown signer" in shown(qtbot, pharmacy, v, "en").verdict_label.text()

    # valid: kept for dispensing, the prescriber named with his council number and specialty
    v = paper_verdict(pharmacy, [qr])
    assert v.verdict == "valid" and v.dispensable and pharmacy.store.get_prescription(rx.id)
    view = shown(qtbot, pharmacy, v)
    assert "معتبر" in view.verdict_label.text()
    assert "۱۲۳۴۵۶" in view.verdict_detail.text() and "پزشک عمومی" in view.verdict_detail.text()
    assert [r.id for r in view.found] == [rx.id]

    # already dispensed here, in full
    dispense(pharmacy, ref=rx.id, lines=[DispenseLine(1)], offline=True, ttac_reason="بسته بدون برچسب")
    v = paper_verdict(pharmacy, [qr])
    assert v.verdict == "already-dispensed" and not v.dispensable
    assert "Already dispensed here" in shown(qtbot, pharmacy, v, "en").verdict_label.text()


def test_a_suspended_prescribers_paper_once_the_trust_list_names_him(
    qtbot, pharmacy, tokens, exchange, tmp_path
):
    rx, gp = written_by(tmp_path, tokens, exchange, "noskhe-gp-suspended")
    qr = encode(seal(fields_from_prescription(rx), gp))
    assert pharmacy.sync.refresh()["trustlist"] == "updated"  # the exchange publishes the suspension
    exchange.faults(outage=True)  # and the verdict is reached offline
    v = paper_verdict(pharmacy, [qr])
    assert v.verdict == "prescriber-suspended" and v.prescription is None
    assert "تعلیق" in shown(qtbot, pharmacy, v).verdict_label.text()
