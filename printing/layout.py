"""What the prescription and the receipt share: Persian labels, money, a right-to-left writing cursor.

Callers rely on: `Cursor` writes downward from the top of a page region, right-aligned by default, never
wider than its region (long lines wrap), and tells how much room is left; `money(n)` is Persian digits with separators and «ریال».
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.domain import Sex
from printing.shaping import draw_text, fa_num, ltr, text_width, wrap

ID_KIND_FA = {
    "national-code": "کد ملی",
    "fida": "شناسه فیدا",
    "unique-id": "شناسه یکتا",
    "newborn": "نوزاد (کد ملی مادر)",
    "armed-forces-newborn": "نوزاد نیروهای مسلح (شماره بیمه)",
}
SEX_FA = {Sex.FEMALE: "زن", Sex.MALE: "مرد", Sex.OTHER: "سایر"}

OUTAGE_NOTICE = (
    "نسخه کاغذی اضطراری: این نسخه به سبب قطع اینترنت، برق یا شبکه بر پایه بند ۱۲ دستورالعمل اجرایی "
    "نسخه الکترونیک روی کاغذ صادر شده است. داروخانه می‌تواند با خواندن کد QR امضاشده، بدون اینترنت "
    "آن را وارسی و تحویل کند؛ این نسخه نزد سازمان‌های بیمه‌گر مستند پذیرفته است."
)
OUTAGE_NOTICE_EN = "Emergency paper copy under section 12 of the e-prescription executive rules (outage)."


def money(rials: int) -> str:
    """۱٬۲۵۰٬۰۰۰ ریال"""
    return f"{fa_num(rials, group=True)} ریال"


def grouped(digits: str, size: int = 4) -> str:
    """1234 5678 9012 3452: long numbers are read in groups (kept left to right inside Persian lines)."""
    return ltr(" ".join(digits[i : i + size] for i in range(0, len(digits), size)))


@dataclass
class Cursor:
    """Writes lines downward inside [left, right] (a line too wide is wrapped); `y` is the baseline of the
    next line's top."""

    canvas: Canvas
    left: float
    right: float
    y: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    def room(self) -> float:
        return self.y - self.bottom

    def skip(self, points: float) -> None:
        self.y -= points

    def line(
        self, text: str, size: float = 9, *, bold: bool = False, align: str = "right", gap: float = 1.35
    ) -> None:
        """One line of text; wrapped onto the next lines when it is wider than [left, right], so nothing
        runs into a neighbouring column or off the page."""
        x = self.right if align == "right" else self.left if align == "left" else (self.left + self.right) / 2
        parts = (
            [text]
            if text_width(text, size, bold=bold) <= self.width
            else wrap(text, self.width, size, bold=bold)
        )
        for part in parts:
            self.y -= size * gap
            draw_text(self.canvas, x, self.y, part, size, bold=bold, align=align)

    def height(self, text: str, size: float = 9, *, bold: bool = False, gap: float = 1.35) -> float:
        """How far `line(text, …)` moves down (wrapped lines included)."""
        if text_width(text, size, bold=bold) <= self.width:
            return size * gap
        return len(wrap(text, self.width, size, bold=bold)) * size * gap

    def paragraph(self, text: str, size: float = 8, *, bold: bool = False, gap: float = 1.35) -> None:
        for part in wrap(text, self.width, size, bold=bold):
            self.line(part, size, bold=bold, gap=gap)

    def pairs(self, rows: Iterable[tuple[str, str]], size: float = 8.5) -> None:
        """«label: value» lines, right-aligned."""
        for label, value in rows:
            self.line(f"{label}: {value}", size)

    def rule(self, *, weight: float = 0.6, before: float = 2.5, after: float = 2.5) -> None:
        self.y -= before
        self.canvas.saveState()
        self.canvas.setLineWidth(weight)
        self.canvas.line(self.left, self.y, self.right, self.y)
        self.canvas.restoreState()
        self.y -= after


def columns(right: float, widths_mm: Iterable[float]) -> list[tuple[float, float]]:
    """Table columns laid out right to left: [(right edge, width in points), …] for widths in mm."""
    out = []
    for w in widths_mm:
        out.append((right, w * mm))
        right -= w * mm
    return out
