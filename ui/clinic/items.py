"""The drugs of a prescription: the catalog searched as the GP types (Enter picks, a clear "not found"), and
the item table — quantity, repeats, dose instructions (with presets), the cost split per line.

The drug of a line is fixed once picked: its cell is never editable (tabbing into the table lands in the
line's quantity, so typed digits can never turn the line into another drug than the one signed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFocusEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.admin import search_catalog
from app.services.prescribing import ItemRequest
from app.text import to_ascii_digits, to_persian_digits
from ui.common.tables import leading

if TYPE_CHECKING:
    from app.domain import PrescriptionItem
    from ui.common.host import Host

COLUMNS = (
    "col_drug",
    "col_quantity",
    "col_repeats",
    "col_days",
    "col_instructions",
    "col_insurer_share",
    "col_patient_share",
    "",
)
COL_DRUG, COL_QTY, COL_REPEATS, COL_DAYS, COL_INSTRUCTIONS, COL_INSURER, COL_PATIENT, COL_REMOVE = range(
    len(COLUMNS)
)
#: dose instructions a GP picks from (and may change): the usual schedules, in Persian
PRESETS = (
    "هر ۸ ساعت یک عدد",
    "هر ۱۲ ساعت یک عدد",
    "هر ۶ ساعت یک عدد",
    "روزی یک بار",
    "روزی یک بار صبح ناشتا",
    "شب‌ها قبل از خواب",
    "پس از غذا",
    "در صورت درد",
    "در صورت تب",
)
MAX_QUANTITY, MAX_REPEATS, MAX_DAYS = 9999, 12, 366
FINDING_COLOURS = {"rejection": "#ffcdd2", "warning": "#fff3cd", "advisory": "#e3f2fd"}


class NumberBox(QSpinBox):
    """A whole number typed in any digits — Latin, Persian or Arabic-Indic, whatever the window's language
    — and shown in the window's digits. Typing over the "not given" dash (`specialValueText`) starts a
    number; typing past the maximum keeps the maximum and says so (`over_limit(maximum)`), never silently."""

    over_limit = Signal(int)

    def __init__(self, minimum: int, maximum: int, value: int, persian: bool) -> None:
        self.persian = persian
        super().__init__()
        self.setRange(minimum, maximum)
        self.setValue(value)
        self.set_persian(persian)

    def set_persian(self, persian: bool) -> None:
        """Show Persian digits (or Latin ones); what is typed may be either."""
        self.persian = persian
        self.setLocale(QLocale(QLocale.Language.Persian, QLocale.Country.Iran) if persian else QLocale.c())
        self.setSpecialValueText(self.specialValueText())  # shows the value again in these digits

    def _digits(self, text: str) -> str:
        special = self.specialValueText()
        if special:
            text = text.replace(special, "")
        return to_ascii_digits(text).replace(",", "").replace("٬", "").strip()

    def textFromValue(self, value: int) -> str:
        return to_persian_digits(str(value)) if self.persian else str(value)

    def valueFromText(self, text: str) -> int:
        digits = self._digits(text)
        if not digits.isdigit():
            return self.minimum()
        return min(int(digits), self.maximum())

    def validate(self, text: str, pos: int) -> object:
        special = self.specialValueText()
        if special and text == special:
            return QValidator.State.Acceptable, text, pos
        digits = self._digits(text)
        if not digits:
            return QValidator.State.Intermediate, text, pos
        if not digits.isdigit():
            return QValidator.State.Invalid, text, pos
        if int(digits) > self.maximum():
            self.over_limit.emit(self.maximum())
            shown = self.textFromValue(self.maximum())
            return QValidator.State.Acceptable, shown, len(shown)
        shown = self.textFromValue(int(digits)) if digits == str(int(digits)) else text
        if special and special in text:  # the first digit typed over the dash
            return QValidator.State.Acceptable, shown, len(shown)
        return QValidator.State.Acceptable, shown, min(pos, len(shown))

    def fixup(self, text: str) -> str:
        digits = self._digits(text)
        return self.textFromValue(self.valueFromText(text)) if digits.isdigit() else text


class DrugSearch(QWidget):
    """`picked(code)` when the GP presses Enter (or double-clicks) on a result."""

    picked = Signal(str)

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.search = QLineEdit(clearButtonEnabled=True)
        self.results = QListWidget()
        self.results.setMaximumHeight(140)
        self.status = QLabel()
        self._debounce = QTimer(self, singleShot=True, interval=80)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._debounce.start)
        self.search.installEventFilter(self)
        self.results.itemActivated.connect(lambda _item: self.pick())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.status)
        layout.addLayout(row)
        layout.addWidget(self.results)
        self.setFocusProxy(self.search)
        host.language_changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self) -> None:
        self.search.setPlaceholderText(self.host.words("drug_search_hint"))
        self.run_search()

    def run_search(self) -> None:
        # a few milliseconds on 20,000 drugs (bench/bench_store.py): on this thread, so Enter is never early
        self._debounce.stop()
        w, text = self.host.words, self.search.text()
        self.results.clear()
        drugs = search_catalog(self.host.ws, text, limit=30) if text.strip() else []
        for drug in drugs:
            label = drug.label_fa if w.lang == "fa" else drug.label_en
            entry = QListWidgetItem(w.text(f"{label} ({drug.code})"))
            entry.setData(Qt.ItemDataRole.UserRole, drug.code)
            self.results.addItem(entry)
        if drugs:
            self.results.setCurrentRow(0)
        self.status.setStyleSheet("" if drugs or not text.strip() else "color: #b00020")
        self.status.setText(
            "" if not text.strip() else w("results", n=len(drugs)) if drugs else w("no_results")
        )

    def pick(self) -> None:
        if self._debounce.isActive():
            self.run_search()
        entry = self.results.currentItem()
        if entry is not None:
            self.picked.emit(entry.data(Qt.ItemDataRole.UserRole))
            self.search.clear()

    def eventFilter(self, obj: object, event: object) -> bool:
        if obj is self.search and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.pick()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = min(max(self.results.currentRow() + step, 0), self.results.count() - 1)
                self.results.setCurrentRow(row)
                return True
        return False


class ItemTable(QTableWidget):
    """The lines; `changed` on any edit of a quantity, repeats or instructions, or a line added/removed."""

    changed = Signal()
    #: something the GP should know about what was just typed (a number past its limit)
    notice = Signal(str)

    def __init__(self, host: Host) -> None:
        super().__init__(0, len(COLUMNS))
        self.host = host
        self.codes: list[str] = []
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(COL_INSTRUCTIONS, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().hide()
        host.language_changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self) -> None:
        w = self.host.words
        self.setHorizontalHeaderLabels([w(k) if k else "" for k in COLUMNS])
        for row in range(self.rowCount()):  # a switch of language: the lines follow it too
            for box in (self.quantity(row), self.repeats(row), self.days(row)):
                if isinstance(box, NumberBox):
                    box.set_persian(w.lang == "fa")
            drug = self.host.ws.store.catalog.get(self.codes[row])
            if drug is not None:
                self.item(row, COL_DRUG).setText(w.text(drug.label_fa if w.lang == "fa" else drug.label_en))
            for col in (COL_DRUG, COL_INSURER, COL_PATIENT):
                self.item(row, col).setTextAlignment(leading())
        # (the editor prices the lines again in this language's digits: `PrescriptionEditor.retranslate`)

    # ---- lines ------------------------------------------------------------------------------------

    def add(
        self,
        code: str,
        label: str,
        quantity: int = 1,
        instructions: str = "",
        repeats: int = 0,
        days: int | None = None,
    ) -> int:
        """Add a line for drug `code` shown as `label`; returns its row (its quantity has the focus)."""
        w = self.host.words
        row = self.rowCount()
        self.insertRow(row)
        self.codes.append(code)
        drug = QTableWidgetItem(w.text(label))
        drug.setFlags(Qt.ItemFlag.ItemIsEnabled)  # shown, never edited
        drug.setTextAlignment(leading())
        self.setItem(row, COL_DRUG, drug)
        persian = w.lang == "fa"  # Persian digits in the number boxes too
        qty = NumberBox(1, MAX_QUANTITY, quantity, persian)
        repeat = NumberBox(0, MAX_REPEATS, repeats, persian)
        lasts = NumberBox(0, MAX_DAYS, days or 0, persian)
        lasts.setSpecialValueText("—")  # 0: not given
        lasts.set_persian(persian)
        for spin, limit_key in ((qty, "quantity_limit"), (repeat, "repeats_limit"), (lasts, "days_limit")):
            spin.valueChanged.connect(self.changed)
            spin.over_limit.connect(lambda n, k=limit_key: self.notice.emit(self.host.words(k, n=n)))
        instr = QComboBox(editable=True)
        instr.addItems(PRESETS)
        instr.setCurrentText(instructions)
        instr.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        instr.currentTextChanged.connect(self.changed)
        self.setCellWidget(row, COL_QTY, qty)
        self.setCellWidget(row, COL_REPEATS, repeat)
        self.setCellWidget(row, COL_DAYS, lasts)
        self.setCellWidget(row, COL_INSTRUCTIONS, instr)
        for col in (COL_INSURER, COL_PATIENT):
            cell = QTableWidgetItem()
            cell.setFlags(Qt.ItemFlag.ItemIsEnabled)
            cell.setTextAlignment(leading())
            self.setItem(row, col, cell)
        remove = QToolButton(text="✕")
        remove.setToolTip(w("remove"))
        remove.clicked.connect(lambda: self.remove(self.indexAt(remove.pos()).row()))
        self.setCellWidget(row, COL_REMOVE, remove)
        self.changed.emit()
        qty.setFocus()
        qty.selectAll()
        return row

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.codes):
            self.removeRow(row)
            del self.codes[row]
            self.changed.emit()

    def quantity(self, row: int) -> QSpinBox:
        return self.cellWidget(row, COL_QTY)  # type: ignore[return-value]

    def instructions(self, row: int) -> QComboBox:
        return self.cellWidget(row, COL_INSTRUCTIONS)  # type: ignore[return-value]

    def repeats(self, row: int) -> QSpinBox:
        return self.cellWidget(row, COL_REPEATS)  # type: ignore[return-value]

    def days(self, row: int) -> QSpinBox:
        return self.cellWidget(row, COL_DAYS)  # type: ignore[return-value]

    def requests(self) -> list[ItemRequest]:
        return [
            ItemRequest(
                code,
                self.quantity(r).value(),
                self.instructions(r).currentText().strip(),
                self.repeats(r).value(),
                self.days(r).value() or None,
            )
            for r, code in enumerate(self.codes)
        ]

    def set_costs(self, priced: list[PrescriptionItem], pending: set[int] | None = None) -> None:
        """Each line's split in rials; the rows in `pending` (no price yet) say so instead of 0."""
        w = self.host.words
        for row, item in enumerate(priced):
            waiting = row in (pending or ())
            self.item(row, COL_INSURER).setText(w("cost_pending") if waiting else w.rials(item.cost.insurer))
            self.item(row, COL_PATIENT).setText(w("cost_pending") if waiting else w.rials(item.cost.patient))

    def mark(self, findings: list[dict[str, object]]) -> None:
        """Colour the lines the rules' findings name (1-based `line`), the finding as the tooltip."""
        w = self.host.words
        rank = {"advisory": 0, "warning": 1, "rejection": 2}
        worst: dict[int, str] = {}
        tips: dict[int, list[str]] = {}
        for f in findings:
            line = f.get("line")
            if not isinstance(line, int) or not 1 <= line <= self.rowCount():
                continue
            row, level = line - 1, str(f.get("level", "advisory"))
            if rank.get(level, 0) >= rank.get(worst.get(row, "advisory"), 0):
                worst[row] = level
            tips.setdefault(row, []).append(w.pick(str(f.get("fa") or ""), str(f.get("en") or "")))
        for row in range(self.rowCount()):
            item = self.item(row, COL_DRUG)
            colour = FINDING_COLOURS.get(worst.get(row, ""))
            item.setBackground(QBrush(QColor(colour)) if colour else QBrush())
            item.setToolTip("\n".join(tips.get(row, [])))

    # ---- focus: never into a drug cell ------------------------------------------------------------

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if self.rowCount():
            row = max(0, self.currentRow())
            target = (
                self.quantity(row)
                if event.reason() != Qt.FocusReason.BacktabFocusReason
                else self.instructions(self.rowCount() - 1)
            )
            target.setFocus(event.reason())


__all__ = [
    "COLUMNS",
    "MAX_DAYS",
    "MAX_QUANTITY",
    "MAX_REPEATS",
    "PRESETS",
    "DrugSearch",
    "ItemTable",
    "NumberBox",
]
