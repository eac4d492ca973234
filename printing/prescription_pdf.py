"""The paper prescription: one A5 page (more only for long prescriptions), print-ready, right to left.

Top: facility (SIAM id, national id), title, prescribing time and the start and end of the service (Jalali,
Persian digits); until the exchange registered the prescription the paper is the emergency copy of section
12 and carries the outage notice, once registered (tracking code known) it is an ordinary paper copy of the
e-prescription. Then patient (id — a newborn as the mother's code and the birth order —, birth date, age,
sex, phone, insurance or «insurance pending») and prescriber (council number, specialty, provider user id),
items with instructions, days, quantities and cost split, totals (an estimate while offline), the
prescriber's override reason, signer and signing time. Every line stays inside its column and the page
(`Cursor` wraps). Bottom of page 1: the signed QR (left), the HID as a Code 128 barcode with its digits (or
«HID pending» and the patient's id as the barcode), and the prescription's own id — the tracking code once
registered — as a full-width barcode with its digits.

Callers rely on: `render_prescription(...)` writes a PDF to a path or binary file and returns what it
put in the barcodes and the QR, so tests and the bench can check them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.domain import Facility, Prescription, now
from app.signing import Signature
from printing.barcodes import QUIET_MODULES, QrInfo, code128_modules, draw_code128, draw_qr, make_qr
from printing.jalali import jalali_date, jalali_datetime
from printing.layout import (
    ID_KIND_FA,
    OUTAGE_NOTICE,
    OUTAGE_NOTICE_EN,
    SEX_FA,
    Cursor,
    columns,
    grouped,
    money,
)
from printing.payload import payload_bytes
from printing.shaping import draw_text, fa_num, ltr, new_canvas, text_width, wrap

MARGIN = 10 * mm
QR_MODULE = 0.45 * mm  # ~10 dots at 600 dpi, read by phone cameras at arm's length
BAR_MODULE = 0.38 * mm
BAR_HEIGHT = 11 * mm
# right to left: line, drug, quantity, instructions, insurer share, patient share (mm; sums to 128)
ITEM_COLUMNS = (7, 38, 11, 40, 16, 16)
ITEM_HEADERS = ("ردیف", "نام دارو", "تعداد", "دستور مصرف", "سهم بیمه", "سهم بیمار")


@dataclass(frozen=True)
class PrintedPrescription:
    """What went on paper: the barcodes' contents, the QR text and its symbol, the page count."""

    hid_barcode: str  # the HID, or the patient's id while the HID is pending
    hid_pending: bool
    id_barcode: str  # the tracking code if registered, else the prescription id
    payload: str | None
    payload_bytes: int | None
    qr: QrInfo | None
    pages: int
    emergency: bool = True  # the section-12 emergency copy (not registered yet), else an ordinary copy


def _identity_line(sig: Signature, label: str) -> str:
    who = sig.signer.name
    if sig.signer.medical_council_number:
        who += f" (نظام پزشکی {fa_num(sig.signer.medical_council_number)})"
    elif sig.signer.siam_id:
        who += f" (سیام {fa_num(sig.signer.siam_id)})"
    return f"{label}: {who} — زمان امضا: {jalali_datetime(sig.signed_at)}"


class _Sheet:
    def __init__(self, target: str | Path | BinaryIO, rx: Prescription) -> None:
        self.rx = rx
        self.canvas = new_canvas(target, A5, f"Noskhe paper prescription {rx.id}")
        self.pages = 1
        self.width, self.height = A5

    def cursor(self, bottom: float) -> Cursor:
        return Cursor(self.canvas, MARGIN, self.width - MARGIN, self.height - MARGIN, bottom)

    def new_page(self) -> Cursor:
        self.canvas.showPage()
        self.pages += 1
        cur = self.cursor(MARGIN)
        cur.line(f"ادامه نسخه {self.rx.id} — صفحه {fa_num(self.pages)}", 8.5, bold=True)
        cur.rule()
        return cur


