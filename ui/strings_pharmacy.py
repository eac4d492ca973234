"""The window's texts for the pharmacy screens: key → (Persian, English), merged into `ui.strings.STRINGS`.
Every key here starts with `ph_`, so the other screens' tables never collide with it."""

from __future__ import annotations

PHARMACY: dict[str, tuple[str, str]] = {
    # ---- retrieving ----
    "ph_tab_retrieve": ("دریافت نسخه", "Retrieve"),
    "ph_retrieve_by_national-code": ("کد ملی بیمار", "Patient's national code"),
    "ph_retrieve_by_fida": ("فیدا (اتباع)", "FIDA (foreign nationals)"),
    "ph_retrieve_by_unique-id": ("شناسهٔ یکتا", "Unique id"),
    "ph_retrieve_by_newborn": ("نوزاد (کد ملی مادر)", "Newborn (mother's code)"),
    "ph_retrieve_by_hid": ("شناسهٔ شباد (HID)", "HID"),
    "ph_retrieve_by_tracking": ("کد رهگیری نسخه", "Tracking code"),
    "ph_retrieve_placeholder": ("کد را بنویسید یا کارت را اسکن کنید", "Type the code or scan the card"),
    "ph_retrieve": ("دریافت از سامانه", "Retrieve"),
    "ph_retrieve_hint": (
        "یا کد QR نسخهٔ کاغذی را اسکن کنید: بدون اینترنت، با امضای پزشک سنجیده می‌شود.",
        "Or scan the paper prescription's QR code: it is verified offline, by the prescriber's signature.",
    ),
    "ph_retrieving": ("در حال دریافت نسخه از سامانه…", "Retrieving from the exchange…"),
    "ph_retrieved_n": (
        "{n} نسخهٔ باز یافت شد و امضای آن سنجیده شد.",
        "{n} open prescription(s) found and verified.",
    ),
    "ph_retrieved_none": ("نسخهٔ بازی برای این کد نیست.", "No open prescription for this code."),
    "ph_retrieve_refused": ("پذیرفته نشد: {why}", "Refused: {why}"),
    "ph_retrieve_offline": (
        "آفلاین: دریافت نسخه به سامانهٔ تبادل نیاز دارد؛ به جای آن کد QR نسخهٔ کاغذی را اسکن کنید.",
        "Offline: retrieval needs the exchange; scan the paper instead.",
    ),
    # 9-2 step 4: by tracking code or HID the patient's own code is asked before the prescription opens
    "ph_patient_check_ask": (
        "کد رهگیری و HID نام بیمار را ندارند: کد ملی بیمار را بنویسید یا کارت ملی او را اسکن کنید.",
        "A tracking code or HID does not name the patient: type the patient's national code or scan the card.",
    ),
    "ph_patient_code": ("کد ملی بیمار", "Patient's national code"),
    "ph_patient_code_hint": ("کد ملی را بنویسید یا کارت را اسکن کنید", "Type the code or scan the card"),
    "ph_patient_check": ("بررسی و دریافت", "Check and retrieve"),
    "ph_patient_skip_reason": ("دلیل نپرسیدن کد بیمار", "Reason for not asking the code"),
    "ph_patient_skip_hint": (
        "مثلاً: بیمار حاضر نیست، همراه بیمار آمده است (ثبت می‌شود)",
        "e.g. the patient is not here, a relative came (recorded)",
    ),
    "ph_patient_skip": ("دریافت بدون بررسی کد", "Retrieve without the code"),
    "ph_patient_skip_reason_needed": (
        "برای دریافت بدون کد بیمار، دلیل آن را بنویسید.",
        "To retrieve without the patient's code, write why it cannot be asked.",
    ),
    "ph_patient_mismatch": (
        "این نسخه برای بیماری با این کد نیست؛ باز نشد.",
        "This prescription is not for the patient with this code; it was not opened.",
    ),
    "ph_open_counter": ("باز کردن در پیشخوان", "Open at the counter"),
    "ph_col_prescriber": ("پزشک", "Prescriber"),
    "ph_col_council": ("شمارهٔ نظام", "Council no."),
    "ph_col_specialty": ("تخصص", "Specialty"),
    "ph_col_prescribed": ("تاریخ تجویز", "Prescribed"),
    "ph_col_dispensed": ("پیچیده‌شده", "Dispensed"),
    "ph_prescriber_line": (
        "پزشک: {name} — شمارهٔ نظام {council} — {specialty}",
        "Prescriber: {name} — council no. {council} — {specialty}",
    ),
    "ph_paper_verifying": ("در حال سنجش نسخهٔ کاغذی…", "Verifying the paper prescription…"),
    "ph_paper_verdict_valid": (
        "نسخهٔ کاغذی معتبر است: امضای پزشک درست است و نسخه نگه داشته شد.",
        "Paper prescription valid: the prescriber's signature verifies; it is kept for dispensing.",
    ),
    "ph_paper_verdict_tampered": (
        "نسخهٔ کاغذی دست‌کاری شده یا آسیب دیده است؛ نپیچید.",
        "The paper prescription was tampered with or is damaged; do not dispense it.",
    ),
    "ph_paper_verdict_unreadable": (
        "اسکن ناقص بود یا خوانده نشد؛ دوباره اسکن کنید.",
        "The scan was incomplete or unreadable; scan again.",
    ),
    "ph_paper_verdict_unknown_signer": (
        "امضاکنندهٔ این نسخه شناخته نیست؛ نپیچید.",
        "Unknown signer: this workstation's trust list does not know it; do not dispense it.",
    ),
    "ph_paper_verdict_prescriber_suspended": (
        "پروانهٔ پزشک این نسخه تعلیق شده است؛ نپیچید.",
        "The prescriber is suspended by the medical council; do not dispense it.",
    ),
    "ph_paper_verdict_already_dispensed": (
        "این نسخه پیش‌تر در همین داروخانه به‌طور کامل پیچیده شده است.",
        "Already dispensed here, in full.",
    ),
    "ph_paper_verdict_refused": ("نسخهٔ کاغذی پذیرفته نیست.", "The paper prescription is not accepted."),
    # ---- the counter ----
    "ph_counter_dispensed_in_full": (
        "این نسخه به‌طور کامل پیچیده شده است؛ چیزی برای تحویل نمانده است.",
        "This prescription is dispensed in full; nothing is left to hand over.",
    ),
    "ph_counter": ("پیشخوان", "Counter"),
    "ph_source_exchange": ("دریافت‌شده از سامانه", "Retrieved from the exchange"),
    "ph_source_paper": ("از نسخهٔ کاغذی، سنجیده بدون اینترنت", "From paper, verified offline"),
    "ph_col_line": ("ردیف", "Line"),
    "ph_col_prescribed_qty": ("تجویز", "Prescribed"),
    "ph_col_remaining": ("مانده", "Remaining"),
    "ph_col_now": ("تحویل اکنون", "Now"),
    "ph_col_packs": ("بسته‌ها", "Packs"),
    "ph_col_product": ("فرآوردهٔ تحویلی", "Product handed over"),
    "ph_product_choice": ("{name} — {price}", "{name} — {price}"),
    "ph_product_prescribed": ("{name} (تجویزشده)", "{name} (prescribed)"),
    "ph_no_substitution": (
        "پزشک جایگزینی را مجاز ندانسته است: همان داروی تجویزشده تحویل شود.",
        "The prescriber allows no substitution: hand over the prescribed drug.",
    ),
    "ph_no_alternative": (
        "فرآوردهٔ جایگزینی برای این دارو نیست.",
        "No interchangeable product for this drug.",
    ),
    "ph_substitute_hint": (
        "فرآورده‌های هم‌گروه (برند یا سازندهٔ دیگر، همان دارو و قدرت)؛ به قیمت خودشان.",
        "Interchangeable products (another brand or maker, same drug and strength), at their own price.",
    ),
    "ph_substituted": (
        "ردیف {line}: {product} به جای داروی تجویزشده تحویل می‌شود.",
        "Line {line}: {product} is handed over in place of the prescribed drug.",
    ),
    "ph_pack_scan": ("کد اصالت بسته:", "Pack code:"),
    "ph_pack_scan_hint": (
        "کد ۱۶ رقمی یا بارکد GS1 بسته را اسکن کنید (برای ردیف انتخاب‌شده)",
        "Scan the 16-digit code or the pack's GS1 barcode (for the selected line)",
    ),
    "ph_pack_remove": ("حذف بسته", "Remove pack"),
    "ph_pack_twice": ("بستهٔ {code} پیش‌تر اسکن شده است.", "Pack {code} is already scanned."),
    "ph_pack_no_line": ("ردیفی برای این بسته نمانده است.", "No line left for this pack."),
    "ph_pack_gs1": (
        "GTIN {gtin}، سری {batch}، انقضا {expiry}",
        "GTIN {gtin}, batch {batch}, expires {expiry}",
    ),
    "ph_pack_checking": ("در حال استعلام…", "checking…"),
    "ph_pack_genuine": ("اصالت تأیید شد (تیتک)", "genuine (TTAC)"),
    "ph_pack_queued": ("استعلام در صف (بدون اینترنت)", "check queued (offline)"),
    "ph_pack_refused": ("رد شد: {why}", "refused: {why}"),
    "ph_ttac_reason": ("دلیل نبود کد اصالت", "Reason, no pack code"),
    "ph_ttac_reason_hint": (
        "فقط برای ردیف بدون کد اصالت؛ با نسخه‌پیچی امضا می‌شود",
        "Only for a line without pack codes; signed with the dispensing",
    ),
    "ph_payment_id": ("شناسهٔ پرداخت", "Payment id"),
    "ph_pos_terminal": ("پایانهٔ کارت‌خوان", "POS terminal"),
    "ph_cost_split": ("سهم‌ها", "Cost split"),
    "ph_cost_estimate": ("برآورد", "estimate"),
    "ph_cost_exchange": ("به حساب سامانه", "the exchange's"),
    "ph_counter_rules_local": ("قواعد محلی (برآورد): {reason}", "Local rules (an estimate): {reason}"),
    "ph_counter_rules_block": (
        "با این رد، نسخه‌پیچی امضا نمی‌شود.",
        "This rejection stops the dispensing from being signed.",
    ),
    "ph_sign_dispense": ("امضا و نسخه‌پیچی", "Sign and dispense"),
    "ph_nothing_to_dispense": ("تعداد تحویل همهٔ ردیف‌ها صفر است.", "Every line's quantity is zero."),
    "ph_packs_still_checking": ("استعلام بسته‌ها هنوز تمام نشده است.", "The packs are still being checked."),
    "ph_packs_without_units": (
        "برای ردیف {lines} بسته اسکن شده ولی تعداد تحویل آن صفر است؛ تعداد را بنویسید یا بسته را حذف کنید.",
        "Packs are scanned for line {lines} but its quantity is 0: set the quantity or remove the packs.",
    ),
    "ph_ttac_reason_needed": (
        "ردیف {lines} بستهٔ اسکن‌شده ندارد: کد اصالت هر بسته را اسکن کنید یا دلیل نبود آن را بنویسید.",
        "Line {lines} has no pack scanned: scan each pack's code, or write why it cannot be done.",
    ),
    "ph_dispensing": ("در حال امضا و ثبت نسخه‌پیچی…", "Signing and recording the dispensing…"),
    "ph_dispensed_result": (
        "ردیف‌های {lines} پیچیده شد ({state}) — سهم بیمه {insurer} و سهم بیمار {patient} ریال ({basis})",
        "Lines {lines} dispensed ({state}) — insurer {insurer}, patient {patient} rials ({basis})",
    ),
    "ph_disp_queued": ("در صف ارسال", "queued"),
    "ph_disp_registered": ("ثبت‌شده در سامانه", "registered"),
    "ph_disp_conflict": ("تعارض", "conflict"),
    "ph_disp_rejected": ("ردشده", "rejected"),
    "ph_ttac_checked": ("کد اصالت بسته‌ها استعلام شد.", "The packs were checked with TTAC."),
    "ph_ttac_queued": (
        "استعلام کد اصالت در صف است: سامانه هنگام دریافت بررسی می‌کند.",
        "TTAC check queued: the exchange checks the packs when it receives the dispensing.",
    ),
    "ph_ttac_skipped": ("بدون استعلام کد اصالت (با دلیل امضاشده).", "No TTAC check (for the reason signed)."),
    "ph_dispensed_offline": ("بدون اتصال ادامه یافت: {reason}", "Dispensed offline: {reason}"),
    "ph_dispense_needs_attention": (
        "سامانه این نسخه‌پیچی را نپذیرفت؛ «نیازمند رسیدگی» را ببینید.",
        'The exchange refused this dispensing; see "needs attention".',
    ),
    "ph_claim_refused": (
        "این نسخه در دست «{pharmacy}» است یا آنجا پیچیده شده است (از {when}).",
        "Held or dispensed by {pharmacy} (since {when}).",
    ),
    "ph_release_claim": ("رها کردن نسخه", "Release the claim"),
    "ph_release_claim_hint": (
        "بیمار دارو را نبرد: نسخه برای داروخانهٔ دیگری آزاد شود",
        "The patient left without the drugs: let another pharmacy dispense it",
    ),
    "ph_claim_released": (
        "نسخه رها شد؛ داروخانهٔ دیگری می‌تواند آن را بپیچد.",
        "Claim released; another pharmacy may dispense it.",
    ),
    "ph_no_claim": ("این داروخانه این نسخه را در دست نداشت.", "This pharmacy held no claim on it."),
    "ph_receipt_roll": ("رول ۸۰ میلی‌متری", "80 mm roll"),
    "ph_receipt_a5": ("کاغذ A5", "A5"),
    "ph_print_receipt": ("چاپ رسید", "Print receipt"),
    "ph_save_receipt": ("ذخیرهٔ رسید (PDF)", "Save receipt (PDF)"),
    # ---- needs attention ----
    "ph_attention_panel": ("نیازمند رسیدگی", "Needs attention"),
    "ph_col_what": ("چه شد", "What happened"),
    "ph_col_first_pharmacy": ("داروخانهٔ نخست", "Dispensed first by"),
    "ph_col_when": ("کی", "When"),
    "ph_col_lines": ("ردیف‌ها", "Lines"),
    "ph_conflict_already_dispensed": ("پیش‌تر جای دیگر پیچیده شده", "dispensed elsewhere first"),
    "ph_conflict_who": (
        "این نسخه را پیش‌تر «{pharmacy}» (سیام {siam}) در {when} پیچیده است؛ ردیف‌ها: {lines}.",
        "Dispensed first by {pharmacy} (SIAM {siam}), at {when}; lines: {lines}.",
    ),
    "ph_what_to_do": ("چه باید کرد", "What to do"),
    "ph_conflict_default_action": (
        "داروها را از بیمار پس بگیرید یا با داروخانهٔ نخست هماهنگ کنید، سپس «دیدم» را بزنید.",
        "Take the drugs back from the patient or settle it with the first pharmacy, then acknowledge.",
    ),
    # ---- the desk ----
    "ph_scan_pack_no_counter": (
        "کد بسته خوانده شد؛ نخست نسخه را در پیشخوان باز کنید.",
        "A pack was scanned; open a prescription at the counter first.",
    ),
    # ---- service lines and the prescriber's override at the counter ----
    "ph_service_for_lab": (
        "برای آزمایشگاه (در داروخانه تحویل نمی‌شود)",
        "For a laboratory (not dispensed here)",
    ),
    "ph_service_for_imaging": (
        "برای مرکز تصویربرداری (در داروخانه تحویل نمی‌شود)",
        "For an imaging centre (not dispensed here)",
    ),
    "ph_service_for_physio": (
        "برای مرکز فیزیوتراپی (در داروخانه تحویل نمی‌شود)",
        "For a physiotherapy centre (not dispensed here)",
    ),
    "ph_service_hint": (
        "خدمت است، نه دارو: نه بسته می‌خواهد نه دلیل، و در نسخه‌پیچی و مبلغ آن نمی‌آید.",
        "A service, not a drug: no packs or reason, and not part of the dispensing or its money.",
    ),
    "ph_overridden_by_prescriber": ("پزشک با ذکر دلیل تأیید کرده است", "overridden by the prescriber"),
    "ph_override_reason": ("دلیل پزشک: {reason}", "The prescriber's reason: {reason}"),
    # ---- the sync panel's subjects, and a refused dispensing at the counter ----
    "ph_sync_subject_dispensing": ("نسخه‌پیچی نسخهٔ", "Dispensing of"),
    "ph_sync_subject_prescription": ("نسخهٔ", "Prescription"),
    "ph_counter_conflict": (
        "سامانهٔ تبادل نسخه‌پیچی این نسخه را نپذیرفت: {why}",
        "The exchange refused this prescription's dispensing: {why}",
    ),
    "ph_counter_conflict_open": ("باز کردن پنل تعارض‌ها", "Open the conflicts panel"),
    "ph_counter_conflict_result": (
        "این نسخه‌پیچی پذیرفته نشد (تعارض) و در جمع‌ها نمی‌آید؛ پنل تعارض‌ها را ببینید.",
        "This dispensing was refused (conflict) and is not counted; see the conflicts panel.",
    ),
}
