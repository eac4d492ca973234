"""Section 7's legal data elements on the real path (issue 9, point 7): `noskhe` child processes signing on
SoftHSM2 tokens, a real exchange process, the paper and the receipt read back with pdftotext.

Each field set from the command line — the patient's phone, birth date and sex, the provider's national id,
the start and end of the service, the payment id and POS terminal — and each recorded by itself — the
provider user id, the prescriber's specialty from the council's data — is in the signed document, in the
FHIR bundle the exchange kept, on the paper and on the receipt. A bare newborn form is the mother's code and
a birth order (never a unique id); the armed-forces newborn's insurance number is a patient id; a
specialist-only drug is judged on the prescriber's real specialty by the local engine and by the exchange
alike. Wrong values are refused in one line, in both languages, before anything is signed."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.domain import IRAN_TZ, Patient, PatientId, Prescriber, Prescription
from exchange import devworld, seed
from sync import fhir
from sync.fhir.common import resources
from tests.printing.conftest import pdf_text
from tests.sync import harness

noskhe = harness.noskhe

CLINIC_ID = "10380284790"  # the clinic's legal national id (11 digits, check digit 0)
PHARMACY_ID = "10101888555"
SPECIALIST_ONLY = "110034"  # an L01/L04AX drug: specialists only (app/data/rules.json)
GP_USER = f"10000001:{devworld.GP.national_code}"
PHARMACIST_USER = f"20000002:{devworld.PHARMACISTS['noskhe-pharmacist'].national_code}"


def _ok(done: Any, what: str = "") -> str:
    assert done.returncode == 0, (what, done.stdout[-2000:], done.stderr[-2000:])
    return str(done.stdout)


def _refused(done: Any) -> str:
    """A refusal: exit 1, one line on stderr, Persian and English, no traceback."""
    err = done.stderr.strip()
    assert done.returncode == 1, (done.stdout, err)
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert any("\u0600" <= ch <= "\u06ff" for ch in err) and any("a" <= ch <= "z" for ch in err), err
    return str(err)


def _site(
    tmp_path: Path, tokens: Any, ex: Any, spec: devworld.Workstation, national_id: str
) -> dict[str, str]:
    pins = {"clinic": ("111111", "333333"), "pharmacy": ("222222", "444444")}[spec.role]
    data = str(tmp_path / spec.user_token)
    env = harness.cli_env(tokens, NOSKHE_DATA_DIR=data, NOSKHE_PIN=pins[0], NOSKHE_FACILITY_PIN=pins[1])
    env.pop("NOSKHE_TRUST_LIST", None)
    for argv in (
        ("init", "--role", spec.role, "--facility", spec.siam, "--facility-name", spec.name),
        ("token", "trust", "import", str(tokens.trust_list)),
        (
            "sync",
            "config",
            "--exchange",
            ex.url,
            "--user-token",
            spec.user_token,
            "--facility-token",
            spec.facility_token,
            "--facility-national-id",
            national_id,
        ),
    ):
        _ok(noskhe(env, *argv), argv)
    return env


@pytest.fixture
def world(tmp_path, tokens, exchange_process):
    ex = exchange_process.start()
    clinic = _site(tmp_path, tokens, ex, devworld.CLINIC, CLINIC_ID)
    pharmacy = _site(tmp_path, tokens, ex, devworld.PHARMACY, PHARMACY_ID)
    return ex, clinic, pharmacy


def _exchange_db(ex: Any) -> sqlite3.Connection:
    return sqlite3.connect(str(Path(ex.data) / "exchange.db"), timeout=30)


def _stored_prescription(ex: Any, rx_id: str) -> tuple[dict[str, Any], Prescription]:
    with _exchange_db(ex) as c:
        (body,) = c.execute("SELECT bundle FROM prescriptions WHERE client_id = ?", (rx_id,)).fetchone()
    bundle = json.loads(body)
    return bundle, fhir.bundle_to_prescription(bundle)[0]


def _exts(resource: dict[str, Any]) -> dict[str, Any]:
    return {e["url"].rsplit(":", 1)[1]: e for e in resource.get("extension", ())}


def _create(env: dict[str, str], patient: str, *extra: str, item: str = "101002:21:هر ۸ ساعت") -> Any:
    return noskhe(
        env, "rx", "create", "--patient", patient, "--first-name", "مریم", "--last-name", "احمدی",
        "--item", item, "--json", *extra,
    )  # fmt: skip


def test_each_legal_field_is_signed_kept_by_the_exchange_printed_and_on_the_receipt(world, tmp_path) -> None:
    ex, clinic, pharmacy = world
    person = seed.demo_patients(1)[0]["value"]
    began = (dt.datetime.now(IRAN_TZ) - dt.timedelta(minutes=20)).replace(microsecond=0)
    created = json.loads(
        _ok(
            _create(
                clinic,
                person,
                "--birth-date",
                "۱۳۷۰/۰۵/۱۲",
                "--sex",
                "female",
                "--patient-phone",
                "+98 912 123 4567",
                "--service-start",
                began.isoformat(),
            )
        )
    )
    assert json.loads(_ok(noskhe(clinic, "sync", "run", "--json")))["done"] >= 1
    shown = json.loads(_ok(noskhe(clinic, "rx", "show", created["id"], "--json")))
    assert shown["state"] == "registered"

    # the signed document: what the exchange verified the signatures over
    bundle, at_exchange = _stored_prescription(ex, created["id"])
    doc = at_exchange.document()
    assert doc["patient"]["phone"] == "09121234567"
    assert doc["patient"]["birth_date"] == "1991-08-03" and doc["patient"]["sex"] == "female"
    assert doc["providerUserId"] == GP_USER and doc["facilityNationalId"] == CLINIC_ID
    assert dt.datetime.fromisoformat(doc["serviceStart"]) == began
    end = dt.datetime.fromisoformat(doc["serviceEnd"])
    assert began <= end <= dt.datetime.now(IRAN_TZ)
    assert doc["prescriber"]["specialty"] == "پزشک عمومی"  # the council's answer for 123456
    assert shown["provider_user_id"] == GP_USER and shown["patient"]["phone"] == "09121234567"
    # … and the FHIR resources it came in
    (patient,) = resources(bundle, "Patient")
    assert patient["telecom"] == [{"system": "phone", "value": "09121234567"}]
    assert patient["birthDate"] == "1991-08-03" and patient["gender"] == "female"
    (org,) = resources(bundle, "Organization")
    assert {"system": "urn:ir:provider-national-id", "value": CLINIC_ID} in org["identifier"]
    first = _exts(resources(bundle, "MedicationRequest")[0])
    assert first["provider-user-id"]["valueString"] == GP_USER
    assert first["service-start"]["valueDateTime"] == began.isoformat()

    # the paper
    paper = tmp_path / "paper.pdf"
    _ok(noskhe(clinic, "rx", "print", created["id"], "-o", str(paper)), "rx print")
    text = pdf_text(paper)
    for shown_text in ("09121234567", "1370/05/12", CLINIC_ID, GP_USER, "زن", "پزشک عمومی", "خدمت"):
        assert shown_text in text, shown_text
    age = dt.date.today().year - 1991 - ((dt.date.today().month, dt.date.today().day) < (8, 3))
    assert re.search(rf"سن\s*:?\s*{age}\b", text), text[:800]

    # the pharmacy: payment id and POS terminal from the command line, the rest recorded by itself
    _ok(noskhe(pharmacy, "rx", "retrieve", "--tracking", shown["tracking_code"], "--patient", person), "retrieve")
    code = ex.ttac_codes("101002", 1)[0]
    wrong = noskhe(pharmacy, "dispense", shown["tracking_code"], "--line", f"1::{code}", "--payment-id", "12")
    assert "Payment id" in _refused(wrong)
    wrong = noskhe(
        pharmacy, "dispense", shown["tracking_code"], "--line", f"1::{code}", "--pos-terminal", "A_1"
    )
    assert "POS" in _refused(wrong)
    done = json.loads(
        _ok(
            noskhe(
                pharmacy,
                "dispense",
                shown["tracking_code"],
                "--line",
                f"1::{code}",
                "--payment-id",
                "rrn-1234-5678-9012",
                "--pos-terminal",
                "a1b2c3",
                "--json",
            ),
            "dispense",
        )
    )
    assert done["state"] == "registered"
    with _exchange_db(ex) as c:
        (body,) = c.execute("SELECT bundle FROM dispensings WHERE id = ?", (done["dispensing"],)).fetchone()
    d_bundle = json.loads(body)
    d, _ = fhir.bundle_to_dispensing(d_bundle)
    d_doc = d.document()
    assert d_doc["payment_id"] == "RRN123456789012" and d_doc["pos_terminal_id"] == "A1B2C3"
    assert d_doc["provider_user_id"] == PHARMACIST_USER and d_doc["facility_national_id"] == PHARMACY_ID
    assert d.service_start is not None and d.service_end is not None and d.service_start <= d.service_end
    md = _exts(resources(d_bundle, "MedicationDispense")[0])
    assert (
        md["payment-id"]["valueString"] == "RRN123456789012"
        and md["pos-terminal-id"]["valueString"] == "A1B2C3"
    )
    assert md["provider-user-id"]["valueString"] == PHARMACIST_USER and "service-end" in md

    receipt = tmp_path / "receipt.pdf"
    _ok(noskhe(pharmacy, "receipt", "print", done["dispensing"], "-o", str(receipt), "--roll"), "receipt")
    text = pdf_text(receipt)
    for shown_text in ("RRN123456789012", "A1B2C3", PHARMACY_ID, PHARMACIST_USER, "خدمت"):
        assert shown_text in text, shown_text


def test_wrong_legal_fields_are_refused_in_one_line_before_anything_is_signed(world) -> None:
    _, clinic, _ = world
    person = seed.demo_patients(2)[1]["value"]
    tomorrow = (dt.datetime.now(IRAN_TZ) + dt.timedelta(days=2)).date().isoformat()
    assert "Phone number" in _refused(_create(clinic, person, "--patient-phone", "12345"))
    assert _refused(_create(clinic, person, "--birth-date", tomorrow))
    assert "130 years" in _refused(_create(clinic, person, "--birth-date", "1270/01/01"))
    soon = (dt.datetime.now(IRAN_TZ) + dt.timedelta(hours=2)).isoformat()
    assert "future" in _refused(_create(clinic, person, "--service-end", soon))
    earlier = (dt.datetime.now(IRAN_TZ) - dt.timedelta(hours=2)).isoformat()
    later = (dt.datetime.now(IRAN_TZ) - dt.timedelta(hours=1)).isoformat()
    refusal = _refused(_create(clinic, person, "--service-start", later, "--service-end", earlier))
    assert "before its start" in refusal
    assert "Time" in _refused(_create(clinic, person, "--service-end", "tomorrow"))
    assert "national id" in _refused(
        noskhe(clinic, "sync", "config", "--facility-national-id", "10380284791")
    )
    status = json.loads(_ok(noskhe(clinic, "sync", "status", "--json")))
    assert status["counts"]["pending"] == 0  # nothing signed, nothing queued
    kept = _ok(noskhe(clinic, "sync", "config"))
    assert f"facility_national_id = {CLINIC_ID}" in kept  # the bad one was not stored


def test_newborn_forms_and_the_armed_forces_newborn(world, tmp_path) -> None:
    ex, clinic, _ = world
    mother = seed.demo_patients(3)[2]["value"]
    created = json.loads(_ok(_create(clinic, f"{mother}-1", "--birth-date", "1405/09/01")))
    assert created["patient"] == f"newborn:{mother}-1"
    # never a unique id, even when asked for one
    assert "newborn" in _refused(_create(clinic, f"unique-id:{mother}-1"))
    forces = json.loads(_ok(_create(clinic, "armed-forces-newborn:۱۲۳۴۵۶۷۸")))
    assert forces["patient"] == "armed-forces-newborn:12345678"
    assert json.loads(_ok(noskhe(clinic, "sync", "run", "--json")))["done"] >= 2
    _, newborn = _stored_prescription(ex, created["id"])
    assert (newborn.patient.id.kind, newborn.patient.id.value) == ("newborn", f"{mother}-1")
    _, armed = _stored_prescription(ex, forces["id"])
    assert (armed.patient.id.kind, armed.patient.id.value) == ("armed-forces-newborn", "12345678")
    paper = tmp_path / "newborn.pdf"
    _ok(noskhe(clinic, "rx", "print", created["id"], "-o", str(paper)), "rx print")
    text = pdf_text(paper)
    assert "کد ملی مادر" in text and mother in text and "فرزند" in text


def test_the_specialty_comes_from_the_council_and_both_engines_judge_on_it(world, tmp_path) -> None:
    ex, clinic, _ = world
    person = seed.demo_patients(1)[0]["value"]
    item = f"{SPECIALIST_ONLY}:10:روزی یک عدد"
    refused = _refused(_create(clinic, person, item=item))
    assert "specialist" in refused.lower()

    # the council now knows Dr Ahmadi as an internist: the next prescription carries it and passes
    with _exchange_db(ex) as c:
        c.execute("UPDATE council SET specialty = 'متخصص داخلی' WHERE number = '123456'")
    created = json.loads(_ok(_create(clinic, person, item=item)))
    assert created["rules"]["source"] == "exchange"
    assert not any(f["code"] == "specialist-only" for f in created["rules"]["findings"])
    assert json.loads(_ok(noskhe(clinic, "sync", "run", "--json")))["done"] >= 1
    _, at_exchange = _stored_prescription(ex, created["id"])
    assert at_exchange.prescriber.specialty == "متخصص داخلی"

    # offline, the local engine judges on the kept council answer the same way
    with harness.exchange_down(ex):
        offline = json.loads(_ok(_create(clinic, person, item=item)))
    assert offline["rules"]["source"] != "exchange"
    assert not any(f["code"] == "specialist-only" for f in offline["rules"]["findings"])


def test_both_engines_judge_a_specialist_only_drug_on_the_real_specialty(tmp_path) -> None:
    """The same prescription by a GP and by a specialist, through the local engine and the exchange's rules
    module; and a prescription claiming a specialty the council does not know is judged as the council
    says."""
    from app.rules import Reference, bundled_rule_set, check_prescription
    from app.services.prescribing import ItemRequest
    from exchange import rules as exchange_rules
    from exchange.db import ExchangeDB

    db = ExchangeDB(tmp_path / "exchange.db")
    seed.seed(db)
    drug = exchange_rules.drug(db, SPECIALIST_ONLY)
    assert drug is not None
    from app.domain import PrescriptionItem

    req = ItemRequest(SPECIALIST_ONLY, 10)
    items = [PrescriptionItem(drug.code, drug.label_fa, req.quantity, "")]
    patient = Patient(PatientId("national-code", "0012345679"), "مریم", "احمدی")

    def codes(result: Any) -> set[str]:
        return {f.code for f in result.findings if f.level == "rejection"}

    ref = Reference(bundled_rule_set(), lambda code: exchange_rules.drug(db, code))
    for number, specialty, rejected in (("123456", "پزشک عمومی", True), ("777777", "متخصص داخلی", False)):
        if number == "777777":
            with db.write() as c:
                c.execute(
                    "INSERT INTO council (number, name, status, specialty) VALUES (?,?,?,?)",
                    (number, "آزمایشی دکتر متخصص", "active", specialty),
                )
        rx = Prescription(patient, Prescriber("x", number, specialty), "10000001", list(items))
        local, remote = check_prescription(rx, ref), exchange_rules.check_prescription(db, rx)
        assert codes(local) == codes(remote), number
        assert ("specialist-only" in codes(local)) is rejected, number
    # a GP's prescription that claims a specialty: the exchange judges on the council's
    claimed = Prescription(patient, Prescriber("x", "123456", "متخصص داخلی"), "10000001", list(items))
    assert "specialist-only" in codes(exchange_rules.check_prescription(db, claimed))
