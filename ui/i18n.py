"""The UI's words in Persian (first) and English, and how numbers and dates are shown."""

from __future__ import annotations

import datetime as dt

import jdatetime

from app.text import to_persian_digits

_STRINGS = {
    "app_title": ("نسخه — نسخه‌نویسی و نسخه‌پیچی الکترونیک", "Noskhe — e-prescribing and dispensing"),
    "unlock_title": ("باز کردن پایگاه داده", "Unlock the workstation"),
    "unlock_prompt": ("گذرواژهٔ مرکز را وارد کنید:", "Enter the facility passphrase:"),
    "unlock": ("باز کن", "Unlock"),
    "cancel": ("انصراف", "Cancel"),
    "tab_prescriptions": ("نسخه‌ها", "Prescriptions"),
    "tab_catalog": ("فهرست داروها", "Drug catalog"),
    "search_hint": ("نام فارسی یا انگلیسی دارو یا کد آن…", "Persian or English drug name, or its code…"),
    "refresh": ("تازه‌سازی", "Refresh"),
    "col_code": ("کد", "Code"),
    "col_generic_fa": ("نام ژنریک", "Generic (fa)"),
    "col_generic_en": ("نام لاتین", "Generic (en)"),
    "col_form": ("شکل", "Form"),
    "col_strength": ("قدرت", "Strength"),
    "col_atc": ("ATC", "ATC"),
    "col_id": ("شناسه", "Id"),
    "col_patient": ("بیمار", "Patient"),
    "col_state": ("وضعیت", "State"),
    "col_time": ("زمان تجویز", "Prescribed at"),
    "col_tracking": ("کد رهگیری", "Tracking code"),
    "col_items": ("اقلام", "Items"),
    "no_results": ("دارویی یافت نشد.", "No drug found."),
    "facility": ("مرکز", "Facility"),
    "results": ("{n} نتیجه", "{n} results"),
}


class Words:
    def __init__(self, lang: str = "fa") -> None:
        self.lang = lang

    def __call__(self, key: str, **kw: object) -> str:
        fa, en = _STRINGS[key]
        text = (fa if self.lang == "fa" else en).format(**kw)
        return self.number(text) if self.lang == "fa" else text

    def number(self, value: object) -> str:
        return to_persian_digits(str(value)) if self.lang == "fa" else str(value)

    def datetime(self, when: dt.datetime) -> str:
        if self.lang != "fa":
            return when.strftime("%Y-%m-%d %H:%M:%S")
        return to_persian_digits(jdatetime.datetime.fromgregorian(datetime=when).strftime("%Y/%m/%d %H:%M:%S"))