def registered(rx: Prescription) -> bool:
    """True once the exchange registered the prescription (it issued the tracking code): its paper is an
    ordinary copy of an e-prescription the pharmacy retrieves online; until then the paper is the
    emergency copy of section 12, dispensed from its signed QR."""
    return rx.tracking_code is not None


def _header(cur: Cursor, rx: Prescription, facility: Facility | None, printed_at: dt.datetime) -> None:
    top, half = cur.y, cur.width / 2
    right = Cursor(cur.canvas, cur.left + half + 3, cur.right, top, cur.bottom)
    right.line((facility.name if facility else "") or "مرکز ارائه خدمت", 12, bold=True)
    right.line(f"شناسه سیام: {fa_num(rx.facility_siam)}", 8.5)
    national_id = rx.facility_national_id or (facility.national_id if facility else "")
    if national_id:  # the provider's national id (section 7-9 note 1)
        right.line(f"شناسه ملی: {fa_num(national_id)}", 8)
    if facility and facility.phone:
        right.line(f"تلفن: {fa_num(facility.phone)}", 8)
    left = Cursor(cur.canvas, cur.left, cur.left + half - 3, top, cur.bottom)
    if registered(rx):
        left.line("نسخه الکترونیک ثبت‌شده — رونوشت کاغذی", 10.5, bold=True, align="left")
        left.line("Registered e-prescription — paper copy", 7, align="left")
    else:
        left.line("نسخه کاغذی اضطراری", 11.5, bold=True, align="left")
        left.line("Emergency paper prescription", 7, align="left")
    left.line(f"تاریخ و ساعت تجویز: {jalali_datetime(rx.prescribed_at)}", 8.5, align="left")
    if rx.service_start:  # section 7-7: the start and end of the service
        end = f" تا {jalali_datetime(rx.service_end)}" if rx.service_end else ""
        left.line(f"خدمت: {jalali_datetime(rx.service_start)}{end}", 7, align="left")
    left.line(
        f"چاپ: {jalali_datetime(printed_at, seconds=False)} · نسخه {fa_num(rx.version)}", 7, align="left"
    )
    cur.y = min(right.y, left.y)
    cur.rule(weight=1.0)


def _notice(cur: Cursor, rx: Prescription) -> None:
    if registered(rx):  # an ordinary copy: the pharmacy retrieves it by its tracking code or HID
        cur.line(
            f"ثبت‌شده در سامانه نسخه الکترونیک — کد رهگیری {fa_num(rx.tracking_code or '')}"
            " — داروخانه نسخه را با کد رهگیری یا شباد دریافت می‌کند.",
            7.5,
        )
        cur.skip(2)
        return
    lines = wrap(OUTAGE_NOTICE, cur.width - 8, 7.5)
    height = len(lines) * 7.5 * 1.35 + 14
    c = cur.canvas
    c.saveState()
    c.setFillGray(0.93)
    c.setLineWidth(0.5)
    c.roundRect(cur.left, cur.y - height, cur.width, height, 3, stroke=1, fill=1)
    c.restoreState()
    cur.skip(2)
    inner = Cursor(c, cur.left + 4, cur.right - 4, cur.y, cur.bottom)
    for part in lines:
        inner.line(part, 7.5)
    inner.line(OUTAGE_NOTICE_EN, 6.5, align="left")
    cur.y -= height + 2


def insurance_line(rx: Prescription, insurer_name: str | None = None) -> str:
    """The paper's insurance line: the plan (and a supplementary one) as eligibility found it; while the
    eligibility of a prescription written offline is pending (no HID yet) the plan typed is unconfirmed
    and no plan at all means "insurance pending", never "uninsured" (9-1 step 2)."""
    p = rx.patient
    insurer = insurer_name or (p.coverage.insurer_code if p.coverage else None)
    if insurer and p.supplementary:
        insurer += f" + {p.supplementary.insurer_code}"
    if rx.hid is None:
        pending = "در انتظار استعلام بیمه (insurance pending)"
        return f"بیمه: {insurer} — {pending}" if insurer else f"بیمه: {pending}"
    return f"بیمه: {insurer or 'آزاد (بدون بیمه)'}"


