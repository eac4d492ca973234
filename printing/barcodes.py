"""Barcodes drawn as vectors on a reportlab canvas: Code 128 (python-barcode's symbol encoding) and QR (segno).

Vectors stay sharp at any printer resolution. Callers rely on: `draw_code128` draws bars for exactly
`value` (Code 128 with the shortest code-set mix, digits packed in pairs), `code128_width` tells the width
beforehand, and `draw_qr` draws the whole symbol including its 4-module quiet zone inside `size` points.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import segno
from barcode import Code128
from reportlab.pdfgen.canvas import Canvas

QUIET_MODULES = 10  # Code 128 wants at least 10 modules of white on each side
QR_BORDER = 4


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


@functools.lru_cache(maxsize=16)
def make_qr(text: str, error: str = "m") -> segno.QRCode:
    """The QR symbol for `text` (segno picks the smallest version and the alphanumeric mode when
    `text` fits it). Cached: layout asks for the size before drawing, and choosing a mask is slow."""
    return segno.make_qr(text, error=error, boost_error=False)


def qr_info(text: str, error: str = "m") -> QrInfo:
    qr = make_qr(text, error)
    return QrInfo(
        version=int(qr.version), error=qr.error or error.upper(), modules=int(qr.symbol_size(border=0)[0])
    )


def draw_qr(canvas: Canvas, x: float, y: float, text: str, size: float, *, error: str = "m") -> QrInfo:
    """Draw the QR for `text` as a `size`×`size` square (quiet zone included), lower-left at (x, y)."""
    qr = make_qr(text, error)
    rows = [list(row) for row in qr.matrix_iter(border=QR_BORDER, scale=1)]
    module = size / len(rows)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.translate(x, y + size)
    canvas.scale(module, -module)  # one unit per module, rows downward: small integers in the PDF
    path = canvas.beginPath()
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(start, r, c - start, 1.02)  # a hair of overlap: no seams when anti-aliased
            else:
                c += 1
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    return QrInfo(version=int(qr.version), error=error.upper(), modules=len(rows) - 2 * QR_BORDER)
