"""The medical council inquiry (section 8-12): a prescriber's licence status and specialty asked through the
reference exchange (its seeded council: an active GP, a suspended one), kept in the SQLCipher store with
its time, and shown from there with its age when the council cannot be asked."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.cli import main
from app.errors import InvalidIdentifier
from app.services.council import CouncilUnknown, council_status, prescriber_status
from app.workstation import Workstation
from exchange import devworld
from tests.sync import harness


def test_the_council_answers_status_and_specialty_and_the_answer_is_kept(clinic_ws: Workstation) -> None:
    st = council_status(clinic_ws, "۱۲۳۴۵۶")  # as typed, in Persian digits
    a = st.answer
    assert (a.number, a.status, a.specialty, st.source) == ("123456", "active", "پزشک عمومی", "council")
    assert a.name == devworld.GP.name and a.active and st.age() < dt.timedelta(seconds=30)
    assert clinic_ws.store.council.get("123456") == a.to_dict()
    assert not [a for a in clinic_ws.prompter.asked if a[1] == "facility-p12"]  # type: ignore[attr-defined]

    suspended = council_status(clinic_ws, "555555").answer
    assert suspended.status == "suspended" and not suspended.active
    assert "suspended" in council_status(clinic_ws, "555555").describe("en")
    assert council_status(clinic_ws, "4444").answer.status == "not-found"
    with pytest.raises(InvalidIdentifier):
        council_status(clinic_ws, "12x")


def test_offline_the_kept_answer_is_shown_with_its_age(clinic_ws: Workstation, exchange) -> None:
    council_status(clinic_ws, "555555")
    exchange.faults(outage=True)
    st = council_status(clinic_ws, "555555")
    assert st.source == "cache" and st.answer.status == "suspended" and st.why_en
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3, minutes=5)
    assert st.age(later) >= dt.timedelta(hours=3, minutes=5)
    line = st.describe("en", later)
    assert "council 555555: suspended" in line and "3 h 5 min old" in line and "cannot be asked now" in line
    assert "۳ ساعت و ۵ دقیقه پیش" in st.describe("fa", later)
    assert st.to_dict(later)["source"] == "cache" and st.to_dict(later)["age_seconds"] >= 11100
    with pytest.raises(CouncilUnknown):
        council_status(clinic_ws, "123456")  # never asked: nothing to show
    assert prescriber_status(clinic_ws, "123456") is None
    assert prescriber_status(clinic_ws, "555555").source == "cache"  # type: ignore[union-attr]


def test_council_show_from_the_command_line(clinic_ws: Workstation, exchange, capsys, monkeypatch) -> None:
    data_dir = str(clinic_ws.store.data_dir)
    clinic_ws.close()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-gp"])
    monkeypatch.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-clinic"])

    def run(*argv: str) -> tuple[int, str]:
        code = main(["--data-dir", data_dir, "--lang", "en", "council", "show", *argv])
        out = capsys.readouterr()
        return code, out.out + out.err

    code, out = run("555555")
    assert code == 0 and "council 555555: suspended" in out and "asked the council now" in out
    code, out = run("555555", "--offline")
    assert code == 0 and "kept answer of" in out
    code, out = run("123456", "--json")
    assert code == 0 and json.loads(out)["status"] == "active" and json.loads(out)["source"] == "council"
    exchange.faults(outage=True)
    code, out = run("123456")
    assert code == 0 and "council 123456: active" in out and "kept answer" in out
    code, out = run("9876543")
    assert code == 1 and "no earlier answer is kept" in out
