"""The window's texts for the users screens: key → (Persian, English), merged into `ui.strings.STRINGS`."""

from __future__ import annotations

USERS: dict[str, tuple[str, str]] = {
    # the menu and the tabs
    "users_page": ("کاربران و نوبت‌های کاری", "Users and shifts"),
    "audit_page": ("گزارش ممیزی", "Audit log"),
    # the users page
    "users_no_list": (
        "هنوز فهرست کاربران نیست: هر کس وارد شود همه کار می‌تواند بکند. نخستین کاربری که بیفزایید، شما را مدیر مرکز می‌کند.",
        "No users list yet: whoever logs in may do everything. The first user you add makes you the facility's manager.",
    ),
    "users_list_note": (
        "فقط مدیر مرکز می‌تواند کاربران را بیفزاید یا نقششان را تغییر دهد.",
        "Only the facility's manager may add users or change their roles.",
    ),
    "users_col_code": ("کد ملی", "National code"),
    "users_col_name": ("نام", "Name"),
    "users_col_role": ("نقش", "Role"),
    "users_col_licence": ("شماره نظام یا پروانه", "Council / licence no."),
    "users_col_state": ("وضعیت", "State"),
    "users_active": ("فعال", "active"),
    "users_inactive": ("غیرفعال", "deactivated"),
    "users_code_hint": ("کد ملی ۱۰ رقمی", "10-digit national code"),
    "users_name_hint": ("نام و نام خانوادگی", "Full name"),
    "users_licence_hint": ("شماره نظام پزشکی یا پروانه (اختیاری)", "Council or licence number (optional)"),
    "users_add": ("افزودن کاربر", "Add user"),
    "users_set_role": ("تغییر نقش کاربر انتخاب‌شده", "Change the selected user's role"),
    "users_deactivate": ("غیرفعال کردن", "Deactivate"),
    "users_activate": ("فعال کردن", "Activate"),
    "users_added": ("{name} با نقش {role} افزوده شد.", "{name} added as {role}."),
    "users_changed": ("{name}: {role}، {state}.", "{name}: {role}, {state}."),
    "users_pick_one": ("نخست یک کاربر را در فهرست انتخاب کنید.", "Pick a user in the list first."),
    "users_shifts": ("نوبت‌های کاری", "Shifts"),
    "shift_col_person": ("کاربر", "Person"),
    "shift_col_start": ("ورود", "Logged in"),
    "shift_col_end": ("خروج", "Logged out"),
    "shift_col_how": ("پایان با", "Ended by"),
    "shift_col_workstation": ("رایانه", "Workstation"),
    "shift_open": ("باز", "open"),
    "shift_end_manual": ("قفل دستی", "lock"),
    "shift_end_idle": ("قفل بی‌کاری", "idle lock"),
    "shift_end_removed": ("برداشتن توکن", "token removed"),
    "shift_end_quit": ("بستن برنامه", "quit"),
    "shift_end_logout": ("خروج", "log out"),
    "shift_end_?": ("نامعلوم", "unknown"),
    # logging in and out
    "users_login_own_token": (
        "توکن خود را وصل کنید و رمز (PIN) آن را وارد کنید:",
        "Insert your own token and enter its PIN:",
    ),
    "users_log_out": ("خروج (پایان نوبت کاری)", "Log out (end of shift)"),
    "users_switch_person": ("ورود کاربر دیگر", "Another person"),
    "users_switch_has_work": (
        "کار امضانشده‌ای باز است: {name} باید پنجره را باز کند و آن را امضا کند یا ببندد.",
        "Unsigned work is open: {name} must unlock the window and sign or close it first.",
    ),
    "users_log_out_has_work": (
        "نخست کارهای امضانشده را امضا کنید یا ببندید.",
        "Sign or close the unsigned work first.",
    ),
    # the audit view
    "audit_col_time": ("زمان", "Time"),
    "audit_col_person": ("کاربر", "Person"),
    "audit_col_licence": ("شماره نظام یا پروانه", "Council / licence no."),
    "audit_col_workstation": ("رایانه", "Workstation"),
    "audit_col_action": ("کار", "Action"),
    "audit_col_patient": ("بیمار", "Patient"),
    "audit_col_object": ("موضوع", "Object"),
    "audit_col_outcome": ("نتیجه", "Outcome"),
    "audit_no_person": ("کسی وارد نشده", "no person logged in"),
    "audit_before_users": ("(پیش از ثبت کاربران) {user}", "(before users were kept) {user}"),
    "audit_person_hint": ("فقط کارهای این کد ملی", "Only this national code"),
    "audit_refresh": ("تازه‌سازی", "Refresh"),
    "audit_verify": ("بررسی زنجیرهٔ گزارش", "Check the log's chain"),
    "audit_intact": ("گزارش ممیزی سالم است: {n} ردیف.", "The audit log is intact: {n} rows."),
    "audit_rows": ("{n} ردیف", "{n} rows"),
}
