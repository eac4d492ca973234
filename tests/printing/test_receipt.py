"""The pharmacy receipt: an 80 mm roll as long as its content, and A5; read back with pdftotext and zbar."""

from pathlib import Path

import pytest
from reportlab.lib.units import mm

from app.domain import DispensedPack, DispensingItem, Facility
from printing.receipt_pdf import render_receipt
from tests.printing.conftest import (
    HID,
    need,
    pdf_text,
    render_png,
    sample_dispensing,
    sample_prescription,
    zbar,
)

PHARMACY = Facility("20000002", "داروخانه دکتر نمونه", "pharmacy", phone="02188776655")


@pytest.mark.parametrize("roll", [True, False])
def test_receipt_shows_codes_shares_and_reference(roll: bool, tmp_path: Path) -> None:
    need("pdftotext")
    rx = sample_prescription()
    d = sample_dispensing(rx)
    pdf = tmp_path / "receipt.pdf"
    info = render_receipt(d, pdf, facility=PHARMACY, prescription=rx, roll=roll)
    assert (info.width == pytest.approx(80 * mm)) if roll else info.height > 500
    text = pdf_text(pdf)
    flat = text.replace(" ", "")
    for code in ("6260001234567891", "6260001234567892", "6260009876543210", HID, "PAY778899", d.id):
        assert code in flat, code
    for words in ("سهم بیمه", "پرداختی بیمار", "کد اصالت", "داروخانه دکتر نمونه", "در انتظار ثبت"):
        assert words in text, words
    assert "100,000" not in text and "55٬000" in text  # Persian digits with the Persian separator
    assert "آموکسیسیلین" in text  # drug names from the prescription


def test_roll_grows_with_the_items(tmp_path: Path) -> None:
    rx = sample_prescription()
    short = render_receipt(sample_dispensing(rx), tmp_path / "a.pdf", roll=True)
    d = sample_dispensing(rx)
    d.items += [
        DispensingItem(3, "3456789", 10, (DispensedPack(f"62600000000000{i:02d}"),)) for i in range(8)
    ]
    long = render_receipt(d, tmp_path / "b.pdf", roll=True, drug_name=lambda code: "لوراتادین ۱۰")
    assert long.height > short.height + 8 * 20 and long.pages == 1


def test_registered_reference_is_the_tracking_code_and_its_qr(tmp_path: Path) -> None:
    need("pdftoppm", "zbarimg")
    rx = sample_prescription()
    d = sample_dispensing(rx, tracking="200000000008")
    pdf = tmp_path / "r.pdf"
    info = render_receipt(d, pdf, facility=PHARMACY, roll=True)
    assert info.reference == "200000000008" and not info.reference_pending
    assert zbar(render_png(pdf), "qrcode") == ["200000000008"]
