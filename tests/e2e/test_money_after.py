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
        DispenseLine(it.line, packs=(DispensedPack(ex.ttac_codes(it.drug_code, n)[n - 1]),))
        for it in rx.items
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
        print_receipt(ph, done.dispensing.id, tmp_path / "r.pdf", roll=True)
        assert "insurance pending" in pdf_text(tmp_path / "r.pdf")
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

    print_receipt(ph, done.dispensing.id, tmp_path / "r.pdf", roll=True)
    text = pdf_text(tmp_path / "r.pdf")
    assert "IKRF + SUPP-T" in text and "آزاد" not in text and "pending" not in text  # who pays, now known
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


# ---- rx check and rx create through the command line --------------------------------------------------


@pytest.fixture
def gp(tmp_path, tokens, exchange_process, monkeypatch):
    """A clinic data directory configured as `noskhe sync config` does, its PKCS#12 passphrases set."""
    from exchange import devworld

    ex = exchange_process.start()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    for var in ("NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL"):
        monkeypatch.delenv(var, raising=False)
    site = devworld.CLINIC
    d = str(tmp_path / site.user_token)
    harness.new_store(tmp_path / site.user_token, site, tokens).close()
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES[site.user_token])
    monkeypatch.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES[site.facility_token])
    p12 = {
        f"--{k}-p12": str(tokens.p12(t))
        for k, t in (("user", site.user_token), ("facility", site.facility_token))
    }
    assert run(d, "sync", "config", "--exchange", ex.url, *sum(p12.items(), ()))[0] == 0
    return ex, d


def run(data_dir: str, *argv: str) -> tuple[int, str]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["--data-dir", data_dir, "--lang", "en", *argv])
    return code, out.getvalue()


def test_rx_check_prices_a_new_patient_with_eligibility_and_labels_its_basis(gp) -> None:
    ex, clinic = gp
    new = ("--patient", NEW, "--first-name", "a", "--last-name", "b", "--item", "101002:20")
    code, out = run(clinic, "rx", "check", *new, "--json")
    checked = json.loads(out)
    assert code == 0 and checked["total"]["insurer"] > 0, checked  # IKRF + SUPP-T, as rx create prices it
    assert checked["cost_basis"] == "exchange" and checked["eligibility"]["status"] == "confirmed"
    code, out = run(clinic, "rx", "check", *new)
    assert "(the exchange's" in out and "plan IKRF + SUPP-T" in out
    code, out = run(clinic, "rx", "create", *new[:-2], "--item", "101002:20:روزی یک عدد", "--json")
    created = json.loads(out)
    assert code == 0 and {k: created["cost"][k] for k in ("insurer", "patient")} == checked["total"]

    # 4. rx show labels the exchange's split as the exchange's, not "estimated here"
    code, out = run(clinic, "rx", "show", created["id"])
    assert "estimated here" not in out and "the exchange's estimate" not in out
    i, p = checked["total"]["insurer"], checked["total"]["patient"]
    assert f"cost: insurer {i:,} rials, patient {p:,} rials (the exchange's)" in out

    # offline: eligibility pending, the local engine, an estimate that says so
    other = next(
        p["value"]
        for p in seed.persons()
        if p["kind"] == "national-code" and p["coverages"] and p["value"] != NEW
    )
    with harness.exchange_down(ex):
        code, out = run(
            clinic,
            "rx",
            "check",
            "--patient",
            other,
            "--first-name",
            "a",
            "--last-name",
            "b",
            "--item",
            "101002:20",
        )
        assert code == 0 and "(estimate; insurance pending" in out and "the exchange's" not in out
        # 6. a refusal names the engine that decided; one no reason overrides advises no signature
        man = ("--patient", other, "--first-name", "a", "--last-name", "b", "--sex", "male")
        code, out = run(clinic, "rx", "check", *man, "--item", "110001:21")
        assert code == 1 and "local rules engine (offline)" in out and "exchange's rules" not in out
        code, out = run(clinic, "rx", "create", *man, "--item", "110001:21:روزی یک عدد")
        assert code == 1 and "rx sign" not in out and "cannot be signed as it is" in out, out


def test_rx_show_marks_overridden_findings_and_the_reason(gp) -> None:
    _, clinic = gp
    person = seed.demo_patients(1)[0]["value"]
    reason = "بیمار تحت نظر متخصص درد است"
    args = ["rx", "create", "--patient", person, "--first-name", "a", "--last-name", "b"]
    for it in ("103042:10:در صورت درد شدید", "108033:10:شب‌ها"):
        args += ["--item", it]
    code, out = run(clinic, *args, "--override-reason", reason, "--json")
    assert code == 0, out
    code, out = run(clinic, "rx", "show", json.loads(out)["id"])
    assert "(overridden)" in out and f"override reason: {reason}" in out


def test_receipts_carry_the_patient_the_parts_of_a_line_and_their_own_numbers(world, tmp_path) -> None:
    need("pdftotext")
    from app.domain import Sex
    from sync.retrieve import retrieve_prescriptions

    ex, clinic, ph = world
    import datetime as dt
    from dataclasses import replace

    patient = replace(typed(EXTRA), birth_date=dt.date(1955, 6, 6), sex=Sex.MALE, phone="09121234567")
    rx = write_prescription(clinic, patient=patient, items=[ItemRequest("101002", 20, "هر ۸ ساعت")])
    clinic.sync.run()
    rx = clinic.store.get_prescription(rx.id)
    retrieve_prescriptions(ph, key="national-code", value=EXTRA)
    codes = ex.ttac_codes("101002", 2)
    first = dispense(ph, ref=rx.tracking_code, lines=[DispenseLine(1, 15, packs=(DispensedPack(codes[0]),))])
    texts = {}
    pdf = tmp_path / "first.pdf"
    print_receipt(ph, first.dispensing.id, pdf, roll=True)
    texts["first"] = pdf_text(pdf)
    rest = dispense(ph, ref=rx.tracking_code, lines=[DispenseLine(1, packs=(DispensedPack(codes[1]),))])
    pdf = tmp_path / "rest.pdf"
    print_receipt(ph, rest.dispensing.id, pdf, roll=True)
    texts["rest"] = pdf_text(pdf)
    numbers = {}
    for key, done in (("first", first), ("rest", rest)):
        text = texts[key]
        receipt = ph.store.results.get(f"disp:{done.dispensing.id}", "receipt")["receipt"]
        numbers[key] = receipt
        assert receipt in text.replace(" ", "") and done.dispensing.id in text.replace(" ", ""), key
        assert "کد رهگیری نسخه" in text and rx.tracking_code in text.replace(" ", "")
        assert patient.full_name.split()[0] in text and EXTRA in text and "09121234567" in text
        assert "مرد" in text and "سال" in text and "IKRF" in text
    assert numbers["first"] != numbers["rest"]  # each dispensing its own number, not the prescription's
    import re

    # handed over now of prescribed, and what remains (pdftotext reorders the right-to-left marks)
    assert re.search(r"\b15\W*از\W*20", texts["first"]) and re.search(r"باقیمانده\W*5", texts["first"])
    assert re.search(r"\b5\W*از\W*20", texts["rest"]) and re.search(r"باقیمانده\W*0", texts["rest"])
