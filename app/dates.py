"""Dates people type: Jalali by default, Gregorian when the year says so, in any digit script.

`parse_user_date("۱۳۷۰/۰۵/۱۲") == parse_user_date("1370-5-12") == parse_user_date("1991-08-03")
== date(1991, 8, 3)`. The year decides the calendar: years from 1900 on are Gregorian, earlier ones Jalali
(the Jalali year 1900 is the Gregorian 2521, and no living patient was born before Gregorian 1900). Days
that do not exist — month 13, 30 Esfand of a common year, 29 February of a common year — are refused with
the reason, never moved to the next valid day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import jdatetime

from app.errors import InvalidDate
from app.text import normalize_code, strip_format_chars, to_persian_digits
from app.timefmt import MONTHS_EN, MONTHS_FA

#: the first year read as Gregorian; earlier years are Jalali
FIRST_GREGORIAN_YEAR = 1900
_SHAPE = re.compile(r"([0-9]{4})\s*[-/.]\s*([0-9]{1,2})\s*[-/.]\s*([0-9]{1,2})", re.ASCII)
_GREGORIAN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_GREGORIAN_MONTHS_FA = (
    "ژانویه",
    "فوریه",
    "مارس",
    "آوریل",
    "مه",
    "ژوئن",
    "ژوئیه",
    "اوت",
    "سپتامبر",
    "اکتبر",
    "نوامبر",
    "دسامبر",
)


def _refuse(text: str, en: str, fa: str) -> InvalidDate:
    shown = strip_format_chars(text).strip()[:40]
    return InvalidDate(f"{shown!r} is not a date: {en}.", f"«{shown}» تاریخ درستی نیست: {fa}.", value=shown)


def _jalali_days(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


def _gregorian_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def parse_user_date(text: str, *, not_after: dt.date | None = None) -> dt.date:
    """The Gregorian `date` of a day typed as year/month/day, `/` or `-` between the parts (`.` too), in
    ASCII, Persian, Arabic-Indic or full-width digits, with or without leading zeros: Jalali when the year
    is before 1900 (`1370-05-12` → 1991-08-03), Gregorian from 1900 on. With `not_after`, a later day is
    refused too (a birth date in the future).

    Raises `InvalidDate` (a `NoskheError` with English and Persian text) for anything else: another
    order or shape, a month outside 1-12, a day its month does not have (30 Esfand 1404, 29 February 2023).
    """
    raw = "" if text is None else str(text)
    m = _SHAPE.fullmatch(normalize_code(raw).strip())
    if not m:
        raise _refuse(
            raw,
            "write it as year/month/day, e.g. 1370/05/12 (Jalali) or 1991-08-03 (Gregorian)",
            "آن را به شکل سال/ماه/روز بنویسید، مانند ۱۳۷۰/۰۵/۱۲",
        )
    year, month, day = (int(g) for g in m.groups())
    jalali = year < FIRST_GREGORIAN_YEAR
    if year < 1000:
        raise _refuse(raw, f"the year {year} is not a four-digit year", f"سال {to_persian_digits(year)} چهاررقمی نیست")
    if not 1 <= month <= 12:
        raise _refuse(raw, f"there is no month {month}", f"ماه {to_persian_digits(month)} وجود ندارد")
    days = _jalali_days(year, month) if jalali else _gregorian_days(year, month)
    if not 1 <= day <= days:
        name_en = MONTHS_EN[month - 1] if jalali else _GREGORIAN_MONTHS[month - 1]
        name_fa = MONTHS_FA[month - 1] if jalali else _GREGORIAN_MONTHS_FA[month - 1]
        raise _refuse(
            raw,
            f"{name_en} {year} has {days} days",
            f"{name_fa} {to_persian_digits(year)} {to_persian_digits(days)} روز دارد",
        )
    try:
        found = jdatetime.date(year, month, day).togregorian() if jalali else dt.date(year, month, day)
    except (ValueError, OverflowError):
        raise _refuse(raw, "it is outside the calendar", "بیرون از تقویم است") from None
    if not_after is not None and found > not_after:
        raise _refuse(raw, f"{found.isoformat()} is in the future", "در آینده است")
    return found
