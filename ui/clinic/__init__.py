"""The clinic's desk in the main window: today's prescriptions, the catalog, writing, editing, cancelling
and printing prescriptions, and where a scan goes at a clinic.

`ClinicDesk(window)` adds its pages and its actions (menu entries with shortcuts) to the main window
(`ui.common.mainwindow.MainWindow`); everything it does goes through `ui.clinic.operations`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain import Prescription
from ui.clinic import operations as ops
from ui.clinic.detail import PrescriptionDetail
from ui.clinic.editor import PrescriptionEditor
from ui.common import paper
from ui.common.catalog import CatalogView
from ui.common.prescriptions import PrescriptionsView
from ui.common.scanner import Scanned
from ui.common.statements import add_report_pages

if TYPE_CHECKING:
    from ui.common.mainwindow import MainWindow


class ClinicDesk(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = host_window = window
        self.host = host = window.host
        self.prescriptions = PrescriptionsView(host)
        self.catalog = CatalogView(host)
        host_window.add_page(self.prescriptions, "tab_prescriptions", closable=False)
        host_window.add_page(self.catalog, "tab_catalog", closable=False)
        self.reports = add_report_pages(window, self.open_prescription)  # history, statement, dashboard
        self.prescriptions.open_requested.connect(self.open_prescription)

        self.new_action = window.action(
            "new_rx", self.new_prescription, QKeySequence.StandardKey.New, menu="menu_rx"
        )
        self.print_action = window.action(
            "print", self.print_current, QKeySequence.StandardKey.Print, menu="menu_rx"
        )
        self.save_action = window.action("save_pdf", self.save_current, "Ctrl+Shift+S", menu="menu_rx")
        self.edit_action = window.action("edit_rx", self.edit_current, "Ctrl+E", menu="menu_rx")
        self.cancel_action = window.action("cancel_rx", self.cancel_current, "Ctrl+Shift+Del", menu="menu_rx")
        self.list_action = window.action(
            "tab_prescriptions", lambda: window.show_page(self.prescriptions), "Ctrl+1", menu="menu_view"
        )
        self.catalog_action = window.action(
            "tab_catalog", lambda: window.show_page(self.catalog), "Ctrl+2", menu="menu_view"
        )
        window.toolbar.addAction(self.new_action)
        window.toolbar.addAction(self.print_action)

    # ---- pages ------------------------------------------------------------------------------------

    def new_prescription(self, scanned_patient: str | None = None) -> PrescriptionEditor:
        """A new prescription tab (focus on the patient's id, ready for typing or a scan); for a scanned
        patient who already has one being written, that one."""
        if scanned_patient:
            open_draft = self._draft_of(scanned_patient)
            if open_draft is not None:
                self.window.show_page(open_draft)
                open_draft.search.setFocus()
                return open_draft
        editor = PrescriptionEditor(self.host)
        editor.signed.connect(lambda rx, e=editor: self._signed(e, rx))
        self.window.add_page(editor, "new_rx")
        if scanned_patient:
            editor.patient.set_scanned(scanned_patient)
            editor.search.setFocus()
        else:
            editor.patient.patient_code.setFocus()
        return editor

    def edit_prescription(self, rx: Prescription) -> PrescriptionEditor:
        existing = self.window.find_page(
            lambda p: isinstance(p, PrescriptionEditor) and p.editing is not None and p.editing.id == rx.id
        )
        if existing is not None:
            self.window.show_page(existing)
            return existing  # type: ignore[return-value]
        editor = PrescriptionEditor(self.host, rx)
        editor.signed.connect(lambda signed, e=editor: self._signed(e, signed))
        self.window.add_page(editor, "edit_rx")
        editor.search.setFocus()
        return editor

    def _signed(self, editor: PrescriptionEditor, rx: Prescription) -> None:
        self.window.close_page(editor)
        self.open_prescription(rx.id)
        self.window.statusBar().showMessage(self.host.words("signed_queued"), 8000)

    def open_prescription(self, rx_id: str) -> PrescriptionDetail:
        existing = self.window.find_page(lambda p: isinstance(p, PrescriptionDetail) and p.rx_id == rx_id)
        if existing is not None:
            self.window.show_page(existing)
            return existing  # type: ignore[return-value]
        detail = PrescriptionDetail(self.host, rx_id)
        detail.print_requested.connect(self.print_prescription)
        detail.save_requested.connect(self.save_prescription)
        detail.edit_requested.connect(self.edit_prescription)
        detail.cancel_requested.connect(self.cancel_prescription)
        self.window.add_page(detail, "rx")
        return detail

    def _current_rx_id(self) -> str | None:
        page = self.window.current_page()
        if isinstance(page, PrescriptionDetail):
            return page.rx_id
        if page is self.prescriptions:
            from ui.common.tables import row_key

            return row_key(self.prescriptions.table)
        return None

    # ---- actions on the current prescription ------------------------------------------------------

    def print_current(self) -> None:
        rx_id = self._current_rx_id()
        if rx_id:
            self.print_prescription(rx_id)

    def save_current(self) -> None:
        rx_id = self._current_rx_id()
        if rx_id:
            self.save_prescription(rx_id)

    def edit_current(self) -> None:
        page = self.window.current_page()
        if isinstance(page, PrescriptionDetail) and page.record is not None:
            self.edit_prescription(page.record.prescription)
        else:
            rx_id = self._current_rx_id()
            if rx_id:
                ops.show_prescription(self.host.ws, rx_id).success(
                    lambda rec: self.edit_prescription(rec.prescription)
                ).run(self.host)

    def cancel_current(self) -> None:
        page = self.window.current_page()
        if isinstance(page, PrescriptionDetail) and page.record is not None:
            self.cancel_prescription(page.record.prescription)

    def print_prescription(self, rx_id: str) -> None:
        """The paper copy: made (QR signed on first print), then Qt's print dialog."""
        name = self.window.setting("printing.a5_printer")
        ops.print_to_pdf(self.host.ws, rx_id).success(lambda pdf: self._print(Path(pdf), name)).with_progress(
            self.host.words("progress_printing")
        ).run(self.host)

    def _print(self, pdf: Path, printer: str | None) -> None:
        try:
            if paper.print_pdf(pdf, self.window, printer_name=printer):
                self.window.statusBar().showMessage(self.host.words("printed"), 5000)
        except Exception as exc:  # noqa: BLE001 — the one failure path
            self.host.show_error(exc)

    def save_prescription(self, rx_id: str) -> None:
        """Save the paper copy as a PDF where the GP says."""
        target = paper.SaveDialog.ask(self.window, self.host.words("save_pdf"), f"noskhe-{rx_id[-8:]}.pdf")
        if target is None:
            return
        ops.print_to_pdf(
            self.host.ws, rx_id, target if target.suffix.lower() == ".pdf" else target.with_suffix(".pdf")
        ).success(
            lambda path: self.window.statusBar().showMessage(
                self.host.words("saved_to", path=str(path)), 8000
            )
        ).with_progress(self.host.words("progress_printing")).run(self.host)

    def cancel_prescription(self, rx: Prescription) -> None:
        if not self.confirm_cancel(rx):
            return
        ops.cancel_prescription(self.host.ws, rx.id).success(
            lambda _rx: self.window.statusBar().showMessage(self.host.words("cancelled_rx"), 8000)
        ).with_progress(self.host.words("progress_signing")).run(self.host)

    def confirm_cancel(self, rx: Prescription) -> bool:
        """Ask before cancelling. Tests replace this."""
        w = self.host.words
        box = QMessageBox(
            QMessageBox.Icon.Question,
            w("cancel_rx"),
            w("cancel_question", name=rx.patient.full_name),
            parent=self.window,
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    # ---- scans ------------------------------------------------------------------------------------

    def route_scan(self, readings: list[Scanned]) -> bool:
        """A scan at a clinic: a patient id goes to the prescription being written (a new one when none
        is open); a tracking code or an HID opens that prescription (`records.find_prescription`); a paper
        prescription is for pharmacies."""
        for scan in readings:
            if scan.kind == "patient":
                editor = None if self._draft_of(scan.value) else self._editor_for_patient()
                if editor is not None:
                    editor.patient.set_scanned(scan.value)
                    editor.search.setFocus()
                else:
                    self.new_prescription(scan.value)
                return True
            if scan.kind in ("tracking-code", "hid"):
                ops.find_by_code(self.host.ws, scan.value).success(
                    lambda rx, s=scan: self.open_prescription(rx.id) if rx else self._not_found(s)
                ).run(self.host)
                return True
            if scan.kind == "paper":
                self.window.statusBar().showMessage(self.host.words("scan_paper_at_clinic"), 8000)
                return True
        return False

    def _editor_for_patient(self) -> PrescriptionEditor | None:
        page = self.window.current_page()
        if isinstance(page, PrescriptionEditor) and page.editing is None and not page.patient.patient_id:
            return page
        return None

    def _draft_of(self, kind_value: str) -> PrescriptionEditor | None:
        """The new prescription already being written for the patient `kind:value` (one per patient)."""
        from app.domain import PatientId

        kind, _, value = kind_value.partition(":")
        try:
            wanted = PatientId.parse(kind, value)
        except Exception:  # noqa: BLE001 — an unreadable id has no draft
            return None
        def drafting(page: QWidget) -> bool:
            return (
                isinstance(page, PrescriptionEditor)
                and page.editing is None
                and page.prescription is None
                and page.patient.patient_id == wanted
            )

        return self.window.find_page(drafting)  # type: ignore[return-value]

    def _not_found(self, scan: Scanned) -> None:
        self.window.statusBar().showMessage(self.host.words("scan_not_found", code=scan.value), 8000)

    def pages_with_work(self) -> list[QWidget]:
        """Pages holding something typed and not signed."""
        return [p for p in self.window.pages() if isinstance(p, PrescriptionEditor) and p.dirty()]


__all__ = ["ClinicDesk"]
