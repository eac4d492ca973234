"""One formatter for the times people read: Iran time, Jalali with Persian digits in Persian, Gregorian in
English; machine outputs stay ISO."""

import datetime as dt

import pytest

from app.domain import IRAN_TZ
from app.timefmt import format_date, format_time, format_times, iran_time, jalali_date, jalali_datetime

UTC_MOMENT = dt.datetime(2026, 11, 30, 1, 40, 11, tzinfo=dt.UTC)  # what conflicts and verdicts printed


def test_the_issues_moment_in_persian_and_in_english():
    # 01:40:11 UTC is 05:10:11 in Tehran (+03:30), 9 Azar 1405.
    assert format_time(UTC_MOMENT, "fa") == "۱۴۰۵/۰۹/۰۹ ۰۵:۱۰"
    assert format_time(UTC_MOMENT, "fa", seconds=True) == "۱۴۰۵/۰۹/۰۹ ۰۵:۱۰:۱۱"
    assert format_time(UTC_MOMENT, "en") == "2026-11-30 05:10"
    assert format_time(UTC_MOMENT, "en", seconds=True) == "2026-11-30 05:10:11"
    assert format_times(UTC_MOMENT) == ("2026-11-30 05:10", "۱۴۰۵/۰۹/۰۹ ۰۵:۱۰")


@pytest.mark.parametrize(
    "iso",
    ["2026-11-30T01:40:11+00:00", "2026-11-30T01:40:11.123456+00:00", "2026-11-30T01:40:11Z", "2026-11-30T05:10:11+03:30"],
)
def test_iso_text_from_the_exchange(iso):
    assert format_time(iso, "fa") == "۱۴۰۵/۰۹/۰۹ ۰۵:۱۰"
    assert format_time(iso, "en") == "2026-11-30 05:10"


def test_naive_times_are_iran_time_and_nothing_is_a_dash():
    assert format_time(dt.datetime(2026, 11, 30, 5, 10), "en") == "2026-11-30 05:10"
    assert format_time(None) == format_time("") == "—"
    assert format_time("not a time") == "not a time"


def test_around_midnight_the_day_is_tehrans():
    late = dt.datetime(2025, 3, 20, 21, 0, tzinfo=dt.UTC)  # 00:30 on 1 Farvardin 1404 in Tehran
    assert iran_time(late).tzinfo == IRAN_TZ
    assert format_time(late, "fa") == "۱۴۰۴/۰۱/۰۱ ۰۰:۳۰"
    assert jalali_date(late) == "۱۴۰۴/۰۱/۰۱"
    assert format_date(late, "en") == "2025-03-21"


def test_dates_and_the_paper_helpers_agree():
    from printing.jalali import jalali_datetime as paper_datetime

    assert format_date(dt.date(1991, 8, 3), "fa") == "۱۳۷۰/۰۵/۱۲"
    assert format_date(dt.date(1991, 8, 3), "en") == "1991-08-03"
    assert paper_datetime is jalali_datetime


def test_a_time_on_a_line_in_english_is_gregorian_tehran_time_only():
    from app.timefmt import format_time_for

    moment = dt.datetime(2026, 11, 30, 4, 41, 36, tzinfo=dt.UTC)  # 08:11:36 in Tehran
    assert format_time_for(moment, "en", seconds=True) == "2026-11-30 08:11:36"
    assert format_time_for(moment, "en") == "2026-11-30 08:11"
    assert format_time_for(moment, "fa", seconds=True) == "۱۴۰۵/۰۹/۰۹ ۰۸:۱۱:۳۶ (2026-11-30 08:11:36)"
    assert format_time_for(None, "en") == "—"
