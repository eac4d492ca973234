"""The pharmacy's screens for `ui.screenshots` (`noskhe demo --screenshots DIR`, the README): retrieve, a
paper's verdict, the counter with a pack scanned, the receipt's preview, the needs-attention panel.

They are registered by `ui.screenshots` (which imports `PHARMACY_SCREENS` at its end) and read what the
clinic's screens left in `shots.state`: the patient, `paper_pdf` (the printed paper prescription, whose QR
is read back with zbarimg) and, when the caller can reach the exchange's shelf, `ttac_sample(drug)` → a
genuine pack code. Each returns the widget to grab, never None when the demo world is there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from ui.common.mainwindow import MainWindow
    from ui.pharmacy import PharmacyDesk
    from ui.pharmacy.counter import CounterView
    from ui.screenshots import Shots

#: an expired pack's GS1 DataMatrix, for when no genuine code can be had (the refusal shows instead)
EXPIRED_PACK = "01062600010100241720013110LOT7<GS>211234567890123457"


def _desk(shots: Shots) -> tuple[MainWindow, PharmacyDesk]:
    window = shots.logged_in()
    return window, window.desk


def _retrieve(shots: Shots) -> QWidget | None:
    window, desk = _desk(shots)
    patient = shots.state.get("patient") or shots.patient
    desk.show_retrieve()
    desk.retrieve.set_key(patient[0], patient[1])
    shots.wait(lambda: bool(desk.retrieve.found) or not desk.retrieve.busy, 20)
    shots.wait(lambda: not desk.retrieve.busy, 20)
    return window


def _paper_verdict(shots: Shots) -> QWidget | None:
    window, desk = _desk(shots)
    desk.show_retrieve()
    text = _paper_qr(shots)
    desk.retrieve.verdict = None
    desk.retrieve.scan_paper(text or "NQ1-not-a-paper-prescription")
    shots.wait(lambda: desk.retrieve.verdict is not None, 20)
    return window


def _paper_qr(shots: Shots) -> str | None:
    pdf = shots.state.get("paper_pdf")
    if not pdf:
        return None
    from app.errors import NoskheError
    from printing.pharmacy import read_qr_image
    from ui.common.paper import page_images

    try:
        image = Path(str(pdf)).with_suffix(".png")
        page_images(Path(str(pdf)), dpi=200)[0].save(str(image))
        return read_qr_image(image)[0]
    except (NoskheError, IndexError, OSError):
        return None


def _counter(shots: Shots) -> QWidget | None:
    window, desk = _desk(shots)
    rx_id = next((rx.id for rx in desk.retrieve.found), None) or shots.state.get("rx_id")
    if rx_id is None:
        return window
    counter = desk.open_prescription(str(rx_id))
    shots.wait(lambda: counter.rx is not None and counter.verdict is not None, 20)
    shots.state["counter"] = counter
    if counter.rx is None or not counter.rx.items:
        return window
    first = counter.rx.items[0]
    sample: Callable[[str], list[str]] | None = shots.state.get("ttac_sample")
    counter.select_line(first.line)
    counter.scan_pack(sample(first.drug_code)[0] if sample else EXPIRED_PACK)
    _settled(shots, counter)
    if sample and len(counter.rx.items) > 1:  # the second line's pack as its GS1 DataMatrix reads
        second = counter.rx.items[1]
        counter.select_line(second.line)
        counter.scan_pack(_gs1_of(shots, sample(second.drug_code)[0]))
        _settled(shots, counter)
    if first.quantity > 1:
        counter.set_quantity(first.line, first.quantity - first.quantity // 3)
    counter.payment_id.setText("PAY2026113001")
    counter.pos_terminal.setText("POS10443")
    shots.settle(0.5)
    shots.wait(lambda: counter.verdict is not None, 10)
    return window


def _gs1_of(shots: Shots, code: str) -> str:
    """The GS1 element string printed on the pack with authenticity code `code`, as TTAC knows it."""
    answer = shots.ws.client.ttac(code)
    batch = answer.get("batch") or {}
    expiry = str(batch.get("expirationDate") or "2099-12-31").replace("-", "")[2:]
    return f"01{str(answer.get('gtin') or '').zfill(14)}17{expiry}10{batch.get('lotNumber') or 'LOT1'}<GS>21{code}"


def _settled(shots: Shots, counter: CounterView) -> None:
    shots.wait(lambda: all(p.check is not None for p in counter.state.packs), 20)


def _receipt(shots: Shots) -> QWidget | None:
    from ui.pharmacy import operations as ops
    from ui.pharmacy.receipt import preview_pdf

    window, _ = _desk(shots)
    counter: CounterView | None = shots.state.get("counter")
    if counter is None or counter.rx is None:
        return window
    counter.ttac_reason.setText("برچسب بسته پاره است" if shots.lang == "fa" else "label torn")
    counter.dispense()
    shots.wait(lambda: counter.state.last is not None or counter.error.isVisible(), 30)
    if counter.state.last is None:
        return window
    made: list[Path] = []
    ops.receipt_pdf(shots.ws, counter.state.last.dispensing.id, roll=True).success(made.append).run(
        window.host
    )
    shots.wait(lambda: bool(made), 20)
    if not made:
        return window
    preview = preview_pdf(made[0], window, roll=True)
    preview.resize(520, 900)
    return preview


def _conflicts(shots: Shots) -> QWidget | None:
    window, desk = _desk(shots)
    panel = desk.open_attention()
    shots.wait(lambda: bool(panel.items), 3)
    return window


#: (name, render function), in the order rendered; all for the pharmacy
PHARMACY_SCREENS: tuple[tuple[str, Callable[[Shots], QWidget | None]], ...] = (
    ("pharmacy-retrieve", _retrieve),
    ("pharmacy-paper-verdict", _paper_verdict),
    ("pharmacy-counter", _counter),
    ("pharmacy-receipt", _receipt),
    ("pharmacy-conflicts", _conflicts),
)

__all__ = ["EXPIRED_PACK", "PHARMACY_SCREENS"]
