"""Money after the fact (issue 9, point 1, as a tester found it): a paper written while eligibility was
pending says so, the pharmacy's offline estimate is replaced by the exchange's split once it answers and the
difference becomes an item that needs attention, the statement claims such a dispensing under the insurer
eligibility found, `rx check` prices a patient new to the store with eligibility, `rx show` labels each
figure by its real basis, and receipts carry the patient and their own numbers.

Against a real exchange process on loopback, SQLCipher stores and PKCS#12 signers; the CLI's own handlers
in-process (`noskhe --lang en --data-dir …`)."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.domain import DispensedPack, Patient, PatientId
from app.services.dispensing import DispenseLine
from app.services.prescribing import ItemRequest, write_prescription
from exchange import seed
from printing.paper import print_prescription
from printing.pharmacy import print_receipt, read_paper
from sync.counter import dispense
from tests.printing.conftest import need, pdf_text
from tests.sync import harness

ITEMS = [ItemRequest("101002", 21, "هر ۸ ساعت"), ItemRequest("103011", 10, "در صورت درد")]
EXTRA = "2342660308"  # IKRF with the supplementary plan SUPP-T
NEW = "5481536862"  # IKRF + SUPP-T, never seen by the clinic's store


@pytest.fixture
def world(tmp_path, tokens, exchange_process, monkeypatch):
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    ex = exchange_process.start()
    sites = harness.three_sites(tmp_path, tokens, ex.url)
    for ws in sites.values():
        ws.sync.refresh()
    yield ex, sites["clinic"], sites["noskhe-pharmacy-2"]
    for ws in sites.values():
        ws.close()


def cli(ws, capsys, *argv: str) -> tuple[int, str]:
    """`noskhe --lang en --data-dir <the site's> …` in-process."""
    code = main(["--data-dir", str(ws.store.data_dir), "--lang", "en", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def typed(value: str) -> Patient:
    """The seeded patient as the GP types him: id and name, no insurer."""
    p = next(p for p in seed.persons() if p["value"] == value)
    return Patient(PatientId("national-code", value), p["first_name"], p["last_name"])


def packs(ex, rx, n: int = 1) -> list[DispenseLine]:
    return [
        DispenseLine(it.line, packs=(DispensedPack(ex.ttac_codes(it.drug_code, n)[n - 1]),)) for it in rx.items
    ]


def test_a_paper_written_while_eligibility_is_pending_is_settled_at_the_exchanges_split(
    world, tmp_path, capsys
) -> None:
    need("pdftotext")
    ex, clinic, ph = world
    with harness.exchange_down(ex):
        rx = write_prescription(clinic, patient=typed(EXTRA), items=ITEMS)
        printed = print_prescription(clinic.store, rx.id, tmp_path / "p.pdf", signer=clinic.user_signer)
        paper = pdf_text(tmp_path / "p.pdf")
        assert "آزاد" not in paper and "insurance pending" in paper  # insurance pending, not uninsured
        done = dispense(ph, paper=lambda: read_paper(ph, [printed.payload]), lines=packs(ex, rx))
    charged = done.dispensing.cost
    assert charged.insurer == 0 and done.dispensing.cost_basis == "estimate"
    clinic.sync.probe()
    clinic.sync.run()
    ph.sync.probe()
    assert ph.sync.run().done == 1
    receipt = ph.store.results.get(f"disp:{done.dispensing.id}", "receipt")
    owes = receipt["cost"]
    assert owes["insurer"] > 0 and owes["patient"] < charged.patient
    over = charged.patient - owes["patient"]

    code, out = cli(ph, capsys, "sync", "attention")
    assert code == 0 and "nothing needs attention" not in out
    assert f"{charged.patient:,}" in out and f"{owes['patient']:,}" in out and f"overpaid {over:,}" in out
    code, out = cli(ph, capsys, "sync", "attention", "--json")
    (item,) = [i for i in json.loads(out) if i["code"] == "split-differs"]
    from sync.counter import counter_conflicts  # the desktop's attention panel reads this

    assert any(c.code == "split-differs" for c in counter_conflicts(ph))

    code, out = cli(ph, capsys, "rx", "show", rx.id)
    assert code == 0 and f"insurer {owes['insurer']:,} rials, patient {owes['patient']:,} rials" in out
    assert "cost: insurer 0 rials, patient 0 rials" not in out

    # 2. the statement claims it under the insurer eligibility found
    from app.services.history import HistoryFilter, history
    from app.services.statements import report

    by_insurer = {t.key: t.count for t in report(ph).by_insurer}  # what `statement totals` prints
    assert by_insurer == {"IKRF": 1}, by_insurer
    assert [r.insurer for r in history(ph, HistoryFilter())] == ["IKRF"]
    from app.services.claims import claim_list, this_month

    (line,) = claim_list(ph, "IKRF", this_month()).lines
    assert line.reference == receipt["receipt"] and line.insurer == owes["insurer"]

    code, out = cli(ph, capsys, "sync", "ack", item["id"])
    assert code == 0
    code, out = cli(ph, capsys, "sync", "attention")
    assert "nothing needs attention" in out
