from hypothesis import given, strategies as st

from app.text import fold_for_search, normalize_letters, normalize_text, to_ascii_digits, to_persian_digits


def test_arabic_letter_variants_become_persian():
    assert normalize_letters("علي كريمي") == "علی کریمی"
    assert normalize_text("  علي   \u200fكريمي ") == "علی کریمی"


def test_search_folding_forgives_alef_diacritics_zwnj_and_case():
    assert fold_for_search("آموکسی‌سیلین") == fold_for_search("اموکسيسيلين") == "اموکسیسیلین"
    assert fold_for_search("آموکسی‌سیلین", keep_zwnj=True) == "اموکسی\u200cسیلین"
    assert fold_for_search("AmOxI") == "amoxi"
    assert fold_for_search("مُسَکِّن") == "مسکن"


@given(st.integers(min_value=0, max_value=10**18))
def test_digits_round_trip(n):
    assert to_ascii_digits(to_persian_digits(n)) == str(n)
