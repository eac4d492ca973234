"""The window's texts for the reports screens: key → (Persian, English), merged into `ui.strings.STRINGS`."""

from __future__ import annotations

REPORTS: dict[str, tuple[str, str]] = {
    # pages and menu entries
    "tab_history": ("فهرست و سابقه", "Counter list & history"),
    "tab_statement": ("صورت‌حساب", "Statement"),
    "tab_dashboard": ("داشبورد", "Dashboard"),
    # filters
    "rep_from": ("از", "From"),
    "rep_to": ("تا", "To"),
    "rep_date_hint": ("۱۴۰۵/۰۹/۰۱", "1405/09/01 or 2026-11-22"),
    "rep_all_insurers": ("همهٔ بیمه‌ها", "All insurers"),
    "rep_uninsured": ("آزاد (بدون بیمه)", "Uninsured"),
    "rep_patient_hint": ("بیمار: کد ملی یا نام", "Patient: national code or name"),
    "rep_today": ("امروز", "Today"),
    "rep_this_month": ("این ماه", "This month"),
    "rep_show": ("نمایش", "Show"),
    # columns
    "rep_col_time": ("زمان", "Time"),
    "rep_col_patient": ("بیمار", "Patient"),
    "rep_col_insurer": ("بیمه", "Insurer"),
    "rep_col_state": ("وضعیت", "State"),
    "rep_col_reference": ("کد رهگیری / رسید", "Tracking code / receipt"),
    "rep_col_items": ("اقلام", "Items"),
    "rep_col_insurer_share": ("سهم بیمه (ریال)", "Insurer share (rials)"),
    "rep_col_patient_share": ("سهم بیمار (ریال)", "Patient share (rials)"),
    "rep_col_count": ("تعداد", "Count"),
    "rep_col_day": ("روز", "Day"),
    "rep_col_key_insurer": ("بیمه", "Insurer"),
    # dispensing states
    "disp_state_draft": ("پیش‌نویس", "draft"),
    "disp_state_signed": ("امضاشده", "signed"),
    "disp_state_queued": ("در صف ارسال", "queued"),
    "disp_state_registered": ("ثبت‌شده", "registered"),
    "disp_state_conflict": ("تعارض — در جمع نمی‌آید", "conflict — not counted"),
    "disp_state_rejected": ("ردشده — در جمع نمی‌آید", "refused — not counted"),
    # totals
    "rep_totals_count": ("{count} مورد", "{count} lines"),
    "rep_totals": (
        "{count} مورد — سهم بیمه {insurer} ریال — سهم بیمار {patient} ریال",
        "{count} lines — insurer {insurer} rials — patient {patient} rials",
    ),
    # the statement page
    "rep_statement_title_pharmacy": (
        "صورت‌حساب مالی داروخانه (گام ۹-۲-۹) از سامانهٔ ملی",
        "The pharmacy's financial statement (step 9-2-9) from the national exchange",
    ),
    "rep_statement_title_clinic": (
        "صورت‌حساب مالی خدمات (گام ۹-۱-۸) از سامانهٔ ملی",
        "The clinic's financial statement (step 9-1-8) from the national exchange",
    ),
    "rep_fetch": ("دریافت صورت‌حساب", "Get the statement"),
    "rep_fetching": ("دریافت صورت‌حساب از سامانه…", "Asking the exchange for the statement…"),
    "rep_per_insurer": ("جمع به تفکیک بیمه", "Totals per insurer"),
    "rep_per_day": ("جمع به تفکیک روز", "Totals per day"),
    "rep_lines": ("ردیف‌های صورت‌حساب", "Statement lines"),
    "rep_statement_total": (
        "صورت‌حساب از {start} تا {end} — {count} مورد — سهم بیمه {insurer} ریال — سهم بیمار {patient} ریال",
        "Statement from {start} to {end} — {count} lines — insurer {insurer} rials — patient {patient} rials",
    ),
    "rep_not_fetched": (
        "صورت‌حساب را سامانهٔ ملی می‌دهد: «دریافت صورت‌حساب» را بزنید (به اینترنت نیاز دارد).",
        "The statement is the exchange's: press “Get the statement” (needs the network).",
    ),
    "rep_claims": ("فهرست ماهانهٔ بیمه (اسناد)", "Insurer's monthly claim list"),
    "rep_month": ("ماه", "Month"),
    "rep_month_hint": ("۱۴۰۵-۰۹", "1405-09"),
    "rep_export_xlsx": ("خروجی اکسل", "Export XLSX"),
    "rep_export_csv": ("خروجی CSV", "Export CSV"),
    "rep_print": ("چاپ فهرست", "Print list"),
    "rep_save_claims": ("ذخیرهٔ فهرست بیمه", "Save the claim list"),
    "rep_claims_saved": (
        "فهرست {insurer} ({month}) با {count} مورد در {path} ذخیره شد.",
        "{insurer}'s list ({month}), {count} lines, saved to {path}.",
    ),
    "rep_claims_working": ("آماده‌سازی فهرست بیمه…", "Preparing the claim list…"),
    "rep_pick_insurer": ("یک بیمه را انتخاب کنید.", "Choose an insurer."),
    "rep_unknown_insurer": ("نامعلوم (نسخه اینجا نیست)", "unknown (prescription not held here)"),
    # the dashboard
    "rep_dash_days": ("بازه", "Period"),
    "rep_dash_days_n": ("{n} روز گذشته", "last {n} days"),
    "rep_dash_per_day": ("نسخه‌ها و نسخه‌پیچی‌ها در روز", "Prescriptions and dispensings per day"),
    "rep_dash_prescriptions": ("نسخه‌ها", "Prescriptions"),
    "rep_dash_dispensings": ("نسخه‌پیچی‌ها", "Dispensings"),
    "rep_dash_insurers": (
        "سهم بیمه و بیمار به تفکیک بیمه (هزار ریال)",
        "Insurer and patient shares per insurer (thousand rials)",
    ),
    "rep_dash_insurer_share": ("سهم بیمه", "Insurer share"),
    "rep_dash_patient_share": ("سهم بیمار", "Patient share"),
    "rep_dash_backlog": ("صف ارسال به سامانه در طول زمان", "Sync backlog over time"),
    "rep_dash_queued": ("در صف", "Queued"),
    "rep_dash_summary": (
        "{days}: {rx} نسخه، {disp} نسخه‌پیچی — سهم بیمه {insurer} ریال، سهم بیماران {patient} ریال — در صف اکنون {queued}",
        "{days}: {rx} prescriptions, {disp} dispensings — insurers {insurer} rials, patients {patient} rials — queued now {queued}",
    ),
    "rep_dash_updated": ("به‌روز شده {at}", "Updated {at}"),
}