def _parties(cur: Cursor, rx: Prescription, insurer_name: str | None) -> None:
    p, top, half = rx.patient, cur.y, cur.width / 2
    right = Cursor(cur.canvas, cur.left + half + 3, cur.right, top, cur.bottom)
    right.line(f"بیمار: {p.full_name}", 9.5, bold=True)
    if p.id.kind == "newborn":  # a newborn before registration: the mother's national code and the order
        mother, _, order = p.id.value.partition("-")
        right.line(f"نوزاد — کد ملی مادر: {fa_num(mother)} — فرزند {fa_num(order)}", 8.5)
    else:
        right.line(f"{ID_KIND_FA.get(p.id.kind, p.id.kind)}: {fa_num(p.id.value)}", 8.5)
    details = []
    if p.birth_date:
        details.append(f"تولد: {jalali_date(p.birth_date)}")
    age = p.age(rx.prescribed_at.date())
    if age is not None:
        details.append(f"سن: {fa_num(age)} سال")
    if p.sex:
        details.append(f"جنس: {SEX_FA[p.sex]}")
    if details:
        right.line(" — ".join(details), 8.5)
    if p.phone:
        right.line(f"تلفن: {fa_num(p.phone)}", 8.5)
    insurance, pending = insurance_line(rx, insurer_name), " — در انتظار استعلام بیمه"
    if pending in insurance:  # the plan typed, then on a line of its own that it is not confirmed yet
        insurance, _, rest = insurance.partition(pending)
        right.line(insurance, 8.5)
        right.line(pending.removeprefix(" — ") + rest, 8.5)
    else:
        right.line(insurance, 8.5)
    left = Cursor(cur.canvas, cur.left, cur.left + half - 3, top, cur.bottom)
    left.line(f"تجویزگر: {rx.prescriber.name}", 9.5, bold=True)
    left.line(f"شماره نظام پزشکی: {fa_num(rx.prescriber.medical_council_number)}", 8.5)
    if rx.prescriber.specialty:
        left.line(f"تخصص: {rx.prescriber.specialty}", 8.5)
    if rx.prescriber.phone:
        left.line(f"تلفن: {fa_num(rx.prescriber.phone)}", 8.5)
    if rx.provider_user_id:  # section 7-5: the prescriber's activity at this facility
        left.line(f"شناسه کاربری: {fa_num(rx.provider_user_id)}", 8)
    cur.y = min(right.y, left.y)
    cur.rule()


def _table_header(cur: Cursor) -> None:
    c = cur.canvas
    c.saveState()
    c.setFillGray(0.85)
    c.rect(cur.left, cur.y - 13, cur.width, 13, stroke=0, fill=1)
    c.restoreState()
    for (edge, _w), title in zip(columns(cur.right, ITEM_COLUMNS), ITEM_HEADERS):
        draw_text(c, edge - 2, cur.y - 9.5, title, 7.5, bold=True)
    cur.skip(13)


def _item_row(rx: Prescription, index: int) -> tuple[list[list[str]], float]:
    it = rx.items[index]
    cols = columns(0, ITEM_COLUMNS)
    qty = fa_num(it.quantity) + (f" (تکرار {fa_num(it.repeats)})" if it.repeats else "")
    #: a service line (7-6, 8-1) says what kind it is and its code, a lab or imaging centre reads it
    kind = {"lab": "آزمایش", "imaging": "تصویربرداری", "physio": "فیزیوتراپی"}.get(it.service or "", "")
    cells = [
        fa_num(it.line),
        f"{kind} {fa_num(it.drug_code)}: {it.drug_name}" if kind else it.drug_name,
        qty,
        it.instructions,
        # No price yet (a workstation that has never fetched the price list) is not "free": show a dash.
        money(it.cost.insurer) if it.cost.total else "—",
        money(it.cost.patient) if it.cost.total else "—",
    ]
    wrapped = [
        wrap(text, w - 4, 8 if i in (1, 3) else 7.5) for i, (text, (_e, w)) in enumerate(zip(cells, cols))
    ]
    if it.days:  # how long the line is meant to last (the rules' maximum duration)
        wrapped[3] += wrap(f"مدت مصرف: {fa_num(it.days)} روز", cols[3][1] - 4, 8)
    height = max(len(lines) for lines in wrapped) * 8 * 1.3 + 5
    return wrapped, height


