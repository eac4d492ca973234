"""Statements and claim lists on the real path: a clinic writes prescriptions for patients of two insurers,
the reference exchange (in a thread) registers them, a pharmacy retrieves and dispenses them; then the
statement's totals per insurer and per day add up to the exchange's totals, and each insurer's monthly claim
list — read back from its CSV and XLSX files — holds that insurer's lines with the exchange's amounts."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from app.domain import IRAN_TZ
from app.errors import InvalidDate
from app.services import claims as cl
from app.services.history import HistoryFilter, history, totals
from app.services.statements import report, statement
from app.workstation import Workstation
from exchange import devworld
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness
from tests.sync.fixtures import clinic_ws, exchange, tokens  # noqa: F401


@pytest.fixture
def pharmacy(tmp_path, tokens, exchange):  # noqa: F811
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    yield ws
    ws.close()


@pytest.fixture
def dispensed(clinic_ws: Workstation, pharmacy: Workstation):  # noqa: F811
    """Four prescriptions (IHIO and IKRF patients, alternating) registered, then dispensed in full."""
    from app.services.dispensing import DispenseLine

    rxs = harness.write_many(clinic_ws, 4)
    assert clinic_ws.sync.drainer.drain().done >= 4
    pharmacy.sync.refresh()
    for rx in rxs:
        rx = clinic_ws.store.get_prescription(rx.id)
        retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
        lines = [DispenseLine(it.line) for it in rx.items]
        done = dispense(pharmacy, ref=rx.tracking_code, lines=lines, ttac_reason="test: labels not scanned")
        assert done.dispensing.state == "registered"
    return rxs


def test_month_range_reads_jalali_months_in_any_digits() -> None:
    assert cl.month_range("۱۴۰۵/۹") == ("1405-09", dt.date(2026, 11, 22), dt.date(2026, 12, 21))
    assert cl.month_range("1404-12")[2] == dt.date(2026, 3, 20)  # Esfand ends the day before Nowruz
    for bad in ("1405-13", "1405", "next month"):
        with pytest.raises(InvalidDate):
            cl.month_range(bad)


def test_statement_totals_per_insurer_and_day_equal_the_exchanges(pharmacy, dispensed, clinic_ws) -> None:  # noqa: F811
    for ws, count in ((pharmacy, 4), (clinic_ws, 4)):
        rep = report(ws)
        st = rep.statement
        assert st.count == count and st.to_dict()["totals"] == st.totals()
        for groups in (rep.by_insurer, rep.by_day):
            assert sum(t.count for t in groups) == st.count
            assert (
                sum(t.insurer for t in groups) == st.insurer and sum(t.patient for t in groups) == st.patient
            )
        assert {t.key for t in rep.by_insurer} == {"IHIO", "IKRF"}
        today = dt.datetime.now(IRAN_TZ).date().isoformat()
        assert [t.key for t in rep.by_day] == [today]
    # the pharmacy's own record (history) of today's dispensings charges what the exchange claims
    rows = history(pharmacy, HistoryFilter.today())
    st = statement(pharmacy)
    assert totals(rows) == st.totals()
    ihio = history(pharmacy, HistoryFilter.today().__class__(insurer="IHIO"))
    assert len(ihio) == 2 and all(r.insurer == "IHIO" for r in ihio)
    assert history(pharmacy, HistoryFilter(patient=rows[0].patient_id))[0].id == rows[0].id


def test_claim_lists_export_to_csv_and_xlsx_and_read_back(pharmacy, dispensed, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    month = cl.this_month()
    st = statement(pharmacy, *cl.month_range(month)[1:])
    lists = {code: cl.claim_list(pharmacy, code, month) for code in ("IHIO", "ikrf", "SSO")}
    assert [len(x.lines) for x in lists.values()] == [2, 2, 0]
    assert sum(x.totals()["insurer"] for x in lists.values()) == st.insurer
    assert sum(x.totals()["patient"] for x in lists.values()) == st.patient
    ihio = lists["IHIO"]
    names = {rx.patient.full_name for rx in dispensed if rx.patient.coverage.insurer_code == "IHIO"}
    assert {x.patient_name for x in ihio.lines} == names
    assert all(x.prescriber and x.council and x.reference and x.items == 2 for x in ihio.lines)

    path = cl.export(ihio, tmp_path / "ihio.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["ردیف", "تاریخ", "شمارهٔ پیگیری", "بیمار"]
    body, last = rows[1:-1], rows[-1]
    keys = [k for k, _fa, _en in cl.COLUMNS]
    assert [int(r[keys.index("insurer")]) for r in body] == [x.insurer for x in ihio.lines]
    assert (
        int(last[keys.index("insurer")]) == ihio.totals()["insurer"]
        and last[keys.index("patient_name")] == "جمع"
    )
    assert {r[keys.index("prescription")] for r in body} == {x.prescription for x in ihio.lines}

    path = cl.export(ihio, tmp_path / "ihio.xlsx", lang="en")
    sheet = load_workbook(path).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Row", "Date", "Reference"] and sheet.title == f"IHIO {month}"
    assert [v[keys.index("total")] for v in values[1:-1]] == [x.total for x in ihio.lines]
    assert values[-1][keys.index("insurer")] == ihio.totals()["insurer"]
    assert values[-1][keys.index("patient")] == ihio.totals()["patient"]
    assert not sheet.sheet_view.rightToLeft
    assert load_workbook(cl.export(ihio, tmp_path / "fa.xlsx")).active.sheet_view.rightToLeft

    from printing.claims_pdf import claims_pdf

    pdf = claims_pdf(ihio, tmp_path / "ihio.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    with pytest.raises(cl.UnknownInsurer):
        cl.claim_list(pharmacy, "NOPE", month)
    with pytest.raises(Exception, match="csv or .xlsx"):
        cl.export(ihio, tmp_path / "ihio.txt")


def test_the_cli_writes_a_claim_list(pharmacy, dispensed, tmp_path, tokens) -> None:  # noqa: F811
    data = str(pharmacy.store.data_dir)
    pharmacy.close()
    seal = devworld.P12_PASSPHRASES[devworld.PHARMACY.facility_token]
    env = harness.cli_env(tokens, NOSKHE_DATA_DIR=data, NOSKHE_FACILITY_P12_PASSPHRASE=seal)
    out = tmp_path / "claims.xlsx"
    done = harness.noskhe(env, "statement", "claims", "--insurer", "IKRF", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "2 lines" in done.stdout and out.exists()
    done = harness.noskhe(env, "statement", "totals", "--json")
    assert done.returncode == 0, done.stderr
    assert '"IKRF"' in done.stdout and '"count": 4' in done.stdout
