"""One pricing model, at the clinic, at the counters and at the exchange (issue 9, point 1; section 7).

Against a real exchange process on loopback, with SQLCipher stores and PKCS#12 signers: prescriptions for
patients under a scheme (the rural fund, 90 %), a basic insurer with a supplementary plan, an overlap of two
basic insurers and no insurer at all, written online and while the exchange is down, dispensed online
(claim, TTAC, the exchange's rules), offline after retrieval, and from paper during an outage. For every
dispensing the split on its receipt, the one its pharmacist signed and the one on the exchange's statement
are the same; offline the figure is an estimate and says so; when the exchange prices otherwise its split
is adopted and the difference is shown."""

from __future__ import annotations

import pytest

from app.costs import CostSplit, percent_of
from app.domain import DispensedPack, Patient, PatientId
from app.services.checking import dispensing_settlement, prescription_settlement
from app.services.dispensing import DispenseLine
from app.services.prescribing import ItemRequest, write_prescription
from app.services.statements import statement
from exchange import seed
from printing.paper import print_prescription
from printing.pharmacy import print_receipt, read_paper
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.printing.conftest import need, pdf_text
from tests.sync import harness

ITEMS = [ItemRequest("101002", 21, "هر ۸ ساعت"), ItemRequest("103011", 10, "در صورت درد")]


@pytest.fixture
def world(tmp_path, tokens, exchange_process):
    ex = exchange_process.start()
    sites = harness.three_sites(tmp_path, tokens, ex.url)
    for ws in sites.values():
        ws.sync.refresh()  # the exchange's prices, plans and rule set
    _USED.clear()
    yield ex, sites["clinic"], sites["noskhe-pharmacy"], sites["noskhe-pharmacy-2"]
    for ws in sites.values():
        ws.close()


def person(pick) -> dict:
    return next(p for p in seed.persons() if p["kind"] == "national-code" and pick(p))


def as_typed(p: dict) -> Patient:
    """The patient as the GP types him: id and name, no insurer (eligibility finds the cover)."""
    return Patient(PatientId("national-code", p["value"]), p["first_name"], p["last_name"])


def as_carded(p: dict) -> Patient:
    """The patient with the plans his insurance cards name (what a GP types while the exchange is down)."""
    from app.domain import Coverage

    plan = p["coverages"][0]
    cov = Coverage(plan.split("-")[0], scheme=plan if "-" in plan else "")
    extra = Coverage(p["supplementary"]) if p.get("supplementary") else None
    return Patient(
        PatientId("national-code", p["value"]),
        p["first_name"],
        p["last_name"],
        coverage=cov,
        supplementary=extra,
    )


_USED: dict[str, int] = {}


def every_line(ex, rx) -> list[DispenseLine]:
    """Every line of `rx`, each with a pack of its drug no other dispensing has handed over."""
    out = []
    for it in rx.items:
        n = _USED[it.drug_code] = _USED.get(it.drug_code, 0) + 1
        out.append(DispenseLine(it.line, packs=(DispensedPack(ex.ttac_codes(it.drug_code, n)[n - 1]),)))
    return out


def amount(rials: int) -> str:
    """An amount as the receipt prints it, read back by pdftotext (ASCII digits, the Persian separator)."""
    return f"{rials:,}".replace(",", "٬")


