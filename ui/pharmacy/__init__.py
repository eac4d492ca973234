"""The pharmacy's desk in the main window: retrieving prescriptions (online by a key, or a paper QR verified
offline), the counter for each one (the rules, packs and their TTAC verdicts, partial quantities, the cost
split, signing, the receipt), what needs attention after the exchange answered, the kept prescriptions and
the catalog.

A scanner's burst is routed by what it is: a patient's card or a tracking code retrieves (a patient's card
while the retrieve page asks for their code answers it); a paper QR is verified; a pack's code (16 digits, or a GS1 DataMatrix / Code 128 string) goes to the counter in front.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from ui.common.catalog import CatalogView
from ui.common.prescriptions import PrescriptionsView
from ui.common.scanner import Scanned
from ui.common.statements import add_report_pages
from ui.pharmacy.attention import AttentionPanel
from ui.pharmacy.counter import CounterView
from ui.pharmacy.retrieve import RetrieveView

if TYPE_CHECKING:
    from ui.common.mainwindow import MainWindow

RETRIEVE_KEYS = {"national-code", "fida", "unique-id", "newborn"}


class PharmacyDesk(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window, self.host = window, window.host
        self.retrieve = RetrieveView(self.host)
        self.prescriptions = PrescriptionsView(self.host)
        self.prescriptions.today.setChecked(False)
        self.catalog = CatalogView(self.host)
        window.add_page(self.retrieve, "ph_tab_retrieve", closable=False)
        window.add_page(self.prescriptions, "tab_prescriptions", closable=False)
        window.add_page(self.catalog, "tab_catalog", closable=False)
        self.reports = add_report_pages(window, self.open_prescription)  # history, statement, dashboard
        self.retrieve.open_requested.connect(self.open_prescription)
        self.prescriptions.open_requested.connect(self.open_prescription)
        window.action("ph_tab_retrieve", lambda: self.show_retrieve(), "Ctrl+R", menu="menu_rx")
        window.action("ph_attention_panel", lambda: self.open_attention(), "F10", menu="menu_sync")
        window.action(
            "tab_prescriptions", lambda: window.show_page(self.prescriptions), "Ctrl+1", menu="menu_view"
        )
        window.action("tab_catalog", lambda: window.show_page(self.catalog), "Ctrl+2", menu="menu_view")
        # the status bar's "needs attention": the conflicts panel when something needs the pharmacist
        window.light.clicked.disconnect(window.open_sync_panel)
        window.light.clicked.connect(self.light_clicked)

    def show_retrieve(self) -> None:
        self.window.show_page(self.retrieve)
        self.retrieve.value.setFocus()

    def open_prescription(self, rx_id: str) -> CounterView:
        """The counter for prescription `rx_id` (id or tracking code), opened once."""
        existing = self.window.find_page(lambda p: isinstance(p, CounterView) and p.rx_id == rx_id)
        if existing is not None:
            self.window.show_page(existing)
            return existing  # type: ignore[return-value]
        counter = CounterView(self.host, rx_id)
        counter.attention_requested.connect(self.open_attention)
        self.window.add_page(counter, "ph_counter")
        return counter

    def light_clicked(self) -> None:
        status = self.window.light.status
        if status is not None and status.attention:
            self.open_attention()
        else:
            self.window.open_sync_panel()

    def open_attention(self) -> AttentionPanel:
        existing = self.window.find_page(lambda p: isinstance(p, AttentionPanel))
        if existing is not None:
            self.window.show_page(existing)
            existing.refresh()  # type: ignore[attr-defined]
            return existing  # type: ignore[return-value]
        panel = AttentionPanel(self.host)
        panel.open_requested.connect(self.open_prescription)
        panel.sync_requested.connect(self.window.open_sync_panel)
        self.window.add_page(panel, "ph_attention_panel")
        return panel

    def counter_in_front(self) -> CounterView | None:
        page = self.window.current_page()
        return page if isinstance(page, CounterView) else None

    def route_scan(self, readings: list[Scanned]) -> bool:
        """A pack to the counter in front; a paper QR verified; a card or a code retrieves."""
        from app.packs import looks_like_gs1

        counter = self.counter_in_front()
        for scan in readings:
            pack = scan.kind == "ttac" or (scan.kind == "hid" and counter is not None)
            if pack or scan.kind == "pack" or (scan.kind == "paper" and looks_like_gs1(scan.value)):
                if counter is None:
                    self._say("ph_scan_pack_no_counter")
                else:
                    counter.scan_pack(scan.value)
                return True
            if scan.kind == "paper":
                self.show_retrieve()
                self.retrieve.scan_paper(scan.value)
                return True
            if scan.kind in ("tracking-code", "hid"):
                self.show_retrieve()
                self.retrieve.set_key("tracking" if scan.kind == "tracking-code" else "hid", scan.value)
                return True
            if scan.kind == "patient" and self.retrieve.pending is not None and counter is None:
                self.show_retrieve()  # the patient's card while their code is asked: it is checked
                self.retrieve.scan_patient(scan.value)
                return True
            if scan.kind == "patient":
                kind, _, value = scan.value.partition(":")
                if kind in RETRIEVE_KEYS:
                    self.show_retrieve()
                    self.retrieve.set_key(kind, value)
                    return True
        return False

    def _say(self, key: str, **kw: object) -> None:
        self.window.statusBar().showMessage(self.host.words(key, **kw), 8000)

    def pages_with_work(self) -> list[QWidget]:
        """Counters holding scanned packs not yet signed."""
        return [p for p in self.window.pages() if isinstance(p, CounterView) and p.state.packs]


__all__ = ["PharmacyDesk"]
