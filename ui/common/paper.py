"""Putting a PDF made by `printing/` on paper: a printer chosen in Qt's print dialog (or the one set in
Settings), a print preview, or a PDF saved where the user says.

Qt cannot draw a PDF itself (QtPdf is not part of PySide6-Essentials), so each page is rendered with
poppler's `pdftoppm` at the printer's resolution and drawn to fill the page; the PDF `printing/` made stays
the one true copy (it is what "Save as PDF" writes, byte for byte).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QWidget

from app.errors import NoskheError


def page_images(pdf: Path, dpi: int = 150) -> list[QImage]:
    """Every page of `pdf` as an image at `dpi`. Raises `NoskheError` when poppler-utils is missing."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise NoskheError(
            "Printing needs poppler-utils (pdftoppm); save the PDF instead, or install it.",
            "برای چاپ، poppler-utils (pdftoppm) لازم است؛ PDF را ذخیره کنید یا آن را نصب کنید.",
        )
    with tempfile.TemporaryDirectory(prefix="noskhe-print-") as tmp:
        subprocess.run([tool, "-r", str(dpi), "-png", str(pdf), f"{tmp}/page"], check=True, timeout=60)
        return [QImage(str(p)) for p in sorted(Path(tmp).glob("page*.png"))]


def paint(printer: QPrinter, images: list[QImage]) -> None:
    """Draw each page image on its own printer page, scaled to the printable area, aspect kept."""
    painter = QPainter(printer)
    try:
        for n, image in enumerate(images):
            if n:
                printer.newPage()
            area = painter.viewport()
            size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(area.x(), area.y(), size.width(), size.height()), image)
    finally:
        painter.end()


def a5_printer(name: str | None = None) -> QPrinter:
    """A printer set up for an A5 page, the named one when given (Settings → printers)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A5))
    if name:
        printer.setPrinterName(name)
    return printer


class PrintDialog:
    """Qt's print dialog; True when the user chose to print. Tests replace `ask`."""

    @classmethod
    def ask(cls, printer: QPrinter, parent: QWidget | None) -> bool:
        return QPrintDialog(printer, parent).exec() == QPrintDialog.DialogCode.Accepted


class SaveDialog:
    """Where to save a PDF; None when the user gives up. Tests replace `ask`."""

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, suggested: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, "PDF (*.pdf)")
        return Path(path) if path else None


def print_pdf(pdf: Path, parent: QWidget | None, *, printer_name: str | None = None) -> bool:
    """Ask where to print `pdf` and print it; True when it was sent to the printer."""
    printer = a5_printer(printer_name)
    if not PrintDialog.ask(printer, parent):
        return False
    paint(printer, page_images(pdf, dpi=min(300, max(150, printer.resolution()))))
    return True


def preview_pdf(pdf: Path, parent: QWidget | None, *, printer_name: str | None = None) -> QPrintPreviewDialog:
    """A print preview of `pdf` (shown, not modal); printing from it prints these pages."""
    images = page_images(pdf)
    printer = a5_printer(printer_name)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.printer_ = printer  # type: ignore[attr-defined]  # the dialog keeps only a pointer to it
    dialog.paintRequested.connect(lambda target: paint(target, images))
    dialog.open()
    return dialog


def save_pdf(pdf: Path, target: Path) -> Path:
    """Copy the PDF `printing/` made to `target` (a `.pdf` added when missing); returns where it went."""
    target = target if target.suffix.lower() == ".pdf" else target.with_suffix(".pdf")
    shutil.copyfile(pdf, target)
    return target


__all__ = [
    "PrintDialog",
    "SaveDialog",
    "a5_printer",
    "page_images",
    "paint",
    "preview_pdf",
    "print_pdf",
    "save_pdf",
]
