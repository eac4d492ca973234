import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.costs import drug_cost, percent_of, pro_rata, split, total_of, visit_cost
from app.domain import CostSplit, Drug
from tests.conftest import make_prescription


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


# ---- the rounding rule and the sums (app.costs) ----------------------------------------------------------


@pytest.mark.parametrize(
    "price, percent, insurer, patient",
    [
        (999, 70, 699, 300),  # 699.3 → the insurer pays 699, the patient the rest
        (101, 50, 50, 51),  # the odd rial is the patient's
        (1, 99, 0, 1),
        (240_000, 70, 168_000, 72_000),
        (240_000, 100, 240_000, 0),
        (240_000, 0, 0, 240_000),
        (0, 70, 0, 0),
    ],
)
def test_the_insurer_share_is_rounded_down_to_the_rial(price, percent, insurer, patient):
    assert split(price, percent) == CostSplit.of(price, percent) == CostSplit(insurer, patient)


@pytest.mark.parametrize("price, percent", [(100, 101), (100, -1), (-1, 50)])
def test_a_split_refuses_what_is_not_money(price, percent):
    with pytest.raises(ValueError):
        CostSplit.of(price, percent)


def test_a_total_adds_the_shares_and_is_never_split_again():
    lines = [CostSplit.of(1, 50)] * 3  # each line: insurer 0, patient 1
    assert CostSplit.sum(lines) == CostSplit(0, 3)
    assert CostSplit.sum(lines) != CostSplit.of(3, 50)  # re-splitting the total would move a rial
    assert CostSplit.sum([]) == CostSplit() == CostSplit(0, 0)


def test_totals_of_a_prescription_and_a_dispensing_are_the_sums_of_their_lines():
    rx = make_prescription(n_items=3)
    assert (
        rx.cost
        == total_of(rx.items)
        == CostSplit(sum(i.cost.insurer for i in rx.items), sum(i.cost.patient for i in rx.items))
    )
    assert rx.document()["cost"] == rx.cost.to_dict()


def test_part_of_a_line_is_priced_pro_rata():
    assert pro_rata(CostSplit(70_000, 30_000), 5, 10) == CostSplit(35_000, 15_000)
    assert pro_rata(CostSplit(700, 300), 1, 3) == CostSplit(233, 100)  # 333 rials at 70 %
    assert pro_rata(CostSplit(700, 300), 3, 3) == CostSplit(700, 300)
    assert percent_of(CostSplit(2, 1)) == 66 and percent_of(CostSplit()) == 0
    for part, whole in ((4, 3), (-1, 3), (0, 0)):
        with pytest.raises(ValueError):
            pro_rata(CostSplit(700, 300), part, whole)


def test_the_wire_form_is_rials_by_share():
    cost = CostSplit(168_000, 72_000)
    assert cost.to_dict() == {"insurer": 168_000, "patient": 72_000}
    assert CostSplit.from_dict(cost.to_dict()) == cost
    assert CostSplit.from_dict({}) == CostSplit() and CostSplit.from_dict(
        {"patient": 5, "x": 1}
    ) == CostSplit(0, 5)
    assert dataclasses.asdict(cost) == cost.to_dict()


@given(st.lists(st.tuples(st.integers(0, 10**8), st.integers(0, 100)), max_size=20))
def test_the_total_of_lines_is_their_sum_share_by_share(lines):
    splits = [CostSplit.of(price, pct) for price, pct in lines]
    total = CostSplit.sum(splits)
    assert total.total == sum(price for price, _ in lines)
    assert total.insurer == sum(s.insurer for s in splits) and total.patient == sum(s.patient for s in splits)
    # and the patient never pays less than the exact share of any line
    assert all(s.patient * 100 >= price * (100 - pct) for s, (price, pct) in zip(splits, lines))


# ---- one pricing model: basic plan, supplementary plan, overlap (app.costs.line_cost) --------------------

RURAL = {"drug_outpatient": {"insurer_percent": 90}, "excluded_atc_prefixes": ["A08"]}
BASIC = {"drug_outpatient": {"insurer_percent": 70}, "excluded_atc_prefixes": ["A08"]}
EXTRA = {"supplementary": True, "drug_outpatient": {"insurer_percent": 50}, "excluded_atc_prefixes": []}


def test_a_line_is_split_by_the_basic_plan_then_the_supplementary_one():
    from app.costs import Plans, line_cost

    assert line_cost(12_000, 20, "J01CA04", Plans(RURAL)) == CostSplit(216_000, 24_000)
    # the supplementary plan pays half of what the basic plan left: 30 % → 15 %
    assert line_cost(12_000, 20, "J01CA04", Plans(BASIC, EXTRA)) == CostSplit(168_000 + 36_000, 36_000)
    # a drug the basic plan excludes: only the supplementary plan pays, half of all of it
    assert line_cost(50_000, 2, "A08AB01", Plans(BASIC, EXTRA)) == CostSplit(50_000, 50_000)
    assert line_cost(50_000, 2, "A08AB01", Plans()) == CostSplit(0, 100_000)
    assert line_cost(999, 1, "J01CA04", Plans(BASIC, EXTRA)) == CostSplit(
        699 + 150, 150
    )  # rounded down twice


@given(st.integers(0, 10**7), st.integers(0, 500), st.integers(0, 100), st.integers(0, 100))
def test_two_plans_never_pay_more_than_the_price_nor_lose_a_rial(price, qty, basic, extra):
    from app.costs import Plans, line_cost

    plans = Plans(
        {"drug_outpatient": {"insurer_percent": basic}}, {"drug_outpatient": {"insurer_percent": extra}}
    )
    cost = line_cost(price, qty, "J01CA04", plans)
    assert cost.total == price * qty and 0 <= cost.insurer <= price * qty


def test_the_coverages_that_pay_are_chosen_the_same_way_on_both_sides():
    from app.costs import choose_coverages, plan_code

    ikrf = {"insurer": "IKRF", "scheme": "", "kind": "basic"}
    rural = {"insurer": "IHIO", "scheme": "IHIO-RUR", "kind": "basic"}
    extra = {"insurer": "SUPP-T", "scheme": "", "kind": "supplementary"}
    lapsed = {"insurer": "SSO", "scheme": "", "kind": "basic", "inforce": False}
    assert choose_coverages([ikrf, rural, extra]) == (ikrf, extra, True)  # an overlap: the first pays alone
    assert choose_coverages([lapsed, extra]) == (None, extra, False)
    assert choose_coverages([]) == (None, None, False)
    assert plan_code(rural) == "IHIO-RUR" and plan_code(ikrf) == "IKRF" and plan_code(None) is None


def test_an_estimate_is_said_to_be_one_until_the_exchange_answers():
    from app.costs import Settlement

    offline = Settlement(CostSplit(0, 100_000))
    assert (
        offline.basis == "estimate" and offline.shown == CostSplit(0, 100_000) and offline.difference is None
    )
    assert offline.describe()[0].endswith("(estimate)") and "برآورد" in offline.describe()[1]
    answered = Settlement(CostSplit(0, 100_000), CostSplit(70_000, 30_000))
    assert answered.basis == "exchange" and answered.shown == CostSplit(70_000, 30_000) and answered.differs
    assert answered.difference == (70_000, -70_000)
    assert answered.to_dict()["difference"] == {"insurer": 70_000, "patient": -70_000}
    assert "the estimate was insurer 0" in answered.describe()[0]
    assert not Settlement(CostSplit(1, 2), CostSplit(1, 2)).differs
