import pytest
from hypothesis import given, strategies as st

from app.errors import InvalidIdentifier
from app.identifiers import (
    KINDS, AuthenticityCode, FidaId, Gtin, Hid, MedicalCouncilNumber, NationalCode, NewbornId,
    SiamId, TrackingCode, UniqueId, gs1_check_digit, luhn_check_digit, national_code_check_digit,
    parse_identifier,
)
from app.text import ARABIC_INDIC_DIGITS, PERSIAN_DIGITS

digits9 = st.text("0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)


def to_persian(s: str) -> str:
    return s.translate(str.maketrans("0123456789", PERSIAN_DIGITS))


def to_arabic(s: str) -> str:
    return s.translate(str.maketrans("0123456789", ARABIC_INDIC_DIGITS))


def valid_national_code(first9: str) -> str:
    return first9 + str(national_code_check_digit(first9))


@given(digits9)
def test_valid_national_codes_parse_in_every_script(first9):
    code = valid_national_code(first9)
    if len(set(code)) == 1:
        return
    assert NationalCode.parse(code).value == code
    assert NationalCode.parse(to_persian(code)).value == code
    assert NationalCode.parse(to_arabic(code)).value == code
    assert NationalCode.parse(f" {code[:3]}-{code[3:9]}-{code[9]} ").value == code
    assert NationalCode.parse("\u200f" + to_persian(code[:3]) + " " + code[3:] + "\u200e").value == code


@given(digits9, st.integers(1, 9))
def test_a_wrong_check_digit_is_refused(first9, delta):
    code = valid_national_code(first9)
    wrong = code[:9] + str((int(code[9]) + delta) % 10)
    with pytest.raises(InvalidIdentifier) as exc:
        NationalCode.parse(wrong)
    assert "check digit" in exc.value.en and "رقم کنترل" in exc.value.fa


@pytest.mark.parametrize("d", "0123456789")
def test_all_same_digit_codes_are_refused(d):
    # 0000000000 and 1111111111… pass the mod-11 rule but are not real people.
    with pytest.raises(InvalidIdentifier, match="all digits the same"):
        NationalCode.parse(d * 10)


def test_known_national_codes():
    assert NationalCode.parse("0012345679").value == "0012345679"
    assert NationalCode.parse("۰۰۱۲۳۴۵۶۷۹").value == "0012345679"
    assert NationalCode.parse("12345679").value == "0012345679"  # leading zeros lost in a spreadsheet
    for bad in ("", "abc", "00123456789", "001234567", "0012345678", "۰۰۱۲۳۴۵۶۷۸", "12-34"):
        with pytest.raises(InvalidIdentifier):
            NationalCode.parse(bad)


@given(st.text("0123456789", min_size=15, max_size=15), st.integers(0, 15), st.integers(1, 9))
def test_luhn_codes_catch_any_single_digit_error(payload, pos, delta):
    hid = payload + str(luhn_check_digit(payload))
    assert Hid.parse(to_persian(hid)).value == hid
    wrong = hid[:pos] + str((int(hid[pos]) + delta) % 10) + hid[pos + 1 :]
    assert not Hid.is_valid(wrong)


@given(st.integers(0, 10**11 - 1))
def test_issued_tracking_codes_round_trip(serial):
    code = TrackingCode.from_serial(serial)
    assert TrackingCode.parse(code.value) == code
    assert len(code.value) == 12


@given(st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_gtin_check_digit(payload):
    gtin = payload + str(gs1_check_digit(payload))
    assert Gtin.parse(to_arabic(gtin)).value == gtin
    wrong = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    assert not Gtin.is_valid(wrong)


def test_gtin_agrees_with_gs1_examples():
    assert Gtin.parse("4006381333931").value == "4006381333931"  # GS1's own example
    assert Gtin.parse("96385074").gtin14 == "00000096385074"
    assert not Gtin.is_valid("4006381333932")


def test_newborn_under_mother():
    nb = NewbornId.parse("۰۰۱۲۳۴۵۶۷۹")
    assert nb.value == "0012345679-1" and nb.mother.value == "0012345679" and nb.order == 1
    assert NewbornId.parse("0012345679 - 2").order == 2
    assert NewbornId.parse("00123456792").value == "0012345679-2"
    with pytest.raises(InvalidIdentifier, match="mother"):
        NewbornId.parse("0012345678-1")


def test_other_kinds():
    assert FidaId.parse("۱۲۳۴۵۶۷۸۹۰۱۲").value == "123456789012"
    assert not FidaId.is_valid("12345")
    assert UniqueId.parse("ab-12 34 56").value == "AB123456"
    assert not UniqueId.is_valid("ab!")
    assert MedicalCouncilNumber.parse("۰۱۲۳۴۵").value == "12345"
    assert not MedicalCouncilNumber.is_valid("12345678")
    assert SiamId.parse("۱۲۳۴-۵۶۷۸").value == "12345678"
    assert not SiamId.is_valid("1234")
    assert AuthenticityCode.parse("۱۲۳۴ ۵۶۷۸ ۹۰۱۲ ۳۴۵۶").value == "1234567890123456"
    assert not AuthenticityCode.is_valid("123456789012345")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_refuses_garbage_with_both_languages(kind):
    with pytest.raises(InvalidIdentifier) as exc:
        parse_identifier(kind, "؟؟-not an id-؟؟")
    assert exc.value.en and exc.value.fa and exc.value.en != exc.value.fa


def test_unknown_kind():
    with pytest.raises(InvalidIdentifier, match="Unknown identifier kind"):
        parse_identifier("passport", "X1")