def _draw_row(cur: Cursor, wrapped: list[list[str]], height: float) -> None:
    c = cur.canvas
    for i, ((edge, _w), lines) in enumerate(zip(columns(cur.right, ITEM_COLUMNS), wrapped)):
        y = cur.y - 2
        for part in lines:
            y -= 8 * 1.3
            draw_text(c, edge - 2, y + 2, part, 8 if i in (1, 3) else 7.5)
    cur.skip(height)
    c.saveState()
    c.setLineWidth(0.3)
    c.setStrokeGray(0.6)
    c.line(cur.left, cur.y, cur.right, cur.y)
    c.restoreState()


def _tail(
    rx: Prescription, prescriber_sig: Signature | None, facility_sig: Signature | None
) -> list[tuple[str, float, bool]]:
    """What follows the items, as (text, size, bold) lines (each wrapped to the page when drawn): the
    cost split, the prescriber's override reason, the notes, the signers."""
    out: list[tuple[str, float, bool]] = []
    cost = rx.cost
    if cost.total:
        out.append(
            (
                f"سهم بیمه: {money(cost.insurer)} — سهم بیمار: {money(cost.patient)} — جمع: {money(cost.total)}",
                8.5,
                True,
            )
        )
        # offline the split is worked out here: an estimate, said so (the exchange's split counts once it answers)
        if rx.cost_basis != "exchange":
            basis = "برآورد (estimate)"
            if rx.hid is None:  # priced without eligibility's answer: the insurer's share may change
                basis += " — تا پاسخ استعلام بیمه (until insurance is confirmed)"
            out.append((basis, 8, True))
    else:
        out.append(
            ("هزینه: برآورد پس از دریافت فهرست قیمت‌ها — cost estimate pending (no price list yet)", 8.5, True)
        )
    if rx.override_reason:  # signed with the prescription (9-1 step 4): the pharmacy and insurer read why
        out.append((f"دلیل تجویز با وجود هشدار قواعد (override reason): {rx.override_reason}", 8, False))
    if rx.notes:
        out.append((f"توضیحات: {rx.notes}", 8, False))
    if prescriber_sig is None:
        out.append(("این نسخه امضای الکترونیک ندارد و بدون امضای دستی پزشک اعتبار ندارد.", 8.5, True))
    else:
        out.append((_identity_line(prescriber_sig, "امضای الکترونیک تجویزگر"), 8, False))
    if facility_sig is not None:
        out.append((_identity_line(facility_sig, "مهر الکترونیک مرکز"), 8, False))
    return out


def _code_block(
    c: Canvas, right: float, top: float, width: float, value: str, title: str, digits: str
) -> float:
    """Title, bars and digits, right-aligned within `width`; returns the height used."""
    size = 8.5
    while size > 5.5 and text_width(title, size, bold=True) > width:
        size -= 0.5  # a long title (a pending HID named by the patient's id kind) stays in its column
    draw_text(c, right, top - 9, title, size, bold=True)
    modules = len(code128_modules(value))
    module = min(BAR_MODULE, width / (modules + 2 * QUIET_MODULES))
    bars = modules * module
    x = right - QUIET_MODULES * module - bars
    draw_code128(c, x, top - 13 - BAR_HEIGHT, value, module=module, height=BAR_HEIGHT)
    draw_text(c, x + bars / 2, top - 23 - BAR_HEIGHT, digits, 8.5, align="center", rtl=False)
    return 26 + BAR_HEIGHT


