"""An insurer's monthly claim list on paper (A4 landscape, Persian, right to left): the facility, the
insurer and the month at the top of each page, one row per claimed line, the totals at the end.

    claims_pdf(claims, Path("ihio-1405-09.pdf"))   # claims: app.services.claims.ClaimList

Text is shaped and reordered by `printing.shaping` (the fonts the prescription and receipt use); numbers
in Persian digits, amounts with the Persian thousands separator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

from app.text import to_persian_digits
from app.timefmt import jalali_date, jalali_datetime
from printing.shaping import draw_text, fa_num, new_canvas, text_width

if TYPE_CHECKING:
    from app.services.claims import ClaimList

MARGIN = 12 * mm
ROW = 6.2 * mm
SIZE = 8.0
#: (column key, Persian heading, width in mm), right to left
COLUMNS = (
    ("row", "ردیف", 10),
    ("date", "تاریخ", 20),
    ("reference", "شمارهٔ پیگیری", 26),
    ("patient_name", "بیمار", 42),
    ("patient_id", "کد ملی", 24),
    ("insurance_number", "شمارهٔ بیمه", 24),
    ("prescriber", "پزشک", 38),
    ("council", "نظام پزشکی", 20),
    ("items", "اقلام", 11),
    ("total", "مبلغ کل", 22),
    ("insurer", "سهم بیمه", 22),
    ("patient", "سهم بیمار", 22),
)
AMOUNTS = ("total", "insurer", "patient")


def _cell(key: str, value: object) -> str:
    if key in AMOUNTS:
        return fa_num(int(value), group=True)  # type: ignore[call-overload]
    text = str(value)
    # a code with Latin letters (MC-123456, IHIO-…) keeps its digits as written
    return text if any("a" <= ch.lower() <= "z" for ch in text) else to_persian_digits(text)


def _fit(text: str, width: float, bold: bool = False) -> str:
    while text and text_width(text, SIZE, bold=bold) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def claims_pdf(claims: ClaimList, out: Path) -> Path:
    """Write `claims` as a PDF to `out` (pages as many as the rows need, each with the heading and the
    column titles; page numbers "page n of m"). Returns `out`. Raises `FontMissing` without a Persian font."""
    import datetime as dt

    page_w, page_h = landscape(A4)
    title = f"فهرست نسخه‌های {claims.insurer_fa} — {claims.month_name('fa')}"
    canvas = new_canvas(out, (page_w, page_h), title)
    right = page_w - MARGIN
    scale = (page_w - 2 * MARGIN) / (sum(w for _k, _t, w in COLUMNS) * mm)
    edges: list[tuple[float, float]] = []
    x = right
    for _key, _head, width in COLUMNS:
        w = width * mm * scale
        edges.append((x - w, x))
        x -= w
    from app.services.claims import COLUMNS as EXPORTED

    keys = [key for key, _fa, _en in EXPORTED]
    rows = [[r[keys.index(k)] for k, _h, _w in COLUMNS] for r in claims.rows("fa")]
    totals = claims.totals()
    per_page = int((page_h - 2 * MARGIN - 34 * mm) // ROW)
    pages = max(1, -(-len(rows) // per_page))
    printed = jalali_datetime(dt.datetime.now(dt.UTC), seconds=False)

    def header(page: int) -> float:
        y = page_h - MARGIN - 5 * mm
        draw_text(canvas, right, y, title, 13, bold=True)
        facility = claims.facility_name or ""
        kind = "داروخانه" if claims.kind == "pharmacy" else "مرکز درمانی"
        line = f"{kind} {facility} — شناسهٔ سیام {to_persian_digits(claims.facility)}"
        draw_text(canvas, right, y - 7 * mm, line, 9)
        span = f"از {jalali_date(claims.start)} تا {jalali_date(claims.end)} — چاپ {printed}"
        draw_text(canvas, MARGIN, y - 7 * mm, span, 9, align="left", rtl=True)
        draw_text(canvas, MARGIN, y, f"صفحهٔ {fa_num(page)} از {fa_num(pages)}", 9, align="left", rtl=True)
        y -= 16 * mm
        canvas.setFillGray(0.9)
        canvas.rect(MARGIN, y - 2 * mm, page_w - 2 * MARGIN, ROW, stroke=0, fill=1)
        canvas.setFillGray(0)
        for (left, r), (_key, head, _w) in zip(edges, COLUMNS):
            draw_text(canvas, r - 1 * mm, y, _fit(head, r - left - 2 * mm, True), SIZE, bold=True)
        return y - ROW

    for page in range(pages):
        if page:
            canvas.showPage()
        y = header(page + 1)
        for row in rows[page * per_page : (page + 1) * per_page]:
            for (left, r), (key, _head, _w), value in zip(edges, COLUMNS, row):
                draw_text(canvas, r - 1 * mm, y, _fit(_cell(key, value), r - left - 2 * mm), SIZE)
            canvas.setStrokeGray(0.8)
            canvas.line(MARGIN, y - 2 * mm, page_w - MARGIN, y - 2 * mm)
            y -= ROW
    if y < MARGIN + 2 * ROW:
        canvas.showPage()
        y = page_h - MARGIN - 5 * mm
    y -= 2 * mm
    canvas.setStrokeGray(0)
    canvas.line(MARGIN, y + ROW - 2 * mm, page_w - MARGIN, y + ROW - 2 * mm)
    summary = (
        f"جمع {fa_num(totals['count'])} نسخه — مبلغ کل {fa_num(totals['total'], group=True)} ریال — "
        f"سهم بیمه {fa_num(totals['insurer'], group=True)} ریال — سهم بیمار {fa_num(totals['patient'], group=True)} ریال"
    )
    draw_text(canvas, right, y, summary, 10, bold=True)
    canvas.save()
    return Path(out)


__all__ = ["claims_pdf"]
