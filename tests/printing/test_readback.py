"""Render the paper prescription and read it back with independent tools: poppler and zbar.

`pdftoppm -r 300` then `zbarimg` must decode the HID barcode to the HID, the id barcode to the id (or the
tracking code), and the QR to a payload that verifies; `pdftotext` must show the digits and Persian lines
in reading order.
"""

import subprocess
from pathlib import Path

import pytest

from app.domain import Facility
from printing.paper import paper_payload, verify_text
from printing.prescription_pdf import render_prescription
from tests.printing.conftest import (
    HID,
    NATIONAL_CODE,
    Pki,
    need,
    pdf_text,
    render_png,
    sample_prescription,
    zbar,
)

FACILITY = Facility("12345678", "درمانگاه شبانه‌روزی امید", "clinic", phone="02112345678")


@pytest.fixture(scope="module")
def page(pki: Pki, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    need("pdftoppm", "pdftotext", "zbarimg")
    rx = sample_prescription()
    gp = pki.signer("paper-gp-ec")
    signature = gp.sign(b"document")  # stands for the prescription's own signature: names signer and time
    pdf = tmp_path_factory.mktemp("rx") / "rx.pdf"
    info = render_prescription(
        rx,
        pdf,
        facility=FACILITY,
        payload=paper_payload(rx, gp),
        signature=signature,
        insurer_name="تأمین اجتماعی",
    )
    return rx, pdf, info, render_png(pdf)


def test_hid_and_id_barcodes_decode(page) -> None:  # type: ignore[no-untyped-def]
    rx, _pdf, info, png = page
    codes = zbar(png, "code128")
    assert HID in codes and rx.id in codes
    assert info.hid_barcode == HID and not info.hid_pending and info.id_barcode == rx.id


def test_qr_decodes_to_a_payload_that_verifies(page, pki: Pki) -> None:  # type: ignore[no-untyped-def]
    rx, _pdf, info, png = page
    (text,) = zbar(png, "qrcode")
    assert text == info.payload
    paper = verify_text(text, pki.trust)
    assert paper.fields.prescription_id == rx.id and paper.fields.hid == HID
    assert info.qr is not None and info.qr.version <= 25


def test_text_shows_digits_and_persian_in_reading_order(page) -> None:  # type: ignore[no-untyped-def]
    _rx, pdf, _info, _png = page
    text = pdf_text(pdf)
    assert HID in text.replace(" ", "")  # printed in groups of four under the barcode
    assert NATIONAL_CODE in text  # the patient block, Persian digits read back as digits
    for line in (
        "درمانگاه شبانهروزی امید",
        "ساعت یک کپسول",
        "تا پایان دوره",
        "روزی یک قرص",
        "نسخه کاغذی اضطراری",
        "تأمین اجتماعی",
        "آزمایشی دکتر سارا رضایی",
        "Acetaminophen 500 mg",
    ):
        assert line in text, line
    assert "دوره پایان تا" not in text  # what a left-to-right drawing of Persian would read as


def test_pending_hid_prints_the_national_code_as_barcode(pki: Pki, tmp_path: Path) -> None:
    need("pdftoppm", "pdftotext", "zbarimg")
    rx = sample_prescription(hid=None, tracking="100000000009")
    pdf = tmp_path / "pending.pdf"
    info = render_prescription(rx, pdf, facility=FACILITY, payload=None)
    assert info.hid_pending and info.hid_barcode == NATIONAL_CODE and info.id_barcode == "100000000009"
    codes = zbar(render_png(pdf), "code128")
    assert NATIONAL_CODE in codes and "100000000009" in codes and rx.id not in codes
    text = pdf_text(pdf)
    assert "HID pending" in text and "شباد در انتظار" in text and "کد رهگیری نسخه" in text
    assert "امضای الکترونیک ندارد" in text


def test_long_prescription_continues_on_a_second_page(pki: Pki, tmp_path: Path) -> None:
    need("pdftotext")
    rx = sample_prescription(items=12)
    pdf = tmp_path / "long.pdf"
    signature = pki.signer("paper-gp-ec").sign(b"x")
    info = render_prescription(rx, pdf, facility=FACILITY, payload=None, signature=signature)
    assert info.pages == 2
    text = pdf_text(pdf)
    assert "ادامه نسخه" in text and text.count("لوراتادین") == 4
    assert signature.signer.name in text


def test_print_ready_every_font_embedded(page) -> None:  # type: ignore[no-untyped-def]
    need("pdffonts")
    _rx, pdf, _info, _png = page
    rows = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), rows  # the «emb» column


def test_no_price_list_yet_is_shown_as_pending_not_as_free(tmp_path: Path) -> None:
    need("pdftotext")
    from dataclasses import replace

    from app.domain import CostSplit

    rx = sample_prescription(hid=None)
    rx.items = [replace(it, cost=CostSplit()) for it in rx.items]
    pdf = tmp_path / "unpriced.pdf"
    render_prescription(rx, pdf, facility=FACILITY, payload=None)
    text = pdf_text(pdf)
    assert "cost estimate pending" in text and "جمع: ۰" not in text
