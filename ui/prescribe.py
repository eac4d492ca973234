"""The GP's daily workflow: the patient, the drugs, sign and queue; nothing here waits for the network.

The dialog only gathers what the GP types: identifiers, pricing, signing and queueing are the core's
(`app.services.prescribing`, the same functions `noskhe rx create` calls). The tokens' PINs and the key
files' passphrases are asked by the workstation's prompter (`ui.prompter.QtPrompter`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.costs import total_of
from app.domain import Coverage, Patient, PatientId, Prescription, Sex
from app.errors import NoskheError
from app.identifiers import PATIENT_ID_KINDS
from app.services.prescribing import ItemRequest, price_items, write_prescription
from ui.i18n import Words
from ui.prompter import FacilityPassphraseDialog, KeyPassphraseDialog, PinDialog

if TYPE_CHECKING:
    from app.workstation import Workstation

COLUMNS = ("col_drug", "col_quantity", "col_instructions", "col_insurer_share", "col_patient_share", "remove")
COL_DRUG, COL_QTY, COL_INSTRUCTIONS, COL_INSURER, COL_PATIENT, COL_REMOVE = range(len(COLUMNS))
ERROR_STYLE = "color: #b00020"


def _rials(w: Words, amount: int) -> str:
    text = f"{amount:,}"
    return w.number(text).replace(",", "٬") if w.lang == "fa" else text


class NewPrescriptionDialog(QDialog):
    """Write, sign and queue one prescription. `prescription` holds it once accepted."""

    def __init__(self, ws: Workstation, words: Words, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws, self.store, self.w = ws, ws.store, words
        store = ws.store
        self.prescription: Prescription | None = None
        self.draft_id: str | None = None  # kept by a failed signature; signing again reuses it
        self.patient_id: PatientId | None = None
        self.known: Patient | None = None
        self.setWindowTitle(words("new_rx"))
        self.resize(900, 640)

        self.id_kind = QComboBox()
        for kind in PATIENT_ID_KINDS:
            self.id_kind.addItem(words("id_" + kind), kind)
        self.patient_code = QLineEdit(placeholderText=words("patient_id_hint"))
        self.id_status = QLabel(wordWrap=True)
        self.first_name, self.last_name = QLineEdit(), QLineEdit()
        self.sex = QComboBox()
        self.sex.addItem("—", None)
        for sex in Sex:
            self.sex.addItem(words("sex_" + sex.value), sex.value)
        self.insurer = QComboBox()
        self.insurer.addItem(words("no_insurer"), None)
        self.parents: dict[str, str] = {}  # a scheme's insurer (the rural fund → IHIO)
        for ins in store.catalog.insurers():
            parent = ins.rules.get("parent")
            if parent:
                self.parents[ins.code] = parent
            name = ins.name_fa if words.lang == "fa" else ins.name_en
            self.insurer.addItem(f"    {name}" if parent else name, ins.code)

        id_row = QHBoxLayout()
        id_row.addWidget(self.id_kind)
        id_row.addWidget(self.patient_code, 1)
        form = QFormLayout()
        form.addRow(words("patient_id"), id_row)
        form.addRow("", self.id_status)
        form.addRow(words("first_name"), self.first_name)
        form.addRow(words("last_name"), self.last_name)
        form.addRow(words("sex"), self.sex)
        form.addRow(words("insurer"), self.insurer)

        self.search = QLineEdit(placeholderText=words("search_hint"), clearButtonEnabled=True)
        self.results = QListWidget()
        self.add_button = QPushButton(words("add_item"))
        self._debounce = QTimer(self, singleShot=True, interval=120)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._debounce.start)
        self.results.itemDoubleClicked.connect(lambda _item: self.add_selected())
        self.add_button.clicked.connect(self.add_selected)

        self.items = QTableWidget(0, len(COLUMNS))
        self.items.setHorizontalHeaderLabels([words(k) for k in COLUMNS])
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.items.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.items.horizontalHeader().setSectionResizeMode(COL_INSTRUCTIONS, QHeaderView.ResizeMode.Stretch)
        self.items.verticalHeader().hide()
        self.codes: list[str] = []
        self.total = QLabel()

        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        buttons = QDialogButtonBox()
        self.sign_button = buttons.addButton(words("sign_and_queue"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(words("cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.sign)
        buttons.rejected.connect(self.reject)

        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(search_row)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.items, 2)
        for widget in (self.total, self.error, buttons):
            layout.addWidget(widget)

        self.id_kind.currentIndexChanged.connect(self.check_patient_id)
        self.patient_code.textChanged.connect(self.check_patient_id)
        for edit in (self.first_name, self.last_name):
            edit.textChanged.connect(self._update_sign_button)
        self.insurer.currentIndexChanged.connect(self.reprice)
        self.check_patient_id()
        self.reprice()

    def check_patient_id(self) -> None:
        """Validate as the GP types; a patient this store knows fills in the rest."""
        text = self.patient_code.text().strip()
        self.patient_id, self.known = None, None
        self.id_status.setStyleSheet("")
        if not text:
            self.id_status.clear()
        else:
            try:
                self.patient_id = PatientId.parse(self.id_kind.currentData(), text)
            except NoskheError as exc:
                self.id_status.setStyleSheet(ERROR_STYLE)
                self.id_status.setText(exc.message(self.w.lang))
            else:
                self.id_status.setText("✓ " + self.w.number(self.patient_id.value))
                self._prefill()
        self._update_sign_button()

    def _prefill(self) -> None:
        try:
            self.known = self.store.get_patient(self.patient_id)
        except NoskheError:
            return
        known = self.known
        if not self.first_name.text().strip() and not self.last_name.text().strip():
            self.first_name.setText(known.first_name)
            self.last_name.setText(known.last_name)
        if known.sex is not None and self.sex.currentData() is None:
            self.sex.setCurrentIndex(self.sex.findData(known.sex.value))
        if known.coverage is not None and self.insurer.currentData() is None:
            found = self.insurer.findData(known.coverage.scheme or known.coverage.insurer_code)
            if found >= 0:
                self.insurer.setCurrentIndex(found)
        self.reprice()

    def patient(self, *, for_pricing: bool = False) -> Patient:
        """The patient as typed; what the store knows (birth date, phone, scheme) is kept."""
        code = self.insurer.currentData()
        known_cov = self.known.coverage if self.known else None
        if known_cov and code in (known_cov.scheme, known_cov.insurer_code):
            coverage: Coverage | None = known_cov
        elif code in self.parents:
            coverage = Coverage(self.parents[code], scheme=code)
        else:
            coverage = Coverage(code) if code else None
        first, last = self.first_name.text().strip(), self.last_name.text().strip()
        if for_pricing:  # the cost split depends only on the coverage
            return Patient(PatientId("", ""), first, last, coverage=coverage)
        if self.patient_id is None or not (first and last):
            raise NoskheError(
                "The patient needs a valid id, a first name and a last name.",
                "بیمار شناسهٔ درست، نام و نام خانوادگی لازم دارد.",
            )
        sex = Sex(self.sex.currentData()) if self.sex.currentData() else None
        fields = {"first_name": first, "last_name": last, "sex": sex, "coverage": coverage}
        if self.known is not None:
            return dataclasses.replace(self.known, **fields)
        return Patient(self.patient_id, **fields)

    def run_search(self) -> None:
        self.results.clear()
        for drug in self.store.catalog.search(self.search.text(), limit=50):
            label = drug.label_fa if self.w.lang == "fa" else drug.label_en
            entry = QListWidgetItem(f"{label} ({self.w.number(drug.code)})")
            entry.setData(Qt.ItemDataRole.UserRole, drug.code)
            self.results.addItem(entry)
        if self.results.count():
            self.results.setCurrentRow(0)

    def add_selected(self) -> None:
        entry = self.results.currentItem()
        if entry is not None:
            self.add_item(entry.data(Qt.ItemDataRole.UserRole))

    def add_item(self, code: str, quantity: int = 1, instructions: str = "") -> None:
        drug = self.store.catalog.get(code)
        if drug is None:
            return
        row = self.items.rowCount()
        self.items.insertRow(row)
        self.codes.append(drug.code)
        self.items.setItem(
            row, COL_DRUG, QTableWidgetItem(drug.label_fa if self.w.lang == "fa" else drug.label_en)
        )
        spin = QSpinBox(minimum=1, maximum=9999, value=quantity)
        if self.w.lang == "fa":  # Persian digits in the spin box too
            spin.setLocale(QLocale(QLocale.Language.Persian, QLocale.Country.Iran))
        spin.valueChanged.connect(self.reprice)
        self.items.setCellWidget(row, COL_QTY, spin)
        self.items.setCellWidget(row, COL_INSTRUCTIONS, QLineEdit(instructions))
        for col in (COL_INSURER, COL_PATIENT):
            self.items.setItem(row, col, QTableWidgetItem())
        remove = QPushButton(self.w("remove"))
        remove.clicked.connect(lambda: self.remove_item(self.items.indexAt(remove.pos()).row()))
        self.items.setCellWidget(row, COL_REMOVE, remove)
        self.reprice()

    def remove_item(self, row: int) -> None:
        if 0 <= row < len(self.codes):
            self.items.removeRow(row)
            del self.codes[row]
            self.reprice()

    def requests(self) -> list[ItemRequest]:
        return [
            ItemRequest(
                code,
                self.items.cellWidget(row, COL_QTY).value(),
                self.items.cellWidget(row, COL_INSTRUCTIONS).text().strip(),
            )
            for row, code in enumerate(self.codes)
        ]

    def reprice(self) -> None:
        """The local cost split per item and in total, from the core's price list and insurer rules."""
        try:
            priced = price_items(self.store, self.patient(for_pricing=True), self.requests())
        except NoskheError as exc:
            self.total.setText(exc.message(self.w.lang))
            return
        for row, item in enumerate(priced):
            self.items.item(row, COL_INSURER).setText(_rials(self.w, item.cost.insurer))
            self.items.item(row, COL_PATIENT).setText(_rials(self.w, item.cost.patient))
        total = total_of(priced)
        self.total.setText(
            self.w("rx_total", insurer=_rials(self.w, total.insurer), patient=_rials(self.w, total.patient))
        )
        self._update_sign_button()

    def _update_sign_button(self) -> None:
        ready = bool(self.patient_id and self.first_name.text().strip() and self.last_name.text().strip())
        self.sign_button.setEnabled(ready and bool(self.codes))

    def sign(self) -> None:
        """Sign and queue locally (a PKCS#12 signature takes milliseconds); the PINs and passphrases are
        asked by the workstation's prompter; any failure keeps what was typed."""
        self.error.hide()
        try:
            patient, requests = self.patient(), self.requests()
            rx = write_prescription(self.ws, patient=patient, items=requests, draft_id=self.draft_id)
        except NoskheError as exc:
            message = exc.message(self.w.lang)
            draft = str(exc.details.get("draft_id") or "")
            self.draft_id = draft or self.draft_id
            self.show_error(message + (f" {self.w('draft_kept')} \u200e{draft}\u200e" if draft else ""))
            return
        except Exception as exc:  # noqa: BLE001 — the one failure path: a message, never a traceback
            self.show_error(self.w("sign_failed", reason=str(exc)))
            return
        self.prescription = rx
        self.accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    @classmethod
    def ask(cls, ws: Workstation, words: Words, parent: QWidget | None = None) -> Prescription | None:
        """The signed, queued prescription, or None if the GP closed the dialog. Tests replace this."""
        dialog = cls(ws, words, parent)
        return dialog.prescription if dialog.exec() == QDialog.DialogCode.Accepted else None


# The secret dialogs live with the desktop's prompter; named here too for existing callers.
__all__ = ["FacilityPassphraseDialog", "KeyPassphraseDialog", "NewPrescriptionDialog", "PinDialog"]
