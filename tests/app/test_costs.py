from hypothesis import given, strategies as st

from app.costs import drug_cost, visit_cost
from app.domain import CostSplit, Drug


def drug(atc="J01CA04", price=12_000):
    return Drug("101001", "آموکسی‌سیلین", "Amoxicillin", "Capsule", "500 mg", "oral", atc, price=price)


def test_insurers_and_schemes_are_loaded_with_their_rules(store):
    codes = {i.code for i in store.catalog.insurers()}
    assert {"IHIO", "IHIO-RUR", "SSO", "AFMS", "IKRF", "NONE"} <= codes
    assert store.catalog.insurer("IHIO-RUR").rules["parent"] == "IHIO"


def test_split_follows_the_scheme(store):
    urban, rural = store.catalog.insurer("IHIO"), store.catalog.insurer("IHIO-RUR")
    assert drug_cost(drug(), 20, urban) == CostSplit(168_000, 72_000)
    assert drug_cost(drug(), 20, rural) == CostSplit(216_000, 24_000)
    assert drug_cost(drug(), 20, None) == CostSplit(0, 240_000)
    assert visit_cost(1_000_000, rural).patient == 100_000


def test_excluded_drugs_are_paid_by_the_patient(store):
    ihio = store.catalog.insurer("IHIO")
    orlistat = drug(atc="A08AB01", price=50_000)
    assert drug_cost(orlistat, 2, ihio) == CostSplit(0, 100_000)


@given(st.integers(0, 10**9), st.integers(0, 100))
def test_split_never_loses_a_rial(price, percent):
    split = CostSplit.of(price, percent)
    assert split.total == price and 0 <= split.insurer <= price