def _bottom_height(payload: str | None) -> tuple[float, float]:
    qr_size = 0.0
    if payload:
        modules = make_qr(payload).symbol_size(border=4)[0]
        qr_size = max(30 * mm, min(60 * mm, modules * QR_MODULE))
    return qr_size, max(qr_size, 2 * (26 + BAR_HEIGHT) + 12) + 26 + BAR_HEIGHT + 10


def render_prescription(
    rx: Prescription,
    out: str | Path | BinaryIO,
    *,
    facility: Facility | None = None,
    payload: str | None = None,
    signature: Signature | None = None,
    facility_signature: Signature | None = None,
    insurer_name: str | None = None,
    printed_at: dt.datetime | None = None,
) -> PrintedPrescription:
    """Write the paper prescription PDF for `rx` to `out`. `payload` is the QR text (see
    `printing.payload.encode`; None prints no QR); `signature`/`facility_signature` name the signers."""
    sheet = _Sheet(out, rx)
    qr_size, reserved = _bottom_height(payload)
    info = _bottom(sheet, rx, payload, qr_size)  # first: the codes have a fixed place on page 1
    cur = sheet.cursor(MARGIN + reserved)
    _header(cur, rx, facility, printed_at or now())
    _notice(cur, rx)
    _parties(cur, rx, insurer_name)
    _table_header(cur)
    for i in range(len(rx.items)):
        wrapped, height = _item_row(rx, i)
        if cur.room() < height:
            cur = sheet.new_page()
            _table_header(cur)
        _draw_row(cur, wrapped, height)
    tail = _tail(rx, signature, facility_signature)
    if cur.room() < sum(cur.height(text, size, bold=bold) for text, size, bold in tail):
        cur = sheet.new_page()
    for text, size, bold in tail:
        cur.line(text, size, bold=bold)
    sheet.canvas.save()
    return replace(info, pages=sheet.pages, emergency=not registered(rx))


def _bottom(sheet: _Sheet, rx: Prescription, payload: str | None, qr_size: float) -> PrintedPrescription:
    c, left, right = sheet.canvas, MARGIN, sheet.width - MARGIN
    id_value = rx.tracking_code or rx.id
    id_title = "کد رهگیری نسخه" if rx.tracking_code else "شناسه نسخه (کد رهگیری پس از ثبت)"
    id_digits = grouped(id_value, 4) if rx.tracking_code else id_value
    _code_block(c, right, MARGIN + 26 + BAR_HEIGHT, right - left, id_value, id_title, id_digits)
    top = MARGIN + 26 + BAR_HEIGHT + 10 + max(qr_size, 2 * (26 + BAR_HEIGHT) + 12)
    qr = None
    if payload:
        qr = draw_qr(c, left, top - qr_size, payload, qr_size)
    column = right - left - (qr_size + 4 * mm if payload else 0)
    pending = rx.hid is None
    hid_value: str = rx.patient.id.value if rx.hid is None else rx.hid
    if pending:
        title = f"شباد در انتظار {ltr('(HID pending)')} — بارکد: {ID_KIND_FA.get(rx.patient.id.kind, 'شناسه بیمار')}"
        digits = hid_value
    else:
        title, digits = f"شناسه شباد {ltr('(HID)')}", grouped(hid_value)
    used = _code_block(c, right, top, column, hid_value, title, digits)
    if payload and qr:
        note = Cursor(c, right - column, right, top - used - 6, MARGIN)
        note.line("کد QR: نسخه امضاشده برای وارسی و تحویل بدون اینترنت", 7.5)
        note.line(f"QR v{qr.version}-{qr.error} · {payload_bytes(payload)} bytes", 6.5, align="left")
    return PrintedPrescription(
        hid_barcode=hid_value,
        hid_pending=pending,
        id_barcode=id_value,
        payload=payload,
        payload_bytes=payload_bytes(payload) if payload else None,
        qr=qr,
        pages=1,
    )
