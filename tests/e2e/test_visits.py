"""The visit (9-1 step 7) on the real path: `noskhe` child processes signing on SoftHSM2 tokens, SQLCipher
stores, a real exchange process. Registered offline first (never waits on the network), signed by the GP and
the facility seal, queued, accepted once by the exchange (a replay answers the same), forwarded to SEPAS,
listed in the clinic's financial statement with its insurer / patient split (9-1 step 8)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from app.catalog import service
from exchange import devworld, seed
from sync import fhir
from tests.sync import harness
from tests.sync.fixtures import clinic_ws, exchange  # noqa: F401

noskhe = harness.noskhe
CLINIC_ID = "10380284790"


def _ok(done: Any, what: Any = "") -> str:
    assert done.returncode == 0, (what, done.stdout[-2000:], done.stderr[-2000:])
    return str(done.stdout)


def _site(tmp_path: Path, tokens: Any, url: str, spec: devworld.Workstation) -> dict[str, str]:
    pins = {"clinic": ("111111", "333333"), "pharmacy": ("222222", "444444")}[spec.role]
    env = harness.cli_env(
        tokens, NOSKHE_DATA_DIR=str(tmp_path / spec.user_token), NOSKHE_PIN=pins[0], NOSKHE_FACILITY_PIN=pins[1]
    )
    env.pop("NOSKHE_TRUST_LIST", None)
    for argv in (
        ("init", "--role", spec.role, "--facility", spec.siam, "--facility-name", spec.name),
        ("token", "trust", "import", str(tokens.trust_list)),
        ("sync", "config", "--exchange", url, "--user-token", spec.user_token,
         "--facility-token", spec.facility_token, "--facility-national-id", CLINIC_ID),
    ):  # fmt: skip
        _ok(noskhe(env, *argv), argv)
    return env


@pytest.fixture
def clinic(tmp_path, tokens, exchange_process):
    ex = exchange_process.start()
    return ex, _site(tmp_path, tokens, ex.url, devworld.CLINIC)


def _db(ex: Any) -> sqlite3.Connection:
    return sqlite3.connect(str(Path(ex.data) / "exchange.db"), timeout=30)


def test_a_visit_is_signed_queued_registered_once_in_sepas_and_the_statement(clinic) -> None:
    ex, env = clinic
    person = seed.demo_patients(1)[0]["value"]
    v = json.loads(_ok(noskhe(env, "visit", "register", "--patient", person, "--first-name", "مریم",
                              "--last-name", "احمدی", "--json")))  # fmt: skip
    assert v["state"] == "queued" and v["service_code"] == "901100"
    tariff = service("901100").tariff  # type: ignore[union-attr]
    assert v["cost"]["insurer"] + v["cost"]["patient"] == tariff and v["cost"]["insurer"] > 0  # insured: a split

    assert json.loads(_ok(noskhe(env, "sync", "run", "--json")))["done"] >= 1
    (listed,) = json.loads(_ok(noskhe(env, "visit", "list", "--json")))
    assert listed["state"] == "registered" and listed["tracking_code"]

    with _db(ex) as c:
        rows = c.execute("SELECT id, tracking_code, insurer_share, patient_share, bundle FROM visits").fetchall()
    assert len(rows) == 1 and rows[0][0] == v["id"] and rows[0][1] == listed["tracking_code"]
    assert rows[0][2] + rows[0][3] == tariff
    kept, sigs = fhir.bundle_to_visit(json.loads(rows[0][4]))
    assert kept.document()["service"]["code"] == "901100" and {s.role.value for s in sigs} == {"prescriber", "facility"}

    sepas = json.loads(_ok(noskhe(env, "sepas", "show", "--patient", person, "--json")))
    assert any(r["kind"] == "visit" and r["subject"] == v["id"] for r in sepas["records"]), sepas

    st = json.loads(_ok(noskhe(env, "sync", "statement", "--json")))
    line = next(x for x in st["lines"] if x.get("visit") == v["id"])
    assert line["trackingCode"] == listed["tracking_code"] and line["insurer"] == rows[0][2]
    assert st["totals"]["insurer"] >= line["insurer"]
    totals = _ok(noskhe(env, "statement", "totals"))
    assert totals.strip()


def test_a_visit_registers_offline_at_once_and_goes_when_the_exchange_is_back(clinic, tmp_path) -> None:
    ex, env = clinic
    person = seed.demo_patients(2)[1]["value"]
    ex.stop()
    began = time.monotonic()
    v = json.loads(_ok(noskhe(env, "visit", "register", "--patient", person, "--first-name", "علی",
                              "--last-name", "رضایی", "--service", "901300", "--json")))  # fmt: skip
    assert time.monotonic() - began < 30 and v["state"] == "queued" and v.get("hid") is None
    assert v["cost"]["insurer"] + v["cost"]["patient"] == service("901300").tariff  # type: ignore[union-attr]
    down = noskhe(env, "sync", "run", "--json")  # exit 1: nothing could go
    assert json.loads(down.stdout)["offline"] is True and json.loads(down.stdout)["remaining"] == 1
    ex.start()
    assert json.loads(_ok(noskhe(env, "sync", "run", "--json")))["done"] >= 1
    (listed,) = json.loads(_ok(noskhe(env, "visit", "list", "--patient", person, "--json")))
    assert listed["state"] == "registered"


def test_a_visit_code_that_is_not_a_visit_is_refused_before_signing(clinic) -> None:
    _, env = clinic
    done = noskhe(env, "visit", "register", "--patient", seed.demo_patients(1)[0]["value"], "--first-name", "مریم",
                  "--last-name", "احمدی", "--service", "801010")  # fmt: skip
    assert done.returncode == 1 and "901100" in done.stderr and "Traceback" not in done.stderr
    assert json.loads(_ok(noskhe(env, "visit", "list", "--json"))) == []


def test_init_looks_the_facility_up_in_the_siam_registry(clinic, tmp_path, tokens) -> None:
    ex, _ = clinic

    def init(name: str, role: str, siam: str) -> str:
        env = harness.cli_env(tokens, NOSKHE_DATA_DIR=str(tmp_path / name))
        return _ok(noskhe(env, "init", "--role", role, "--facility", siam, "--exchange", ex.url))

    found = init("a", "clinic", devworld.CLINIC.siam)
    assert "SIAM:" in found and "(clinic, active)" in found and "سیام تأیید کرد" in found
    other = init("b", "clinic", devworld.PHARMACY.siam)  # the registry holds it as a pharmacy
    assert "as a pharmacy, not a clinic" in other
    ex.stop()
    assert "SIAM: not looked up" in init("c", "clinic", devworld.CLINIC.siam)  # offline: made all the same
    ex.start()


def test_the_exchange_registers_a_visit_once_and_refuses_a_forged_one(clinic_ws, exchange) -> None:  # noqa: F811
    """Idempotent like prescriptions: the same key answers the same; a lost outbox (a new key, the same
    body) gets the same registration; the same id with other content is refused, so is a changed split."""
    import copy

    from app.services.visits import register_visit
    from sync import messages
    from tests.conftest import make_patient

    with harness.exchange_down(exchange):
        v = register_visit(clinic_ws, make_patient(seed.demo_patients(1)[0]["value"]))
    (row,) = [r for r in clinic_ws.store.outbox.heads(0.0, 10) if r.op == "visit"]
    out = messages.build(clinic_ws.store, row)
    client = clinic_ws.client
    first = client.call(out.method, out.path, body=out.body, headers=out.headers())
    assert first.status == 201, first.body
    answer = fhir.read_task(first.body)
    replay = client.call(out.method, out.path, body=out.body, headers=out.headers())
    assert replay.status == 200 and fhir.read_task(replay.body) == answer
    lost = client.call(out.method, out.path, body=out.body, headers={"Idempotency-Key": "fresh-key"})
    assert fhir.read_task(lost.body)["trackingCode"] == answer["trackingCode"]
    forged = copy.deepcopy(out.body)
    charge = next(e["resource"] for e in forged["entry"] if e["resource"]["resourceType"] == "ChargeItem")
    charge["extension"][0]["extension"][0]["valueInteger"] += 1  # the insurer's share, once signed
    refused = client.call(out.method, out.path, body=forged, headers={"Idempotency-Key": "other-key"})
    assert refused.status == 409 and refused.refusal().code == "id-reuse"
    forged_new = copy.deepcopy(forged)
    enc = next(e["resource"] for e in forged_new["entry"] if e["resource"]["resourceType"] == "Encounter")
    enc["identifier"][0]["value"] = "another-visit-id"
    refused = client.call(out.method, out.path, body=forged_new, headers={"Idempotency-Key": "third-key"})
    assert refused.status == 422 and refused.refusal().code.startswith("signature-"), refused.body
    with sqlite3.connect(str(Path(exchange.data) / "exchange.db")) as c:
        assert c.execute("SELECT count(*) FROM visits").fetchone()[0] == 1
    assert v.state == "queued"
