import pytest

from app.catalog import Catalog, within_one_edit
from app.reference.data import load_starter_drugs
from app.reference.generate import generate_catalog
from app.substitution import with_products


def codes(drugs):
    return [d.code for d in drugs]


@pytest.fixture
def amoxicillin(store):
    drugs = store.catalog.search("Amoxicillin")
    amox = [d for d in drugs if d.generic_fa == "آموکسی‌سیلین"]
    assert amox, "the starter catalog ships amoxicillin"
    return amox[0]


def test_starter_catalog_is_loaded_at_init(store):
    # the starter rows and the interchangeable products of some of them (app/data/substitution.csv)
    assert store.catalog.count() == len(with_products(load_starter_drugs())) > len(load_starter_drugs()) >= 300
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


@pytest.mark.parametrize(
    "query, generic, strength",
    [
        ("amoxicillin 500mg", "Amoxicillin", "500 mg"),
        ("ibuprofen 400mg", "Ibuprofen", "400 mg"),
        ("AMOXICILLIN 500MG", "Amoxicillin", "500 mg"),
        ("آموکسی سیلین ۵۰۰mg", "Amoxicillin", "500 mg"),
        ("amoxicillin 500 mg", "Amoxicillin", "500 mg"),
    ],
)
def test_a_strength_typed_without_a_space_finds_the_product(store, query, generic, strength):
    found = store.catalog.search(query, limit=50)
    assert found, query
    assert found[0].generic_en == generic and found[0].strength == strength, found[0]
    assert all(d.strength.startswith(strength.split()[0]) for d in found), query


def test_a_key_written_without_a_space_is_found_with_one(store):
    row = {"code": "999001", "generic_fa": "داروی آزمایشی", "generic_en": "Testamycin", "form": "Tablet",
           "form_fa": "قرص", "strength": "750mg", "route": "oral", "atc": "J01XX99", "price": 1000}
    store.catalog.load([row], replace=False)
    for query in ("testamycin 750 mg", "testamycin 750mg", "testamycin 750"):
        assert codes(store.catalog.search(query)) == ["999001"], query


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


# ---- issue 10: drug names people actually type ---------------------------------------------------------


def first_generic(store, query):
    found = store.catalog.search(query)
    assert found, f"{query!r} found nothing"
    return found[0].generic_en


@pytest.mark.parametrize(
    ("query", "generic"),
    [
        ("paracetamol", "Acetaminophen"),  # the international name
        ("پاراستامول", "Acetaminophen"),
        ("Paracetamol 500", "Acetaminophen"),
        ("panadol", "Acetaminophen"),
        ("brufen", "Ibuprofen"),  # brand names common in Iran
        ("بروفن", "Ibuprofen"),
        ("ژلوفن", "Ibuprofen"),
        ("amoxil", "Amoxicillin"),
        ("آگمنتین", "Co-amoxiclav"),
        ("glucophage", "Metformin"),
        ("ونتولین", "Salbutamol"),
        ("albuterol", "Salbutamol"),
        ("آزیترومیسین", "Azithromycin"),  # a Persian spelling in common use
    ],
)
def test_other_names_find_the_generic(store, query, generic):
    assert first_generic(store, query) == generic


@pytest.mark.parametrize(
    ("query", "generic"),
    [
        ("amoxicilin", "Amoxicillin"),  # a letter missing
        ("azitromycin", "Azithromycin"),
        ("paracetanol", "Acetaminophen"),  # a letter wrong, in a synonym
        ("ibuprofne", "Ibuprofen"),  # two letters swapped
        ("metformiin", "Metformin"),  # a letter too many
        ("آموکسیسیلن", "Amoxicillin"),
        ("metformn 1000", "Metformin"),  # one word wrong, the other exact
    ],
)
def test_one_letter_typos_find_the_right_drug(store, query, generic):
    found = store.catalog.search(query)
    assert found and found[0].generic_en == generic, [d.generic_en for d in found]
    assert all(generic.lower() in d.generic_en.lower() for d in found), [d.generic_en for d in found]


