"""The receipt on paper: an 80 mm thermal roll or A5, through Qt's print dialog, or saved as a PDF.

`printing.pharmacy.print_receipt` makes the PDF (the one true copy: "Save as PDF" writes it byte for byte);
printing draws its pages with `ui.common.paper` — on a page as wide as the roll (80 mm, as long as the
receipt) or on A5.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSizeF
from PySide6.QtGui import QPageSize
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from ui.common import paper
from ui.pharmacy import operations as ops

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from ui.common.host import Host

ROLL_MM = 80.0


def roll_printer(images: list[QImage], name: str | None = None) -> QPrinter:
    """A printer set up for an 80 mm roll, the page as long as the receipt's first page."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    first = images[0] if images else None
    length = ROLL_MM * first.height() / first.width() if first is not None and first.width() else 200.0
    printer.setPageSize(QPageSize(QSizeF(ROLL_MM, length), QPageSize.Unit.Millimeter, "80 mm roll"))
    printer.setFullPage(True)
    if name:
        printer.setPrinterName(name)
    return printer


def print_pdf(pdf: Path, parent: QWidget | None, *, roll: bool, printer_name: str | None = None) -> bool:
    """Ask where to print the receipt `pdf` and print it; True when it was sent to the printer."""
    images = paper.page_images(pdf, dpi=203 if roll else 150)  # 203 dpi: a thermal printer's dots
    printer = roll_printer(images, printer_name) if roll else paper.a5_printer(printer_name)
    if not paper.PrintDialog.ask(printer, parent):
        return False
    paper.paint(printer, images)
    return True


def print_receipt(host: Host, dispensing_id: str, parent: QWidget, *, roll: bool) -> None:
    """Make the receipt PDF in the background, then the print dialog."""
    name = host.ws.setting("printing.roll_printer" if roll else "printing.a5_printer") or None
    ops.receipt_pdf(host.ws, dispensing_id, roll=roll).success(
        lambda pdf: print_pdf(pdf, parent, roll=roll, printer_name=name)
    ).run(host)


def save_receipt(host: Host, dispensing_id: str, parent: QWidget, *, roll: bool) -> None:
    """Ask where to save the receipt as a PDF, then write it there."""
    target = paper.SaveDialog.ask(parent, host.words("ph_save_receipt"), f"receipt-{dispensing_id[-8:]}.pdf")
    if target is not None:
        out = target if target.suffix.lower() == ".pdf" else target.with_suffix(".pdf")
        ops.receipt_pdf(host.ws, dispensing_id, roll=roll, out=out).run(host)


def preview_pdf(pdf: Path, parent: QWidget | None, *, roll: bool) -> QPrintPreviewDialog:
    """A print preview of the receipt `pdf` on its paper (shown, not modal)."""
    images = paper.page_images(pdf, dpi=203 if roll else 150)
    printer = roll_printer(images) if roll else paper.a5_printer()
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.printer_ = printer  # type: ignore[attr-defined]  # the dialog keeps only a pointer to it
    dialog.paintRequested.connect(lambda target: paper.paint(target, images))
    dialog.open()
    return dialog


__all__ = ["ROLL_MM", "preview_pdf", "print_pdf", "print_receipt", "roll_printer", "save_receipt"]
