"""Dates and times as Iranians read them on paper: the Jalali (Solar Hijri) calendar, Persian digits, Iran time.

The formatting lives in `app.timefmt` (one formatter for paper, receipts, messages and screens); these are
its names as the printing code has always used them. Every function takes an aware or naive
`datetime`/`date` (naive is taken as Iran time) and returns a string in Persian digits, e.g.
`jalali_datetime(...) == "۱۴۰۳/۰۲/۱۵ ۱۴:۳۰:۰۵"`.
"""

from __future__ import annotations

from app.timefmt import MONTHS_FA, jalali_date, jalali_datetime, jalali_long_date

__all__ = ["MONTHS_FA", "jalali_date", "jalali_datetime", "jalali_long_date"]
