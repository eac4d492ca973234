"""Age and sex limits judged on what is known (issue 9, point 2, as a tester found it): online, on the sex and
birth date eligibility returns when none is typed (and the exchange judges on the same); offline with
nothing known, a limited drug gives a warning to check, not silence.

Against a real exchange process on loopback, SQLCipher stores and PKCS#12 signers."""

from __future__ import annotations

from dataclasses import replace

from app.rules import Reference, cached_rule_set, check_prescription
from app.services.prescribing import ItemRequest, write_prescription
from tests.e2e.test_counter_state import cli, world  # noqa: F401
from tests.sync import harness

MALE = "2342660308"  # seeded male (exchange/seed.py demo_patients)


def test_online_a_female_only_drug_for_an_untyped_male_is_rejected(world, capsys) -> None:  # noqa: F811
    ex, clinic, _ = world
    code, out = cli(clinic, capsys, "rx", "create", "--patient", MALE, "--first-name", "a", "--last-name", "b", "--item", "110001:10:x")
    assert code == 1 and "female" in out.lower(), out
    assert ex.stats().get("prescriptions", 0) == 0


def test_offline_nothing_known_gives_a_check_warning(world, capsys) -> None:  # noqa: F811
    ex, clinic, _ = world
    ex.faults(outage=True)
    patient = replace(harness.patients(1)[0], sex=None, birth_date=None)
    rx = write_prescription(clinic, patient=patient, items=[ItemRequest("110001", 10, "x")])
    kept = clinic.store.results.get(f"rx:{rx.id}", "rules") or {}
    codes = [f["code"] for f in kept.get("findings") or []]
    assert "limit-unknown" in codes, kept
    # the same engine the exchange runs, on the same facts
    ref = Reference(cached_rule_set(clinic.store), clinic.store.catalog.get)
    found = check_prescription(rx, ref).findings
    assert [f for f in found if f.code == "limit-unknown" and f.level == "warning"], found
