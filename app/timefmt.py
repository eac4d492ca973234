"""Times as people read them: one formatter for every message, paper, receipt and screen.

In Persian a time is Iran time (Tehran, +03:30 all year since 2022) with a Jalali date and Persian digits:
`format_time(t, "fa") == "۱۴۰۵/۰۹/۰۹ ۰۵:۱۰"`. In English it is the same local time with a Gregorian date:
`format_time(t, "en") == "2026-11-30 05:10"`. Machine outputs (`--json`, the wire, the store) keep
ISO 8601 and never pass through here.

Every function takes an aware or naive `datetime` (naive is taken as Iran time) — `format_time` also takes
the ISO text the exchange sends — and returns a string.
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
MONTHS_EN = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)


def iran_time(moment: dt.datetime) -> dt.datetime:
    """`moment` on Iran's clock (a naive `moment` is taken as Iran time already)."""
    return moment.replace(tzinfo=IRAN_TZ) if moment.tzinfo is None else moment.astimezone(IRAN_TZ)


def _day(day: dt.date | dt.datetime) -> dt.date:
    return iran_time(day).date() if isinstance(day, dt.datetime) else day


def jalali_date(day: dt.date | dt.datetime) -> str:
    """۱۴۰۳/۰۲/۱۵"""
    j = jdatetime.date.fromgregorian(date=_day(day))
    return to_persian_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")


def jalali_long_date(day: dt.date | dt.datetime) -> str:
    """۱۵ اردیبهشت ۱۴۰۳"""
    j = jdatetime.date.fromgregorian(date=_day(day))
    return to_persian_digits(f"{j.day} {MONTHS_FA[j.month - 1]} {j.year}")


def jalali_datetime(moment: dt.datetime, *, seconds: bool = True) -> str:
    """۱۴۰۳/۰۲/۱۵ ۱۴:۳۰:۰۵ (Iran time; without seconds when `seconds` is False)."""
    local = iran_time(moment)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{jalali_date(local)} {to_persian_digits(clock)}"


def format_date(day: dt.date | dt.datetime, lang: str = "fa") -> str:
    """A day as people read it: `۱۳۷۰/۰۵/۱۲` in Persian (Jalali), `1991-08-03` in English."""
    return jalali_date(day) if lang == "fa" else _day(day).isoformat()


def _moment(value: dt.datetime | str) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


def format_time(value: dt.datetime | str | None, lang: str = "fa", *, seconds: bool = False) -> str:
    """A moment as people read it, on Iran's clock: `۱۴۰۵/۰۹/۰۹ ۰۵:۱۰` (Jalali, Persian digits) in
    Persian, `2026-11-30 05:10` (Gregorian, the same local time) in English. `value` may be a datetime or ISO 8601 text (as the
    exchange sends it); None is "—", and text that is not a time is returned as it is."""
    if value is None or value == "":
        return "—"
    moment = _moment(value)
    if moment is None:
        return str(value)
    if lang == "fa":
        return jalali_datetime(moment, seconds=seconds)
    local = iran_time(moment)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_time_for(value: dt.datetime | str | None, lang: str = "fa", *, seconds: bool = False) -> str:
    """A moment on a line shown in `lang`: in English the Gregorian Iran time only (`2026-11-30 05:10`);
    in Persian the Jalali time with the Gregorian one after it for a reader of either calendar
    (`۱۴۰۵/۰۹/۰۹ ۰۵:۱۰ (2026-11-30 05:10)`). None is "—"."""
    if value is None or value == "":
        return "—"
    en = format_time(value, "en", seconds=seconds)
    return en if lang != "fa" else f"{format_time(value, 'fa', seconds=seconds)} ({en})"


def format_times(value: dt.datetime | str | None, *, seconds: bool = False) -> tuple[str, str]:
    """(English, Persian) of `format_time`, for the two halves of a message."""
    return format_time(value, "en", seconds=seconds), format_time(value, "fa", seconds=seconds)


def format_age(age: dt.timedelta, lang: str = "fa") -> str:
    """How old something is, in the largest two units people say: `3 h 5 min`, `2 days 4 h`, `40 s` in
    English; `۳ ساعت و ۵ دقیقه` in Persian (Persian digits). Negative ages count as zero."""
    seconds = max(0, int(age.total_seconds()))
    units = (
        (86400, "day", "days", "روز"),
        (3600, "h", "h", "ساعت"),
        (60, "min", "min", "دقیقه"),
        (1, "s", "s", "ثانیه"),
    )
    parts: list[tuple[int, str, str, str]] = []
    for size, one, many, fa in units:
        if seconds >= size or (size == 1 and not parts):
            n, seconds = divmod(seconds, size)
            parts.append((n, one, many, fa))
        if len(parts) == 2:
            break
    if lang == "fa":
        return " و ".join(to_persian_digits(f"{n} {fa}") for n, _, _, fa in parts)
    return " ".join(f"{n} {one if n == 1 else many}" for n, one, many, _ in parts)
