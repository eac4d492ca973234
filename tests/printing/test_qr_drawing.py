"""The QR as drawn on paper: every dark module of the symbol covered exactly once by the one path of
rectangles, nothing else; the fixed mask; the same symbol for the layout and the drawing."""

from __future__ import annotations

import io
import re

import pytest
from reportlab.pdfgen.canvas import Canvas

from printing.barcodes import QR_BORDER, QR_MASK, _qr_rects, draw_qr, forget_qr_symbols, make_qr


@pytest.mark.parametrize("text", ["HELLO WORLD 123", "A1B2" * 297, "x" * 600])
def test_the_rectangles_cover_exactly_the_dark_modules(text: str) -> None:
    qr = make_qr(text)
    side, ops = _qr_rects(qr)
    grid = [[0] * side for _ in range(side)]
    for op in ops.split("\n"):
        x, y, w, h, name = op.split()
        assert name == "re" and h.endswith(".02")  # a hair of overlap downwards, no seams
        for r in range(int(y), int(y) + int(float(h))):
            for c in range(int(x), int(x) + int(w)):
                assert grid[r][c] == 0, "a module drawn twice"
                grid[r][c] = 1
    expected = [[1 if v else 0 for v in row] for row in qr.matrix_iter(border=QR_BORDER, scale=1)]
    assert grid == expected
    assert qr.mask == QR_MASK


def test_one_symbol_for_layout_and_drawing_and_one_fill() -> None:
    forget_qr_symbols()
    text = "NOSKHE TEST 0123456789"
    assert make_qr(text) is make_qr(text, "m") is make_qr(text, "M")
    out = io.BytesIO()
    canvas = Canvas(out, pageCompression=0)
    info = draw_qr(canvas, 10, 10, text, 100)
    canvas.showPage()
    canvas.save()
    pdf = out.getvalue().decode("latin-1")
    assert info.modules == make_qr(text).symbol_size(border=0)[0]
    assert len(re.findall(r" re\n", pdf)) > 10 and pdf.count("\nf\n") == 1
