"""The pharmacy receipt: an 80 mm thermal-roll strip as long as its content, or an A5 page.

It shows the pharmacy (SIAM id, national id), the pharmacist, the dispensing time (Jalali), the provider user
id and the start and end of the service, the prescription it served, every item
with the TTAC authenticity code of every pack, the insurer and patient shares (the exchange's once it
answered, else the estimate made offline, marked as such), the payment id and POS
terminal, the patient (section 7: name, identifier, birth date, age, sex, phone, insurance), each line's
units handed over now of those prescribed and what remains, the prescription's tracking code labelled as
such, and the dispensing's own reference (the exchange's receipt number once registered, else its own id
marked as pending) in digits and as a small QR.

Callers rely on: `render_receipt(...)` writes the PDF and returns the page size and count; the roll is
one page whose height fits the content.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.costs import CostSplit, Settlement
from app.domain import Dispensing, DispensingItem, Facility, Prescription
from printing.barcodes import draw_qr
from printing.jalali import jalali_date, jalali_datetime
from printing.layout import Cursor, grouped, money
from printing.shaping import fa_num, ltr, new_canvas

ROLL_WIDTH = 80 * mm
ROLL_MARGIN = 4 * mm  # 72 mm printable, the common 80 mm printer head
A5_MARGIN = 10 * mm
REF_QR = 22 * mm


@dataclass(frozen=True)
class PrintedReceipt:
    width: float
    height: float
    pages: int
    reference: str  # what the QR and the reference line carry
    reference_pending: bool


@dataclass
class _Style:
    body: float
    small: float
    title: float


class _Flow:
    """A cursor that starts a new page when the next block does not fit (never on a roll)."""

    def __init__(self, canvas: Canvas, width: float, height: float, margin: float, paged: bool) -> None:
        self.canvas, self.width, self.height, self.margin, self.paged = canvas, width, height, margin, paged
        self.pages = 1
        self.cur = Cursor(canvas, margin, width - margin, height - margin, margin)

    def ensure(self, points: float) -> Cursor:
        if self.paged and self.cur.room() < points:
            self.canvas.showPage()
            self.pages += 1
            self.cur = Cursor(
                self.canvas, self.margin, self.width - self.margin, self.height - self.margin, self.margin
            )
        return self.cur


def _legal_pairs(d: Dispensing) -> list[tuple[str, str]]:
    """Section 7's elements of the dispensing a receipt shows: the provider user id (7-5) and the start and
    end of the service (7-7), those it carries."""
    pairs = []
    if d.provider_user_id:
        pairs.append(("شناسه کاربری", fa_num(d.provider_user_id)))
    if d.service_start:
        end = f" تا {jalali_datetime(d.service_end)}" if d.service_end else ""
        pairs.append(("خدمت", f"{jalali_datetime(d.service_start)}{end}"))
    return pairs


ID_KIND_FA = {
    "national-code": "کد ملی",
    "fida": "کد فراگیر اتباع (فیدا)",
    "unique-id": "شناسه یکتا",
    "newborn": "نوزاد (کد ملی مادر)",
    "armed-forces-newborn": "شماره بیمه نوزاد",
}
SEX_FA = {"female": "زن", "male": "مرد", "other": "دیگر"}


def _patient_pairs(
    d: Dispensing, rx: Prescription | None, payer: tuple[str | None, str | None] | None = None
) -> list[tuple[str, str]]:
    """Section 7's patient elements a receipt shows (7-1, 7-2): name, identifier, birth date, age and sex,
    phone — those the prescription it served carries — and the insurance: `payer` (basic, supplementary
    insurer codes) once the exchange named them, else the coverage stated, "pending" while eligibility
    has not answered (no HID yet)."""
    if rx is None:
        return []
    p = rx.patient
    pairs = [("بیمار", p.full_name), (ID_KIND_FA.get(p.id.kind, "شناسه بیمار"), fa_num(p.id.value))]
    born = []
    if p.birth_date:
        born.append(jalali_date(p.birth_date))
    age = p.age(d.dispensed_at.date())
    if age is not None:
        born.append(f"{fa_num(age)} سال")
    if p.sex:
        born.append(SEX_FA.get(p.sex.value, p.sex.value))
    if born:
        pairs.append(("تولد، سن، جنس", " — ".join(born)))
    if p.phone:
        pairs.append(("تلفن بیمار", fa_num(p.phone)))
    if payer is not None:  # the exchange named who pays (the HID's plans), whatever the paper stated
        insurer = (payer[0] or "") + (f" + {payer[1]}" if payer[0] and payer[1] else "")
        return [*pairs, ("بیمه", insurer or "آزاد (بدون بیمه)")]
    insurer = p.coverage.insurer_code if p.coverage else ""
    if p.supplementary:
        insurer += f" + {p.supplementary.insurer_code}"
    if not (d.hid or rx.hid):
        insurer = f"{insurer} — " * bool(insurer) + "در انتظار استعلام (insurance pending)"
    pairs.append(("بیمه", insurer or "آزاد (بدون بیمه)"))
    return pairs


def _quantity(item: DispensingItem, rx: Prescription | None) -> str:
    """ "handed over now of prescribed — remaining" for a line of the prescription (15 of 20, 5 left), or
    the quantity alone without the prescription."""
    line = next((it for it in rx.items if it.line == item.line), None) if rx else None
    if rx is None or line is None:
        return f"تعداد: {fa_num(item.quantity)}"
    left = rx.remaining(item.line)
    return (
        f"تحویل این نوبت: {fa_num(item.quantity)} از {fa_num(line.quantity)} تجویزشده"
        f" — باقی‌مانده: {fa_num(left)}"
    )


def _draw(
    flow: _Flow,
    d: Dispensing,
    facility: Facility | None,
    rx: Prescription | None,
    drug_name: Callable[[str], str | None] | None,
    st: _Style,
    settlement: Settlement | None = None,
    line_costs: Mapping[int, CostSplit] | None = None,
    receipt_number: str | None = None,
    payer: tuple[str | None, str | None] | None = None,
) -> tuple[str, bool]:
    cur = flow.cur
    cur.line(facility.name if facility else "داروخانه", st.title, bold=True, align="center")
    cur.line(f"شناسه سیام: {fa_num(d.facility_siam)}", st.small, align="center")
    national_id = d.facility_national_id or (facility.national_id if facility else "")
    if national_id:  # the provider's national id (section 7-9 note 1)
        cur.line(f"شناسه ملی: {fa_num(national_id)}", st.small, align="center")
    if facility and facility.phone:
        cur.line(f"تلفن: {fa_num(facility.phone)}", st.small, align="center")
    cur.line("رسید نسخه‌پیچی — Pharmacy receipt", st.body, bold=True, align="center")
    cur.rule()
    cur.pairs(
        [
            ("تاریخ و ساعت", jalali_datetime(d.dispensed_at)),
            ("داروساز", f"{d.pharmacist.name} (نظام پزشکی {fa_num(d.pharmacist.licence)})"),
            *_legal_pairs(d),
        ],
        st.body,
    )
    rx_code = (rx.tracking_code if rx else None) or (d.tracking_code if receipt_number else None)
    cur.pairs([("کد رهگیری نسخه" if rx_code else "شناسه نسخه", ltr(rx_code or d.prescription_id))], st.body)
    patient = _patient_pairs(d, rx, payer)
    if patient:
        cur.rule()
        cur.pairs(patient, st.body)
    if d.hid:
        cur.line(f"شناسه شباد: {grouped(d.hid)}", st.body)
    cur.rule()
    names = {it.line: it.drug_name for it in rx.items} if rx else {}
    for item in d.items:
        name = names.get(item.line) or (drug_name(item.drug_code) if drug_name else None) or item.drug_code
        if item.substituted:  # another product of the line's interchangeable group was handed over
            named = drug_name(item.drug_code) if drug_name else None
            name = f"{named} — کد {fa_num(item.drug_code)}" if named else fa_num(item.drug_code)
        need = (4 + len(item.packs)) * st.body * 1.4
        cur = flow.ensure(need)
        cur.line(f"{fa_num(item.line)}. {name}", st.body, bold=True)
        cur.line(_quantity(item, rx), st.small)
        if item.substituted:
            prescribed = names.get(item.line) or fa_num(str(item.prescribed_code))
            cur.line(f"جایگزین داروی تجویزشده: {prescribed}", st.small)
        for pack in item.packs:
            cur.line(f"کد اصالت: {grouped(pack.authenticity_code)}", st.small)
        cost = (line_costs or {}).get(item.line, item.cost)
        cur.line(f"سهم بیمه: {money(cost.insurer)} — سهم بیمار: {money(cost.patient)}", st.small)
        cur.skip(2)
    cur = flow.ensure(10 * st.body * 1.4 + REF_QR)
    cur.rule()
    total = settlement.shown if settlement is not None else d.cost
    cur.line(f"سهم بیمه: {money(total.insurer)}", st.body)
    cur.line(f"پرداختی بیمار: {money(total.patient)}", st.title, bold=True)
    cur.line(f"جمع کل: {money(total.total)}", st.body)
    if settlement is not None and settlement.exchange is None:  # offline: worked out here, said so
        cur.line("برآورد (estimate): سهم نهایی را سامانه اعلام می‌کند", st.small)
    elif settlement is not None and settlement.differs:  # the exchange priced it otherwise: its split counts
        e = settlement.estimate
        cur.line(f"برآورد اولیه (estimate): بیمه {money(e.insurer)} — بیمار {money(e.patient)}", st.small)
    if d.payment_id:
        cur.line(f"شناسه پرداخت: {ltr(d.payment_id)}", st.body)
    if d.pos_terminal_id:
        cur.line(f"پایانه فروش: {ltr(d.pos_terminal_id)}", st.small)
    cur.rule()
    # the dispensing's own number: the exchange's receipt number once registered (each dispensing its
    # own), never the prescription's tracking code
    own = receipt_number or (d.tracking_code if not (rx and d.tracking_code == rx.tracking_code) else None)
    pending = not own
    reference = own or d.id
    label = "شمارهٔ رسید نسخه‌پیچی (dispensing no.)" if not pending else "شناسه نسخه‌پیچی (در انتظار ثبت)"
    cur.line(label, st.body, bold=True, align="center")
    cur.line(grouped(reference, 4) if not pending else reference, st.body, align="center")
    if not pending:
        cur.line(f"شناسه نسخه‌پیچی: {d.id}", st.small, align="center")
    cur.skip(REF_QR + 3)
    draw_qr(cur.canvas, (cur.left + cur.right - REF_QR) / 2, cur.y, reference, REF_QR)
    cur.line("این رسید با امضای الکترونیک داروساز ثبت شده است.", st.small, align="center")
    return reference, pending


def render_receipt(
    d: Dispensing,
    out: str | Path | BinaryIO,
    *,
    facility: Facility | None = None,
    prescription: Prescription | None = None,
    drug_name: Callable[[str], str | None] | None = None,
    roll: bool = False,
    settlement: Settlement | None = None,
    line_costs: Mapping[int, CostSplit] | None = None,
    receipt_number: str | None = None,
    payer: tuple[str | None, str | None] | None = None,
) -> PrintedReceipt:
    """Write the receipt of dispensing `d` to `out`: an 80 mm roll strip (`roll`) or A5. Drug names come
    from `prescription` (by line), else `drug_name(code)`, else the code itself. `settlement` is the split
    to charge (`app.costs.Settlement`): the exchange's once it answered (`line_costs`: its split per line),
    else the estimate, printed as such; without it, the split signed with the dispensing. `receipt_number`
    is the exchange's number for this dispensing (its answer's `receipt`): the receipt's reference and QR;
    until it is known the dispensing's own id, marked pending. `payer`: the (basic, supplementary) insurer
    codes the exchange named for its HID, printed as the patient's insurance. The prescription's tracking code is printed
    as such, with the patient (name, identifier, birth date, age, sex, phone, insurance; section 7) and,
    per line, the units handed over now of those prescribed and what remains."""
    title = f"Noskhe pharmacy receipt {d.id}"
    if roll:
        style = _Style(body=8, small=7, title=10)
        probe = _Flow(Canvas(io.BytesIO()), ROLL_WIDTH, 10_000, ROLL_MARGIN, paged=False)
        # measures the strip
        _draw(
            probe, d, facility, prescription, drug_name, style, settlement, line_costs, receipt_number, payer
        )
        height = 10_000 - probe.cur.y + ROLL_MARGIN
        canvas = new_canvas(out, (ROLL_WIDTH, height), title)
        flow = _Flow(canvas, ROLL_WIDTH, height, ROLL_MARGIN, paged=False)
    else:
        style = _Style(body=9, small=8, title=12)
        canvas = new_canvas(out, A5, title)
        flow = _Flow(canvas, A5[0], A5[1], A5_MARGIN, paged=True)
    reference, pending = _draw(
        flow, d, facility, prescription, drug_name, style, settlement, line_costs, receipt_number, payer
    )
    canvas.save()
    return PrintedReceipt(flow.width, flow.height, flow.pages, reference, pending)