def test_every_dispensing_is_signed_charged_and_claimed_at_one_split(world, tmp_path) -> None:
    need("pdftotext")
    ex, clinic, ph1, ph2 = world
    rural = person(lambda p: p["coverages"] == ["IHIO-RUR"] and not p["supplementary"])
    extra = person(lambda p: p["coverages"] == ["IKRF"] and p["supplementary"])
    overlap = person(lambda p: len(p["coverages"]) == 2 and not p["supplementary"])
    uninsured = person(lambda p: not p["coverages"])
    carded = person(lambda p: p["coverages"] == ["IHIO-RUR"] and p["supplementary"])

    # online: eligibility at admission, the exchange's rules and split before the token signs
    online = {
        p["value"]: write_prescription(clinic, patient=as_typed(p), items=ITEMS)
        for p in (rural, extra, overlap, uninsured)
    }
    for rx in online.values():
        assert rx.hid and rx.cost_basis == "exchange"
    assert online[rural["value"]].patient.coverage.scheme == "IHIO-RUR"
    assert online[extra["value"]].patient.supplementary.insurer_code == "SUPP-T"
    assert online[overlap["value"]].patient.coverage.insurer_code == overlap["coverages"][0].split("-")[0]
    assert online[uninsured["value"]].patient.coverage is None
    # the rural fund pays 90 %; IKRF 70 % and the supplementary plan half of the rest
    assert percent_of(online[rural["value"]].cost) in (89, 90)  # each line rounded down to the rial
    assert percent_of(online[extra["value"]].cost) in (84, 85)
    assert online[uninsured["value"]].cost.insurer == 0

    # while the exchange is down: the GP types the cards' plans, signs an estimate and prints the paper
    with harness.exchange_down(ex):
        paper_rx = write_prescription(clinic, patient=as_carded(carded), items=ITEMS)
        assert paper_rx.hid is None and paper_rx.cost_basis == "estimate"
        paper_pdf = tmp_path / "paper.pdf"
        printed = print_prescription(clinic.store, paper_rx.id, paper_pdf, signer=clinic.user_signer)
        assert "estimate" in pdf_text(paper_pdf)
    clinic.sync.probe()
    assert clinic.sync.run().done >= 6  # four registrations, the pending eligibility, the fifth
    assert prescription_settlement(clinic.store, clinic.store.get_prescription(paper_rx.id)).differs is False

    dispensings = []
    # pharmacy 1, online: claimed, TTAC, the exchange's rules and split before signing
    for p in (rural, overlap):
        rx = online[p["value"]]
        retrieve_prescriptions(ph1, key="national-code", value=p["value"])
        done = dispense(ph1, ref=rx.id, lines=every_line(ex, rx))
        assert done.dispensing.state == "registered" and done.dispensing.cost_basis == "exchange"
        dispensings.append((ph1, done.dispensing.id))
    # pharmacy 2, offline after retrieval (its local estimate), then from paper during an outage
    for p in (extra, uninsured):
        rx = online[p["value"]]
        retrieve_prescriptions(ph2, key="national-code", value=p["value"])
        done = dispense(ph2, ref=rx.id, lines=every_line(ex, rx), offline=True)
        assert done.dispensing.cost_basis == "estimate" and done.dispensing.state == "queued"
        dispensings.append((ph2, done.dispensing.id))
    lines = every_line(ex, paper_rx)
    with harness.exchange_down(ex):
        done = dispense(ph2, paper=lambda: read_paper(ph2, [printed.payload]), lines=lines)
        d = done.dispensing
        assert d.cost_basis == "estimate" and d.cost.insurer > 0  # priced under the plans on the paper
        pdf = tmp_path / "offline-receipt.pdf"
        print_receipt(ph2, d.id, pdf, roll=True)
        assert "برآورد" in pdf_text(pdf)  # the receipt says it is an estimate
        dispensings.append((ph2, d.id))
    ph2.sync.probe()
    assert ph2.sync.run().done == 3 and ph1.sync.run().done == 0

    claimed = {
        line.reference: CostSplit(line.insurer, line.patient)
        for ws in (ph1, ph2)
        for line in statement(ws).lines
    }
    assert len(claimed) == len(dispensings) == 5
    for ws, did in dispensings:
        d = ws.store.get_dispensing(did)
        receipt = ws.store.results.get(f"disp:{did}", "receipt")
        settled = dispensing_settlement(ws.store, d)
        # the split signed = the one the exchange claims = the one charged on the receipt
        assert d.cost == claimed[receipt["receipt"]] == settled.shown and not settled.differs, d.id
        pdf = tmp_path / f"receipt-{did}.pdf"
        print_receipt(ws, did, pdf, roll=True)
        text = pdf_text(pdf)
        assert amount(d.cost.insurer) in text and amount(d.cost.patient) in text and "برآورد" not in text


def test_an_estimate_the_exchange_prices_otherwise_is_adopted_and_the_difference_shown(
    world, tmp_path
) -> None:
    need("pdftotext")
    ex, clinic, _, ph2 = world
    insured = person(lambda p: p["coverages"] == ["SSO"] and not p["supplementary"])
    with harness.exchange_down(ex):  # the GP types no insurer: the estimate is self-pay
        rx = write_prescription(clinic, patient=as_typed(insured), items=ITEMS)
        printed = print_prescription(clinic.store, rx.id, tmp_path / "p.pdf", signer=clinic.user_signer)
        assert rx.cost.insurer == 0 and rx.cost_basis == "estimate"
        done = dispense(ph2, paper=lambda: read_paper(ph2, [printed.payload]), lines=every_line(ex, rx))
    estimate = done.dispensing.cost
    assert estimate.insurer == 0 and done.dispensing.cost_basis == "estimate"
    clinic.sync.probe()
    clinic.sync.run()  # eligibility finds SSO: the exchange registers it under SSO's 70 %
    kept = clinic.store.get_prescription(rx.id)
    assert kept.hid and clinic.store.results.get(f"rx:{rx.id}", "eligibility")["coverage_changed"] is True
    settled_rx = prescription_settlement(clinic.store, kept)
    assert settled_rx.differs and settled_rx.shown.insurer > 0 and settled_rx.basis == "exchange"
    ph2.sync.probe()
    assert ph2.sync.run().done == 1
    d = ph2.store.get_dispensing(done.dispensing.id)
    settled = dispensing_settlement(ph2.store, d)
    (line,) = statement(ph2).lines
    assert settled.differs and settled.shown == CostSplit(line.insurer, line.patient) != estimate
    assert percent_of(settled.shown) in (69, 70)
    en, fa = settled.describe()
    assert "the exchange's" in en and "the estimate was insurer 0" in en and "برآورد" in fa
    pdf = tmp_path / "receipt.pdf"
    print_receipt(ph2, d.id, pdf, roll=True)
    text = pdf_text(pdf)
    assert amount(settled.shown.insurer) in text and "برآورد اولیه" in text
