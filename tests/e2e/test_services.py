"""Lab tests, imaging and physiotherapy (7-6, 8-1) and their outcomes (9-2-8) on the real path: `noskhe`
child processes signing on SoftHSM2 tokens, SQLCipher stores, a real exchange process.

The GP orders services beside drugs in one prescription; they are found in the catalog, priced, judged by the
same rules on the workstation and at the exchange (a maximum quantity, a sex limit), carried as
ServiceRequests, printed on the paper and retrieved by a dispensing facility, which registers a result signed
by its seal; the exchange keeps it as a DiagnosticReport with Observations and the GP sees it in `rx show`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from exchange import devworld, seed
from sync import fhir
from sync.fhir.common import resources
from tests.e2e.test_visits import _ok, _site
from tests.printing.conftest import pdf_text
from tests.sync import harness

noskhe = harness.noskhe


@pytest.fixture
def world(tmp_path, tokens, exchange_process):
    ex = exchange_process.start()
    return ex, _site(tmp_path, tokens, ex.url, devworld.CLINIC), _site(tmp_path, tokens, ex.url, devworld.PHARMACY)


def _db(ex: Any) -> sqlite3.Connection:
    return sqlite3.connect(str(Path(ex.data) / "exchange.db"), timeout=30)


def _person(n: int = 0) -> dict[str, Any]:
    return seed.demo_patients(n + 1)[n]


def _create(env: dict[str, str], person: str, *lines: str, sex: str = "female") -> Any:
    return noskhe(env, "rx", "create", "--patient", person, "--first-name", "مریم", "--last-name", "احمدی",
                  "--sex", sex, *lines, "--json")  # fmt: skip




def test_services_beside_drugs_registered_retrieved_printed_and_their_outcome_registered(world, tmp_path) -> None:
    ex, clinic, pharmacy = world
    found = json.loads(_ok(noskhe(clinic, "catalog", "search", "CBC", "--json")))
    assert any(x["code"] == "801010" and x["kind"] == "lab" for x in found)
    assert "701020" in _ok(noskhe(clinic, "catalog", "search", "سونوگرافی"))

    _ok(noskhe(clinic, "sync", "refresh"))  # the catalog with its national (MOXA) coding
    person = _person()["value"]
    rx = json.loads(_ok(_create(clinic, person, "--item", "101002:21:هر ۸ ساعت", "--service", "801010",
                                "--service", "601010:5", "--service", "701010")))  # fmt: skip
    assert rx["items"] == 4
    assert json.loads(_ok(noskhe(clinic, "sync", "run", "--json")))["done"] >= 1
    shown = json.loads(_ok(noskhe(clinic, "rx", "show", rx["id"], "--json")))
    assert shown["state"] == "registered"
    services = [it for it in shown["items"] if it.get("service")]
    assert [(it["drug_code"], it["service"], it["quantity"]) for it in services] == [
        ("801010", "lab", 1), ("601010", "physio", 5), ("701010", "imaging", 1)
    ]
    assert all(it["cost"]["insurer"] + it["cost"]["patient"] > 0 for it in services)
    registered = shown["exchange"][f"rx:{rx['id']}/registration"]
    # the exchange priced the services with the same tariffs and plans as the workstation
    local = [sum(it["cost"][k] for it in shown["items"]) for k in ("insurer", "patient")]
    assert [registered["cost"]["insurer"], registered["cost"]["patient"]] == local

    with _db(ex) as c:
        (body,) = c.execute("SELECT bundle FROM prescriptions WHERE client_id = ?", (rx["id"],)).fetchone()
    bundle = json.loads(body)
    assert len(resources(bundle, "ServiceRequest")) == 3 and len(resources(bundle, "MedicationRequest")) == 1
    (mr,) = resources(bundle, "MedicationRequest")  # the national coding travels beside the catalog's key
    assert [c["system"] for c in mr["medicationCodeableConcept"]["coding"]] == ["urn:noskhe:drug", "urn:ir:moxa:drug"]

    paper = tmp_path / "rx.pdf"
    _ok(noskhe(clinic, "rx", "print", rx["id"], "-o", str(paper), "--no-qr"))
    text = pdf_text(paper)
    assert "801010" in text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))

    got = json.loads(_ok(noskhe(pharmacy, "rx", "retrieve", "--national-code", person, "--json")))
    mine = next(r for r in got["prescriptions"] if r["id"] == rx["id"])
    assert {it["drug_code"] for it in mine["lines"] if it.get("service")} == {"801010", "601010", "701010"}

    observations = tmp_path / "cbc.json"
    observations.write_text(json.dumps([{"name": "Hb", "value": "13.5", "unit": "g/dL", "reference_range": "12-16"},
                                        {"name": "WBC", "value": "6800", "unit": "/µL"}]))  # fmt: skip
    out = json.loads(_ok(noskhe(pharmacy, "outcome", "register", rx["id"], "--service", "801010",
                                "--result", "طبیعی", "--observations", str(observations), "--json")))  # fmt: skip
    assert out["state"] == "queued" and out["line"] == 2
    _ok(noskhe(pharmacy, "outcome", "register", rx["id"], "--service", "701010", "--result", "No active lesion."))
    assert json.loads(_ok(noskhe(pharmacy, "sync", "run", "--json")))["done"] >= 2
    with _db(ex) as c:
        rows = c.execute("SELECT line, bundle FROM outcomes WHERE client_id = ? ORDER BY line", (rx["id"],)).fetchall()
    assert [r[0] for r in rows] == [2, 4]
    report, sigs = fhir.bundle_to_outcome(json.loads(rows[0][1]))
    assert [o.name for o in report.observations] == ["Hb", "WBC"] and [s.role.value for s in sigs] == ["facility"]

    listed = json.loads(_ok(noskhe(clinic, "outcome", "list", rx["id"], "--online", "--json")))
    assert [(o["line"], o["service_code"]) for o in listed] == [(2, "801010"), (4, "701010")]
    text = _ok(noskhe(clinic, "rx", "show", rx["id"]))
    assert "Hb: 13.5 g/dL" in text and "No active lesion." in text and "[lab]" in text

    # the pharmacy hands over the drug line: the prescription is dispensed, its services are performed
    _ok(noskhe(pharmacy, "dispense", rx["id"], "--all", "--no-ttac-reason", "برچسب اصالت پاره شده بود"))
    _ok(noskhe(pharmacy, "sync", "run", "--json"))
    with _db(ex) as c:
        assert c.execute("SELECT state FROM prescriptions WHERE client_id = ?", (rx["id"],)).fetchone()[0] == "dispensed"
    at_pharmacy = json.loads(_ok(noskhe(pharmacy, "rx", "show", rx["id"], "--json")))
    assert at_pharmacy["state"] == "dispensed" and at_pharmacy["dispensed"] == {"1": 21}

    # a result of a line that orders no such service is refused at once, nothing queued
    done = noskhe(pharmacy, "outcome", "register", rx["id"], "--service", "801020", "--result", "x")
    assert done.returncode == 1 and "801020" in done.stderr


@pytest.mark.parametrize(
    "line, sex, code",
    [("601010:11", "female", "quantity"), ("701040", "male", "sex"), ("801080", "female", "sex")],
)
def test_the_rules_on_services_agree_offline_and_at_the_exchange(world, line, sex, code) -> None:
    ex, clinic, _ = world
    person = _person(1)["value"]
    online = noskhe(clinic, "rx", "check", "--patient", person, "--first-name", "علی", "--last-name", "رضایی",
                    "--sex", sex, "--service", line, "--json")  # fmt: skip
    assert online.returncode == 1
    found = json.loads(online.stdout)
    assert not found.get("offline") and code in {f["code"] for f in found["findings"] if f["level"] == "rejection"}
    ex.stop()
    offline = _create(clinic, person, "--service", line, sex=sex)
    assert offline.returncode == 1 and "Traceback" not in offline.stderr
    ex.start()
