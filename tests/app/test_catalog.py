import pytest

from app.reference.data import load_starter_drugs
from app.reference.generate import generate_catalog


def codes(drugs):
    return [d.code for d in drugs]


@pytest.fixture
def amoxicillin(store):
    drugs = store.catalog.search("Amoxicillin")
    amox = [d for d in drugs if d.generic_fa == "آموکسی‌سیلین"]
    assert amox, "the starter catalog ships amoxicillin"
    return amox[0]


def test_starter_catalog_is_loaded_at_init(store):
    assert store.catalog.count() == len(load_starter_drugs()) >= 300
    assert len(store.catalog.insurers()) >= 5


@pytest.mark.parametrize("query", ["اموکسي", "آموکسی", "amoxi", "AMOXI", "آموکسی سیلین", "آموکسی‌سیلین", "اموكسي"])
def test_amoxicillin_found_however_it_is_typed(store, amoxicillin, query):
    found = store.catalog.search(query)
    assert amoxicillin.code in codes(found), query
    # The best hits are amoxicillin products, not something that merely mentions it.
    assert "amoxicillin" in found[0].generic_en.lower() or "amoxiclav" in found[0].generic_en.lower()


def test_found_by_code_and_by_persian_digits(store, amoxicillin):
    assert codes(store.catalog.search(amoxicillin.code))[0] == amoxicillin.code
    persian = amoxicillin.code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert codes(store.catalog.search(persian))[0] == amoxicillin.code
    assert store.catalog.get(persian) == amoxicillin


def test_multi_word_prefix_search_narrows(store):
    all_ = store.catalog.search("metformin", limit=50)
    narrowed = store.catalog.search("metf 1000", limit=50)
    assert narrowed and set(codes(narrowed)) < set(codes(all_))
    assert all("1000" in d.strength for d in narrowed)


def test_nothing_for_empty_or_unknown(store):
    assert store.catalog.search("   ") == []
    assert store.catalog.search("zzqqxx") == []
    assert store.catalog.search('")(*:^') == []  # FTS syntax is never passed through
    # "OR" is a word here, not an operator: it finds what starts with "or" (oral…) and does not fail.
    assert all("or" in (d.route + d.generic_en + d.form).lower() for d in store.catalog.search('"*) OR ('))


def test_twenty_thousand_item_catalog(store):
    rows = generate_catalog(n=20000, seed=3)
    assert store.catalog.load(rows) == 20000
    assert store.catalog.count() == 20000
    hits = store.catalog.search("اموکسي", limit=50)
    assert len(hits) == 50 and all("آموکسی" in d.generic_fa for d in hits)
