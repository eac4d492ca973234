"""Dates and times as Iranians read them on paper: the Jalali (Solar Hijri) calendar, Persian digits, Iran time.

Callers rely on: every function takes an aware or naive `datetime`/`date` (naive is taken as Iran time)
and returns a string in Persian digits, e.g. `jalali_datetime(...) == "۱۴۰۳/۰۲/۱۵ ۱۴:۳۰:۰۵"`.
"""

from __future__ import annotations

import datetime as dt

import jdatetime

from app.domain import IRAN_TZ
from app.text import to_persian_digits

MONTHS_FA = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=IRAN_TZ) if moment.tzinfo is None else moment.astimezone(IRAN_TZ)


def jalali_date(day: dt.date | dt.datetime) -> str:
    """۱۴۰۳/۰۲/۱۵"""
    if isinstance(day, dt.datetime):
        day = _local(day).date()
    j = jdatetime.date.fromgregorian(date=day)
    return to_persian_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")


def jalali_long_date(day: dt.date | dt.datetime) -> str:
    """۱۵ اردیبهشت ۱۴۰۳"""
    if isinstance(day, dt.datetime):
        day = _local(day).date()
    j = jdatetime.date.fromgregorian(date=day)
    return to_persian_digits(f"{j.day} {MONTHS_FA[j.month - 1]} {j.year}")


def jalali_datetime(moment: dt.datetime, *, seconds: bool = True) -> str:
    """۱۴۰۳/۰۲/۱۵ ۱۴:۳۰:۰۵ (Iran time; without seconds when `seconds` is False)."""
    local = _local(moment)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{jalali_date(local)} {to_persian_digits(clock)}"
