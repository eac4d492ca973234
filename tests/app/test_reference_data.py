from __future__ import annotations

import csv
import re
import time

import pytest

from app.reference.data import FIELDS, ROUTES, insurer_plans, load_insurers, load_starter_drugs
from app.reference.generate import FIRST_DERIVED_CODE, generate_catalog, main

ATC = re.compile(r"^[A-Z]\d\d[A-Z][A-Z]\d\d$")
ARABIC_YEH, ARABIC_KAF = "\u064a", "\u0643"
ZWNJ = "\u200c"
PERSIAN_FIELDS = ("generic_fa", "form_fa")


@pytest.fixture(scope="module")
def drugs() -> list[dict[str, str]]:
    return load_starter_drugs()


def test_starter_catalog_is_large_enough(drugs):
    assert len(drugs) >= 320


def test_every_row_has_every_field(drugs):
    for row in drugs:
        assert tuple(row) == FIELDS
        assert all(row[field].strip() for field in FIELDS), row


def test_codes_are_six_unique_digits_below_the_generated_range(drugs):
    codes = [row["code"] for row in drugs]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"\d{6}", code) and int(code) < FIRST_DERIVED_CODE for code in codes)


def test_atc_codes_are_substance_level(drugs):
    bad = [row for row in drugs if not ATC.match(row["atc"])]
    assert not bad


def test_routes_are_known(drugs):
    assert {row["route"] for row in drugs} <= ROUTES


def test_persian_fields_use_persian_letters(drugs):
    for row in drugs:
        for field in PERSIAN_FIELDS:
            assert ARABIC_YEH not in row[field] and ARABIC_KAF not in row[field], row


def test_products_are_not_listed_twice(drugs):
    keys = [(r["generic_en"], r["form"], r["form_fa"], r["strength"]) for r in drugs]
    assert len(set(keys)) == len(keys)


def test_amoxicillin_is_spelled_with_a_half_space(drugs):
    amoxicillin = [r for r in drugs if r["generic_en"] == "Amoxicillin"]
    assert {r["strength"] for r in amoxicillin} >= {"250 mg", "500 mg", "125 mg/5 mL", "250 mg/5 mL"}
    assert all(r["generic_fa"] == f"آموکسی{ZWNJ}سیلین" and r["atc"] == "J01CA04" for r in amoxicillin)


@pytest.mark.parametrize(
    "generic_en, atc",
    [
        ("Acetaminophen", "N02BE01"),
        ("Co-amoxiclav", "J01CR02"),
        ("Ceftriaxone", "J01DD04"),
        ("Metformin", "A10BA02"),
        ("Losartan", "C09CA01"),
        ("Salbutamol", "R03AC02"),
        ("Omeprazole", "A02BC01"),
        ("Sertraline", "N06AB06"),
        ("Levothyroxine", "H03AA01"),
        ("Colecalciferol", "A11CC05"),
        ("Benzathine benzylpenicillin", "J01CE08"),
    ],
)
def test_everyday_drugs_are_present(drugs, generic_en, atc):
    assert any(r["generic_en"] == generic_en and r["atc"] == atc for r in drugs)


def test_insurers_have_versioned_complete_rules():
    data = load_insurers()
    assert isinstance(data["version"], int)
    plans = insurer_plans(data)
    assert {"IHIO", "IHIO-CS", "IHIO-UHI", "IHIO-RUR", "SSO", "AFMS", "IKRF", "NONE"} <= set(plans)
    for plan in plans.values():
        assert plan["name_fa"] and plan["name_en"]
        assert ARABIC_YEH not in plan["name_fa"] and ARABIC_KAF not in plan["name_fa"]
        rules = plan["rules"]
        for kind in ("drug_outpatient", "visit_outpatient"):
            share = rules[kind]
            assert isinstance(share["insurer_percent"], int) and isinstance(share["patient_percent"], int)
            assert 0 <= share["insurer_percent"] <= 100
            assert share["insurer_percent"] + share["patient_percent"] == 100
        assert all(
            re.fullmatch(r"[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?", p) for p in rules["excluded_atc_prefixes"]
        )
        assert isinstance(rules["referral_required"], bool)


def test_insurer_shares_match_the_published_figures():
    plans = insurer_plans()
    assert plans["SSO"]["rules"]["drug_outpatient"]["insurer_percent"] == 70
    assert plans["IHIO-RUR"]["rules"]["drug_outpatient"]["insurer_percent"] == 90
    assert plans["IHIO-RUR"]["parent"] == "IHIO"
    assert plans["NONE"]["rules"]["drug_outpatient"]["patient_percent"] == 100


def test_generator_gives_exactly_n_unique_codes(drugs):
    started = time.perf_counter()
    catalog = generate_catalog(20000, seed=0)
    assert time.perf_counter() - started < 2
    assert len(catalog) == 20000
    assert len({r["code"] for r in catalog}) == 20000
    assert catalog[: len(drugs)] == drugs
    derived = catalog[len(drugs) :]
    for row in derived:
        assert tuple(row) == FIELDS and all(row.values())
        assert re.fullmatch(r"\d{6}", row["code"]) and ATC.match(row["atc"]) and row["route"] in ROUTES
        assert ARABIC_YEH not in row["generic_fa"] and ARABIC_KAF not in row["generic_fa"]


def test_generator_is_deterministic():
    assert generate_catalog(3000, seed=7) == generate_catalog(3000, seed=7)
    assert generate_catalog(3000, seed=7) != generate_catalog(3000, seed=8)
    assert generate_catalog(3000, seed=7)[:1000] == generate_catalog(1000, seed=7)


def test_generator_small_n_is_a_prefix_of_the_starter(drugs):
    assert generate_catalog(10) == drugs[:10]
    assert generate_catalog(0) == []


def test_generator_command_writes_csv(tmp_path):
    out = tmp_path / "catalog.csv"
    assert main(["--n", "1500", "--seed", "3", "-o", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == generate_catalog(1500, seed=3)


# ---- the synonyms and brand names table -------------------------------------------------------------


def test_every_synonym_names_a_generic_of_the_starter_catalog(drugs):
    from app.reference.data import SYNONYM_FIELDS, SYNONYM_KINDS, load_synonyms

    generics = {row["generic_en"] for row in drugs}
    rows = load_synonyms()
    assert len(rows) >= 300
    for row in rows:
        assert tuple(row) == SYNONYM_FIELDS
        assert row["generic_en"] in generics, row
        assert row["kind"] in SYNONYM_KINDS, row
        assert row["term"].strip() == row["term"] and row["term"], row
        assert ARABIC_YEH not in row["term"] and ARABIC_KAF not in row["term"], row
    pairs = [(r["term"].lower(), r["generic_en"]) for r in rows]
    assert len(set(pairs)) == len(pairs)
    # A term stands for one generic only, or search could not tell them apart.
    by_term: dict[str, set[str]] = {}
    for term, generic in pairs:
        by_term.setdefault(term, set()).add(generic)
    assert {t: g for t, g in by_term.items() if len(g) > 1} == {}
    terms = {t for t, _ in pairs}
    assert {"paracetamol", "پاراستامول", "brufen", "بروفن"} <= terms
