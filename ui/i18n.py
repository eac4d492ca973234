"""The UI's words in Persian (first) and English, and how numbers and dates are shown."""

from __future__ import annotations

import datetime as dt

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
    "new_rx": ("نسخهٔ جدید", "New prescription"),
    "patient_id": ("شناسهٔ بیمار", "Patient id"),
    "patient_id_hint": ("کد ملی، فیدا یا شناسهٔ یکتا…", "National code, FIDA or unique id…"),
    "id_national-code": ("کد ملی", "National code"),
    "id_fida": ("فیدا (اتباع)", "FIDA (foreign nationals)"),
    "id_unique-id": ("شناسهٔ یکتا", "Unique id"),
    "id_newborn": ("نوزاد (کد ملی مادر)", "Newborn (mother's code)"),
    "first_name": ("نام", "First name"),
    "last_name": ("نام خانوادگی", "Last name"),
    "sex": ("جنس", "Sex"),
    "sex_female": ("زن", "Female"),
    "sex_male": ("مرد", "Male"),
    "sex_other": ("دیگر", "Other"),
    "insurer": ("بیمه", "Insurer"),
    "no_insurer": ("بدون بیمه", "No insurance"),
    "add_item": ("افزودن", "Add"),
    "remove": ("حذف", "Remove"),
    "col_drug": ("دارو", "Drug"),
    "col_quantity": ("تعداد", "Quantity"),
    "col_instructions": ("دستور مصرف", "Instructions"),
    "col_insurer_share": ("سهم بیمه (ریال)", "Insurer (rials)"),
    "col_patient_share": ("سهم بیمار (ریال)", "Patient (rials)"),
    "rx_total": (
        "جمع — سهم بیمه: {insurer} ریال، سهم بیمار: {patient} ریال",
        "Total — insurer: {insurer} rials, patient: {patient} rials",
    ),
    "sign_and_queue": ("امضا و ثبت در صف ارسال", "Sign and queue"),
    "draft_kept": ("پیش‌نویس نسخه نگه داشته شد:", "The draft was kept:"),
    "sign_failed": ("امضا انجام نشد: {reason}", "Signing failed: {reason}"),
    "pin_title": ("رمز توکن", "Token PIN"),
    "pin_prompt": ("رمز (PIN) توکن «{label}» را وارد کنید:", "Enter the PIN of token “{label}”:"),
    "seal_title": ("مهر سازمانی", "Facility seal"),
    "seal_prompt": ("گذرواژهٔ مهر سازمانی مرکز را وارد کنید:", "Enter the facility seal's passphrase:"),
    "key_title": ("کلید امضا", "Signing key"),
    "key_prompt": ("گذرواژهٔ پروندهٔ کلید امضای خود را وارد کنید:", "Enter the passphrase of your signing key file:"),
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
        """Iran time: Jalali with Persian digits in Persian, Gregorian in English (`app.timefmt`)."""
        from app.timefmt import format_time

        return format_time(when, self.lang, seconds=True)
