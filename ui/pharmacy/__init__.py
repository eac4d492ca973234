"""The pharmacy's desk in the main window. Part one of the desktop gives it what every workstation has —
login and lock, sync, settings, the kept prescriptions and the catalog; retrieving and dispensing at the
counter are the next part (the CLI's `noskhe rx retrieve` and `noskhe dispense` do them today)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from ui.clinic import operations as ops
from ui.clinic.detail import PrescriptionDetail
from ui.common.catalog import CatalogView
from ui.common.prescriptions import PrescriptionsView
from ui.common.scanner import Scanned

if TYPE_CHECKING:
    from ui.common.mainwindow import MainWindow


class PharmacyDesk(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window, self.host = window, window.host
        self.prescriptions = PrescriptionsView(self.host)
        self.prescriptions.today.setChecked(False)
        self.catalog = CatalogView(self.host)
        window.add_page(self.prescriptions, "tab_prescriptions", closable=False)
        window.add_page(self.catalog, "tab_catalog", closable=False)
        self.prescriptions.open_requested.connect(self.open_prescription)
        window.action(
            "tab_prescriptions", lambda: window.show_page(self.prescriptions), "Ctrl+1", menu="menu_view"
        )
        window.action("tab_catalog", lambda: window.show_page(self.catalog), "Ctrl+2", menu="menu_view")

    def open_prescription(self, rx_id: str) -> PrescriptionDetail:
        existing = self.window.find_page(lambda p: isinstance(p, PrescriptionDetail) and p.rx_id == rx_id)
        if existing is not None:
            self.window.show_page(existing)
            return existing  # type: ignore[return-value]
        detail = PrescriptionDetail(self.host, rx_id, prescriber=False)
        for button in (detail.print_button, detail.save_button):
            button.hide()  # the prescriber prints the paper copy; the pharmacy prints receipts
        self.window.add_page(detail, "rx")
        return detail

    def route_scan(self, readings: list[Scanned]) -> bool:
        """A tracking code opens a kept prescription; the rest waits for the counter screen."""
        for scan in readings:
            if scan.kind in ("tracking-code", "hid"):
                ops.find_by_code(self.host.ws, scan.value).success(
                    lambda rx, s=scan: (
                        self.open_prescription(rx.id) if rx else self._say("scan_not_found", code=s.value)
                    )
                ).run(self.host)
                return True
        if readings:
            self._say("scan_use_cli_for_counter")
            return True
        return False

    def _say(self, key: str, **kw: object) -> None:
        self.window.statusBar().showMessage(self.host.words(key, **kw), 8000)

    def pages_with_work(self) -> list[QWidget]:
        return []


__all__ = ["PharmacyDesk"]
