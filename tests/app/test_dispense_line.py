"""`dispense --line` reads what a Persian keyboard or a copy-paste gives: direction marks, half-spaces,
Persian digits and the Persian comma."""

from __future__ import annotations

from app.services.dispensing import DispenseLine


def test_line_with_marks_and_persian_digits_parses() -> None:
    code = "1234567890123456"
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    line = DispenseLine.parse(f"\u200f۱\u200c:۱۵:{persian}")
    assert (line.line, line.quantity) == (1, 15)
    assert [p.authenticity_code for p in line.packs] == [code]


def test_persian_comma_separates_codes() -> None:
    line = DispenseLine.parse("2:\u200e2:1234567890123456\u060c1234567890123457")
    assert (line.line, line.quantity, len(line.packs)) == (2, 2, 2)
