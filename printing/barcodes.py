"""Barcodes drawn as vectors on a reportlab canvas: Code 128 (python-barcode's symbol encoding) and QR (segno).

Vectors stay sharp at any printer resolution. Callers rely on: `draw_code128` draws bars for exactly
`value` (Code 128 with the shortest code-set mix, digits packed in pairs), `code128_width` tells the width
beforehand, and `draw_qr` draws the whole symbol including its 4-module quiet zone inside `size` points.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import segno
from barcode import Code128
from reportlab.pdfgen.canvas import Canvas

QUIET_MODULES = 10  # Code 128 wants at least 10 modules of white on each side
QR_BORDER = 4
_DARK = re.compile(b"\x01+")


@functools.lru_cache(maxsize=64)
def code128_modules(value: str) -> str:
    """The bar pattern of `value`: '1' a dark module, '0' a light one (start, data, check, stop)."""
    return Code128(value).build()[0]


def code128_width(value: str, module: float) -> float:
    """Width in points of the bars (without quiet zones) at `module` points per module."""
    return len(code128_modules(value)) * module


def draw_code128(canvas: Canvas, x: float, y: float, value: str, *, module: float, height: float) -> float:
    """Draw the bars with the lower-left corner at (x, y); returns the width drawn. Leave
    `QUIET_MODULES * module` of white on both sides."""
    pattern = code128_modules(value)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    i = 0
    while i < len(pattern):
        if pattern[i] == "1":
            j = i
            while j < len(pattern) and pattern[j] == "1":
                j += 1
            canvas.rect(x + i * module, y, (j - i) * module, height, stroke=0, fill=1)
            i = j
        else:
            i += 1
    canvas.restoreState()
    return len(pattern) * module


@dataclass(frozen=True)
class QrInfo:
    version: int
    error: str
    modules: int  # per side, without the quiet zone


#: the data mask every symbol uses (ISO/IEC 18004 §7.8). Any of the eight reads the same; choosing the
#: best one means building and scoring all eight (about 70 % of a new symbol's time), for a gain in
#: contrast no phone camera or scanner tested here needed.
QR_MASK = 4


def make_qr(text: str, error: str = "m") -> segno.QRCode:
    """The QR symbol for `text` (segno picks the smallest version and the alphanumeric mode when
    `text` fits it), with the fixed mask `QR_MASK`. Cached: layout asks for the size before drawing."""
    return _symbol(text, error.lower())


@functools.lru_cache(maxsize=16)
def _symbol(text: str, error: str) -> segno.QRCode:
    return segno.make_qr(text, error=error, boost_error=False, mask=QR_MASK)


def qr_info(text: str, error: str = "m") -> QrInfo:
    qr = make_qr(text, error)
    return QrInfo(
        version=int(qr.version), error=qr.error or error.upper(), modules=int(qr.symbol_size(border=0)[0])
    )


def _qr_rects(qr: segno.QRCode) -> tuple[int, str]:
    """(modules per side with the quiet zone, the dark modules as PDF `re` operators in module units, rows
    downward): runs of dark modules along a row, a run repeated in the rows below merged into one taller
    rectangle, each with a hair of overlap so no seams show when anti-aliased."""
    b = QR_BORDER
    rows = [bytes(row) for row in qr.matrix]  # the symbol without its quiet zone: 1 dark, 0 light
    ops: list[str] = []
    open_runs: dict[tuple[int, int], int] = {}  # (start, end) of a run → the row it began on
    for r, row in enumerate([*rows, b""], start=b):
        runs = {(m.start() + b, m.end() + b) for m in _DARK.finditer(row)}
        for run in [k for k in open_runs if k not in runs]:
            top = open_runs.pop(run)
            ops.append(f"{run[0]} {top} {run[1] - run[0]} {r - top}.02 re")
        for run in runs:
            open_runs.setdefault(run, r)
    return len(rows) + 2 * b, "\n".join(ops)


@functools.lru_cache(maxsize=16)
def _qr_path(text: str, error: str) -> tuple[int, str]:
    return _qr_rects(make_qr(text, error))


def forget_qr_symbols() -> None:
    """Drop the cached symbols and their drawings (a benchmark timing a new prescription's first print)."""
    _symbol.cache_clear()
    _qr_path.cache_clear()


def draw_qr(canvas: Canvas, x: float, y: float, text: str, size: float, *, error: str = "m") -> QrInfo:
    """Draw the QR for `text` as a `size`×`size` square (quiet zone included), lower-left at (x, y): one
    filled path of rectangles, in module units (small integers in the PDF)."""
    qr = make_qr(text, error)
    side, ops = _qr_path(text, error)
    module = size / side
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.translate(x, y + size)
    canvas.scale(module, -module)  # one unit per module, rows downward
    if ops:
        canvas.addLiteral(f"{ops}\nf")
    canvas.restoreState()
    return QrInfo(version=int(qr.version), error=error.upper(), modules=side - 2 * QR_BORDER)
