"""The paper prescription's layout: no line runs into another or off the page, whatever the names.

Every string reportlab draws is measured (its font's widths, the font size) against the page's margins,
the other strings, the QR and the barcodes; the PDF is then read back with `pdftotext -bbox-layout` (an
independent reader) for the page bounds and the words. Cases: long Persian names (patient, prescriber,
facility, drug, instructions, notes), a long insurer name with a supplementary plan while eligibility is
pending, an override reason and the days of each line, a newborn of the armed forces whose HID is pending.
A registered prescription prints as an ordinary copy (its HID barcode and tracking code), an unregistered
one as the section-12 emergency copy — from `noskhe rx print` and from the desktop's print (Save as PDF and
the print preview both render `ui.clinic.operations.print_to_pdf`).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A5
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from app.domain import Coverage, Facility, PatientId, Prescriber, Prescription
from app.signing import SignatureRole as R
from printing import prescription_pdf
from printing.barcodes import code128_modules
from printing.paper import PAYLOAD_BLOB, paper_payload
from printing.prescription_pdf import MARGIN, render_prescription
from tests.conftest import PASSPHRASE
from tests.printing.conftest import HID, P12_PASS, Pki, need, pdf_text, sample_prescription

WIDTH, HEIGHT = A5
TRACKING = "100000000009"
LONG_FACILITY = "درمانگاه تخصصی و فوق تخصصی شبانه‌روزی خیریه حضرت ابوالفضل العباس (ع) شعبه شمال غرب تهران"
LONG_PATIENT = ("عبدالرحمان‌محمدحسین", "میرزاقاسمی‌نژاد اصفهانی‌زاده طباطبایی‌فر")
LONG_PRESCRIBER = "آزمایشی دکتر سیدمحمدرضا حسینی‌نژاد طباطبایی اصفهانی"
LONG_INSURER = "سازمان بیمه سلامت ایران — صندوق بیمه روستاییان و عشایر و سایر اقشار (بیمه همگانی)"
OVERRIDE = (
    "بیمار سال‌ها با همین ترکیب دارو بدون عارضه درمان شده و پایش منظم فشار خون و آزمایش کلیه انجام می‌شود؛"
    " جایگزین مناسب در دسترس نیست"
)


@dataclasses.dataclass(frozen=True)
class Box:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    what: str

    def meets(self, other: Box, slack: float = 0.3) -> bool:
        return (
            self.page == other.page
            and min(self.x1, other.x1) - max(self.x0, other.x0) > slack
            and min(self.y1, other.y1) - max(self.y0, other.y0) > slack
        )


@dataclasses.dataclass
class Drawn:
    texts: list[Box] = dataclasses.field(default_factory=list)
    graphics: list[Box] = dataclasses.field(default_factory=list)  # the QR and the barcodes


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[Drawn]:
    """Every string, QR and barcode the paper draws, measured as it is drawn."""
    seen = Drawn()
    draw_string = Canvas.drawString

    def text(self: Canvas, x: float, y: float, s: str, *a: object, **k: object) -> None:
        size = self._fontsize
        w = pdfmetrics.stringWidth(s, self._fontname, size)
        seen.texts.append(Box(self.getPageNumber(), x, y - 0.2 * size, x + w, y + 0.72 * size, s))
        draw_string(self, x, y, s, *a, **k)

    qr, bars = prescription_pdf.draw_qr, prescription_pdf.draw_code128

    def draw_qr(c: Canvas, x: float, y: float, payload: str, size: float, **k: object):  # type: ignore[no-untyped-def]
        seen.graphics.append(Box(c.getPageNumber(), x, y, x + size, y + size, "QR"))
        return qr(c, x, y, payload, size, **k)

    def draw_code128(c: Canvas, x: float, y: float, value: str, *, module: float, height: float) -> None:
        w = len(code128_modules(value)) * module
        seen.graphics.append(Box(c.getPageNumber(), x, y, x + w, y + height, f"barcode {value}"))
        bars(c, x, y, value, module=module, height=height)

    monkeypatch.setattr(Canvas, "drawString", text)
    monkeypatch.setattr(prescription_pdf, "draw_qr", draw_qr)
    monkeypatch.setattr(prescription_pdf, "draw_code128", draw_code128)
    yield seen


def assert_laid_out(seen: Drawn) -> None:
    """Inside the margins, no string over another string, the QR or a barcode."""
    assert seen.texts
    for b in seen.texts + seen.graphics:
        assert MARGIN - 0.5 <= b.x0 and b.x1 <= WIDTH - MARGIN + 0.5, f"off the side: {b}"
        assert MARGIN - 0.5 <= b.y0 and b.y1 <= HEIGHT - MARGIN + 0.5, f"off the top or bottom: {b}"
    boxes = seen.texts
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.meets(b), f"{a.what!r} overlaps {b.what!r}\n{a}\n{b}"
        for g in seen.graphics:
            assert not a.meets(g, slack=0.0), f"{a.what!r} is drawn over the {g.what}"


def bbox_words(pdf: Path) -> list[tuple[int, float, float, float, float, str]]:
    """`pdftotext -bbox-layout`: (page, xMin, yMin, xMax, yMax, word) in points from the top left."""
    html = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    words, page = [], 0
    for line in html.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line
        )
        if m:
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            words.append((page, x0, y0, x1, y1, m.group(5)))
    return words


def assert_read_back_inside(pdf: Path) -> None:
    need("pdftotext")
    words = bbox_words(pdf)
    assert words
    for page, x0, _y0, x1, _y1, word in words:
        assert MARGIN - 1 <= x0 and x1 <= WIDTH - MARGIN + 1, (page, x0, x1, word)


def long_prescription(*, hid: str | None, tracking: str | None = None, items: int = 3) -> Prescription:
    rx = sample_prescription(hid=hid, tracking=tracking, items=items)
    rx.patient = dataclasses.replace(
        rx.patient,
        first_name=LONG_PATIENT[0],
        last_name=LONG_PATIENT[1],
        phone="09121234567",
        coverage=Coverage("SALAMAT", insurer_percent=70),
        supplementary=Coverage("DANA-SUPPLEMENTARY-PLAN", insurer_percent=20),
    )
    rx.prescriber = Prescriber(LONG_PRESCRIBER, "123456", "پزشک عمومی", phone="02188776655")
    rx.items = [
        dataclasses.replace(
            it,
            drug_name=it.drug_name + " (فرآورده وارداتی با بسته‌بندی بیمارستانی ویژه)",
            instructions=it.instructions + "؛ در صورت بروز حساسیت پوستی مصرف را قطع و به پزشک مراجعه کنید",
            days=30 if i == 0 else 7,
        )
        for i, it in enumerate(rx.items)
    ]
    rx.override_reason = OVERRIDE
    rx.notes = "بیمار سابقه حساسیت به پنی‌سیلین ندارد؛ پیگیری دو هفته بعد " * 3
    rx.provider_user_id = "12345678:0012345679"
    return rx


def render(rx: Prescription, out: Path, pki: Pki | None = None, **kw: object):  # type: ignore[no-untyped-def]
    payload = paper_payload(rx, pki.signer("paper-gp-ec")) if pki else None
    return render_prescription(
        rx,
        out,
        facility=Facility(
            "12345678", LONG_FACILITY, "clinic", phone="02112345678", national_id="10101010101"
        ),
        payload=payload,
        insurer_name=LONG_INSURER,
        **kw,  # type: ignore[arg-type]
    )


def test_pending_insurance_with_a_long_insurer_stays_in_its_column(
    drawn: Drawn, tmp_path: Path, pki: Pki
) -> None:
    """The tester's paper: «(insurance pending)» was printed over «تخصص: پزشک عمومی», the bold cost line
    ran past the left margin."""
    rx = long_prescription(hid=None)
    pdf = tmp_path / "pending.pdf"
    info = render(rx, pdf, pki)
    assert info.hid_pending and info.emergency
    assert_laid_out(drawn)
    assert_read_back_inside(pdf)
    text = pdf_text(pdf)
    assert "insurance pending" in text and "پزشک عمومی" in text and "بیمه همگانی" in text
    assert "برآورد" in text and "estimate" in text and "until insurance is confirmed" in text


def test_days_and_the_override_reason_are_printed(drawn: Drawn, tmp_path: Path) -> None:
    rx = long_prescription(hid=HID)
    pdf = tmp_path / "override.pdf"
    render(rx, pdf)
    assert_laid_out(drawn)
    assert_read_back_inside(pdf)
    text = pdf_text(pdf)
    assert "مدت مصرف 30" in text and "مدت مصرف 7" in text  # pdftotext puts the colon after the digits
    assert "override reason" in text
    assert "جایگزین مناسب در دسترس نیست" in text  # the reason's end: wrapped, not cut


def test_a_long_prescription_over_pages_stays_inside(drawn: Drawn, tmp_path: Path, pki: Pki) -> None:
    rx = long_prescription(hid=None, items=14)
    pdf = tmp_path / "long.pdf"
    info = render(rx, pdf, pki)
    assert info.pages >= 2
    assert_laid_out(drawn)
    assert_read_back_inside(pdf)


@pytest.mark.parametrize(
    "patient_id",
    [PatientId("armed-forces-newborn", "123456789-2"), PatientId("newborn", "0012345679-2")],
)
def test_a_newborn_with_hid_pending_keeps_the_barcode_title_in_its_column(
    drawn: Drawn, tmp_path: Path, pki: Pki, patient_id: PatientId
) -> None:
    rx = long_prescription(hid=None)
    rx.patient = dataclasses.replace(rx.patient, id=patient_id)
    render(rx, tmp_path / "newborn.pdf", pki)
    assert_laid_out(drawn)


def test_registered_is_an_ordinary_copy_unregistered_the_emergency_copy(
    drawn: Drawn, tmp_path: Path, pki: Pki
) -> None:
    registered = long_prescription(hid=HID, tracking=TRACKING)
    pdf = tmp_path / "registered.pdf"
    info = render(registered, pdf, pki)
    assert not info.emergency and info.id_barcode == TRACKING and info.hid_barcode == HID
    assert_laid_out(drawn)
    text = pdf_text(pdf)
    assert "اضطراری" not in text and "قطع اینترنت" not in text and "بند 12" not in text
    assert "رونوشت کاغذی" in text and "Registered e-prescription" in text and "کد رهگیری" in text
    drawn.texts.clear(), drawn.graphics.clear()
    unregistered = long_prescription(hid=HID)
    pdf = tmp_path / "unregistered.pdf"
    assert render(unregistered, pdf, pki).emergency
    assert_laid_out(drawn)
    text = pdf_text(pdf)
    assert "نسخه کاغذی اضطراری" in text and "بند 12" in text and "رونوشت کاغذی" not in text


# ---- the real print paths: `noskhe rx print` and the desktop's ------------------------------------------


@pytest.fixture
def kept(store, pki: Pki):  # type: ignore[no-untyped-def]
    """Two signed prescriptions in a real store: one registered (tracking code and HID), one queued while
    the exchange was down; their QR payloads signed once (as a first print would), so no token is asked."""
    from app.canonical import canonical_bytes
    from app.lifecycle import RxState

    out = {}
    for kind, rx in (
        ("registered", long_prescription(hid=HID, tracking=TRACKING)),
        ("queued", long_prescription(hid=None)),
    ):
        data = canonical_bytes(rx.document())
        sigs = [pki.signer("paper-gp-ec").sign(data), pki.signer("paper-clinic", R.FACILITY).sign(data)]
        rx.mark_signed()
        rx.state = RxState.REGISTERED if kind == "registered" else RxState.QUEUED
        store.save_prescription(rx, sigs)
        payload = paper_payload(rx, pki.signer("paper-gp-ec"))
        store.put_blob(PAYLOAD_BLOB.format(id=rx.id, version=rx.version), payload.encode("ascii"))
        out[kind] = rx
    return out


def _assert_kind(pdf: Path, registered: bool) -> None:
    text = pdf_text(pdf)
    if registered:
        assert "اضطراری" not in text and "قطع اینترنت" not in text and "رونوشت کاغذی" in text
        assert TRACKING in text.replace(" ", "") and HID in text.replace(" ", "")
    else:
        assert "نسخه کاغذی اضطراری" in text and "قطع اینترنت" in text
    assert_read_back_inside(pdf)


def test_rx_print_prints_each_kind(
    kept, store, data_dir: Path, tmp_path: Path, pki: Pki, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from app.cli import main

    need("pdftotext")
    store.close()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("NOSKHE_KEY_PASSPHRASE", P12_PASS)
    monkeypatch.setenv("NOSKHE_TRUST_LIST", str(pki.tokens.trust_list))
    monkeypatch.setenv("NOSKHE_PKCS11_MODULE", "/nonexistent/no-token-here.so")
    for kind, rx in kept.items():
        pdf = tmp_path / f"{kind}.pdf"
        assert main(["--data-dir", str(data_dir), "rx", "print", rx.id, "-o", str(pdf)]) == 0
        _assert_kind(pdf, registered=kind == "registered")
    by_hid = tmp_path / "by-hid.pdf"  # the registered one named by its HID, as `rx list` shows it
    assert main(["--data-dir", str(data_dir), "rx", "print", HID, "-o", str(by_hid)]) == 0
    _assert_kind(by_hid, registered=True)


def test_the_desktop_prints_each_kind(kept, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The desktop's Ctrl+P, its print preview and Save as PDF all print `print_to_pdf`'s file."""
    from app.prompter import FixedPrompter
    from app.workstation import Workstation

    need("pdftotext")
    pytest.importorskip("PySide6")
    from ui.clinic import operations as ops

    ws = Workstation(store, FixedPrompter())
    for kind, rx in kept.items():
        pdf = ops.print_to_pdf(ws, rx.id, tmp_path / f"desk-{kind}.pdf")._work()
        _assert_kind(pdf, registered=kind == "registered")
