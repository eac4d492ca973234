"""Dates people type: Jalali by default, Gregorian from 1900 on, any digit script; impossible days refused."""

import datetime as dt

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.dates import parse_user_date
from app.errors import InvalidDate, NoskheError


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("1370-05-12", dt.date(1991, 8, 3)),  # was stored as the Gregorian year 1370
        ("1370/05/12", dt.date(1991, 8, 3)),
        ("۱۳۷۰-۰۵-۱۲", dt.date(1991, 8, 3)),  # crashed with exit 3
        ("۱۳۷۰/۵/۱۲", dt.date(1991, 8, 3)),
        ("١٣٧٠/٠٥/١٢", dt.date(1991, 8, 3)),
        ("１３７０／０５／１２", dt.date(1991, 8, 3)),
        ("\u200f۱۳۷۰/۰۵/۱۲\u200f", dt.date(1991, 8, 3)),
        (" 1370 / 5 / 12 ", dt.date(1991, 8, 3)),
        ("1403/12/30", dt.date(2025, 3, 20)),  # 1403 is a leap year: 30 Esfand exists (crashed)
        ("1399/12/30", dt.date(2021, 3, 20)),
        ("1404/01/01", dt.date(2025, 3, 21)),
        ("1991-08-03", dt.date(1991, 8, 3)),  # Gregorian: the year says so
        ("1991/8/3", dt.date(1991, 8, 3)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("1900-01-01", dt.date(1900, 1, 1)),
        ("1899-01-01", jdatetime.date(1899, 1, 1).togregorian()),  # below 1900: Jalali
    ],
)
def test_typed_dates(typed, day):
    assert parse_user_date(typed) == day


@pytest.mark.parametrize(
    ("typed", "why_en", "why_fa"),
    [
        ("2020-13-45", "no month 13", "ماه ۱۳ وجود ندارد"),
        ("1404/12/30", "Esfand 1404 has 29 days", "اسفند ۱۴۰۴ ۲۹ روز دارد"),
        ("1370/07/31", "Mehr 1370 has 30 days", "مهر ۱۳۷۰ ۳۰ روز دارد"),
        ("2023-02-29", "February 2023 has 28 days", "فوریه ۲۰۲۳ ۲۸ روز دارد"),
        ("1370-00-12", "no month 0", "ماه ۰ وجود ندارد"),
        ("1370-05-00", "Mordad 1370 has 31 days", "مرداد"),
        ("12/05/1370", "year/month/day", "سال/ماه/روز"),
        ("1370-05", "year/month/day", "سال/ماه/روز"),
        ("yesterday", "year/month/day", "سال/ماه/روز"),
        ("", "year/month/day", "سال/ماه/روز"),
        ("0999-01-01", "four-digit year", "چهاررقمی"),
        ("১৩৭০-০৫-১২", "year/month/day", "سال/ماه/روز"),  # Bengali digits are not read as digits
    ],
)
def test_impossible_dates_are_one_line_refusals(typed, why_en, why_fa):
    with pytest.raises(InvalidDate) as exc:
        parse_user_date(typed)
    err = exc.value
    assert isinstance(err, NoskheError) and err.code == "invalid-date"
    assert why_en in err.en and why_fa in err.fa
    assert "\n" not in err.en + err.fa


def test_a_day_after_not_after_is_refused():
    today = dt.date(2026, 11, 30)
    assert parse_user_date("1405/09/09", not_after=today) == today
    with pytest.raises(InvalidDate, match="in the future"):
        parse_user_date("1405/09/10", not_after=today)


@given(st.dates(min_value=dt.date(1900, 3, 21), max_value=dt.date(2100, 12, 31)), st.sampled_from("/-"))
def test_every_jalali_day_reads_back_as_its_gregorian_day(day, sep):
    j = jdatetime.date.fromgregorian(date=day)
    persian = f"{j.year}{sep}{j.month:02d}{sep}{j.day:02d}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert parse_user_date(persian) == day
    assert parse_user_date(f"{day.year}{sep}{day.month}{sep}{day.day}") == day


@given(st.text(max_size=20))
def test_any_text_is_a_date_or_a_refusal(text):
    try:
        parse_user_date(text)
    except InvalidDate as exc:
        assert exc.en and exc.fa


def test_birth_date_typed_in_jalali_is_stored_in_gregorian():
    from app.services.prescribing import parse_birth_date

    assert parse_birth_date("1370-05-12") == dt.date(1991, 8, 3)
    assert parse_birth_date("۱۳۷۰/۰۵/۱۲") == dt.date(1991, 8, 3)
    assert parse_birth_date("") is None
    with pytest.raises(InvalidDate):
        parse_birth_date("2020-13-45")
    with pytest.raises(InvalidDate, match="future"):
        parse_birth_date("1499/01/01")


def test_a_new_patient_with_a_jalali_birth_date(store):
    from app.services.prescribing import patient_from

    p = patient_from(store, "0012345679", first_name="علی", last_name="رضایی", birth_date="۱۳۷۰/۰۵/۱۲")
    assert p.birth_date == dt.date(1991, 8, 3)
    assert p.age(dt.date(2026, 11, 30)) == 35
