"""Bad values at the command line's edge, with real `noskhe` processes on the SoftHSM2 tokens: each refused
in one line (exit 1) before anything is signed, or taken into account — never ignored, never a crash."""

from __future__ import annotations

import json

from app.store import Store
from tests.e2e.test_faults_pin import clinic  # noqa: F401
from tests.sync import harness

noskhe = harness.noskhe


def _one_line(done) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, (done.returncode, done.stderr[-2000:])
    return lines[0]


def test_values_at_the_edge_of_rx_create(clinic) -> None:  # noqa: F811
    env, data = clinic
    patient = harness.patients(1)[0]
    base = ("rx", "create", "--patient", patient.id.value, "--item", "101002:21:هر ۸ ساعت")
    named = (*base, "--first-name", patient.first_name, "--last-name", patient.last_name)
    said = _one_line(noskhe(env, *named, "--insurer", "ACME"))
    assert "Unknown insurer 'ACME'" in said and "SSO" in said and "IHIO" in said
    assert "first name is empty" in _one_line(noskhe(env, *base, "--first-name", "\r\n", "--last-name", "x"))
    assert "at most" in _one_line(noskhe(env, *named, "--notes", "x" * 10_000))
    with Store.open(data, harness.PASSPHRASE) as store:
        assert store.conn().execute("SELECT count(*) FROM prescriptions").fetchone()[0] == 0
    done = noskhe(env, *named, "--json")
    assert done.returncode == 0, done.stderr
    # the patient is known now: a birth date and an insurer typed without the names are not ignored
    done = noskhe(env, *base, "--birth-date", "1370/05/12", "--insurer", "SSO", "--json")
    assert done.returncode == 0, done.stderr
    rx_id = json.loads(done.stdout)["id"]
    with Store.open(data, harness.PASSPHRASE) as store:
        signed = store.get_prescription(rx_id).patient
        assert signed.birth_date.isoformat() == "1991-08-03" and signed.coverage.insurer_code == "SSO"
        kept = store.get_patient(patient.id)
        assert kept.birth_date.isoformat() == "1991-08-03" and kept.coverage.insurer_code == "SSO"
    said = _one_line(noskhe(env, *base, "--birth-date", "1371/05/12"))  # contradicts the record
    assert "kept with birth date" in said and "--first-name" in said


def test_a_bad_exchange_address_is_refused_and_one_stored_earlier_never_crashes(clinic) -> None:  # noqa: F811
    env, data = clinic
    said = _one_line(noskhe(env, "sync", "config", "--exchange", "' OR 1=1 --"))
    assert "exchange address" in said and "نشانی سامانهٔ تبادل" in said
    with Store.open(data, harness.PASSPHRASE) as store:
        assert store.meta("exchange.url") == "http://127.0.0.1:9"  # the good one kept
        store.set_meta("exchange.url", "' OR 1=1 --")  # as an older version could have stored it
    patient = harness.patients(1)[0]
    done = noskhe(env, "rx", "create", "--patient", patient.id.value, "--first-name", patient.first_name,
                  "--last-name", patient.last_name, "--item", "101002:21:هر ۸ ساعت")
    assert done.returncode == 0, done.stderr  # written offline
    for argv in (("sync", "run"), ("sync", "refresh")):
        said = _one_line(noskhe(env, *argv))
        assert "not valid" in said and "sync config --exchange" in said, said
    assert not (data / "crash.log").exists()