def test_an_international_name_finds_the_combinations_too(store):
    names = {d.generic_en for d in store.catalog.search("paracetamol", limit=50)}
    assert {"Acetaminophen", "Acetaminophen and codeine"} <= names


def test_exact_matches_come_before_and_instead_of_typo_guesses(store):
    # "cef" starts real names: no guessing; plain names before longer ones.
    found = store.catalog.search("cefixime")
    assert found and all(d.generic_en == "Cefixime" for d in found)
    # Too short to guess from, or too far from any name: nothing rather than noise.
    assert store.catalog.search("zqx") == []
    assert store.catalog.search("xxxxxxxxxx") == []


def test_ranking_puts_names_that_start_with_the_query_first(store):
    found = store.catalog.search("amoxi", limit=30)
    generics = [d.generic_en for d in found]
    first_other = next(i for i, g in enumerate(generics) if g != "Amoxicillin")
    assert all(g != "Amoxicillin" for g in generics[first_other:])  # amoxicillin, then co-amoxiclav


def test_synonyms_come_with_the_reference_data_and_are_kept(store):
    catalog = store.catalog
    rows = [
        {"code": "900001", "generic_fa": "ایبوپروفن", "generic_en": "Ibuprofen", "form": "Tablet",
         "form_fa": "قرص", "strength": "400 mg", "route": "oral", "atc": "M01AE01", "price": 1000},
    ]
    # A refresh that brings its own table replaces the kept one…
    catalog.load(rows, synonyms=[{"term": "ibuzzz", "generic_en": "Ibuprofen", "kind": "brand"}])
    assert [d.code for d in catalog.search("ibuzzz")] == ["900001"]
    assert catalog.search("brufen") == []
    # …and one without a table keeps it.
    catalog.load(rows)
    assert [d.code for d in catalog.search("ibuzzz")] == ["900001"]


def test_keys_of_an_older_format_are_rebuilt_on_the_first_search(data_dir):
    from app.store import Store
    from tests.conftest import PASSPHRASE

    with Store.open(data_dir, PASSPHRASE) as s, s.transaction() as c:  # indexed before synonyms existed
        c.execute("UPDATE drugs_fts SET names = 'x'")
        c.execute("UPDATE meta SET value = '1' WHERE key = 'catalog.index_format'")
    with Store.open(data_dir, PASSPHRASE) as s:
        assert first_generic(s, "brufen") == "Ibuprofen"
        assert first_generic(s, "آموکسی") == "Amoxicillin"


def test_one_letter_prefixes_are_indexed(store):
    sql = store.conn().execute("SELECT sql FROM sqlite_master WHERE name = 'drugs_fts'").fetchone()[0]
    assert "prefix = '1 2 3'" in sql


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("amoxicilin", "amoxicillin", True),
        ("azitromycin", "azithromycin", True),
        ("paracetanol", "paracetamol", True),
        ("ibuprofne", "ibuprofen", True),
        ("metformiin", "metformin", True),
        ("amoxicillin", "amoxicillin", True),
        ("amoxcilin", "amoxicillin", False),
        ("abcd", "badc", False),
    ],
)
def test_within_one_edit(a, b, near):
    assert within_one_edit(a, b) is near and within_one_edit(b, a) is near


def test_catalog_is_a_view_of_the_store(store):
    assert isinstance(store.catalog, Catalog) and store.catalog.count() > 300


def test_a_catalog_refresh_from_the_exchange_brings_its_synonyms(store):
    from app.reference.data import load_insurers, load_synonyms
    from sync.reference import _apply

    drugs = [
        {"code": "900002", "generic_fa": "استامینوفن", "generic_en": "Acetaminophen", "form": "Tablet",
         "form_fa": "قرص", "strength": "500 mg", "route": "oral", "atc": "N02BE01", "price": 9000},
    ]
    _apply(store, "catalog", {"drugs": drugs, "insurers": load_insurers(), "synonyms": load_synonyms()})
    assert [d.code for d in store.catalog.search("پاراستامول")] == ["900002"]
    _apply(store, "catalog", {"drugs": drugs, "insurers": load_insurers(), "synonyms": []})
    assert store.catalog.search("panadol") == []
