"""What needs the pharmacist after the exchange answered: a dispensing refused because another pharmacy
dispensed the prescription first (who, where, when — Iran time, Jalali in Persian — and which lines), or
rejected, with what to do. The status bar's "needs attention" opens it; from here the pharmacist opens the
prescription at the counter, or acknowledges the item once dealt with (returned the drugs, told the
patient)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.common import sync as sync_ops
from ui.common.operations import Changes
from ui.common.tables import fill, read_only_table, row_key
from ui.pharmacy import operations as ops
from ui.pharmacy.retrieve import sep

if TYPE_CHECKING:
    from sync.counter import CounterConflict
    from ui.common.host import Host

COLUMNS = ("col_since", "col_patient", "ph_col_what", "ph_col_first_pharmacy", "ph_col_when", "ph_col_lines")


class AttentionPanel(QWidget):
    """`open_requested(rx_id)`: take the prescription to the counter; `sync_requested()`: the sync panel."""

    open_requested = Signal(str)
    sync_requested = Signal()
    close_requested = Signal()

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.items: list[CounterConflict] = []
        self.summary = QLabel(wordWrap=True)
        self.summary.setStyleSheet("font-weight: bold")
        self.table = read_only_table(len(COLUMNS))
        self.detail = QLabel(wordWrap=True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(90)
        self.open_button = QPushButton()
        self.ack_button = QPushButton()
        self.sync_button = QPushButton()
        self.close_button = QPushButton()
        buttons = QHBoxLayout()
        for b in (self.open_button, self.ack_button, self.sync_button):
            buttons.addWidget(b)
        buttons.addStretch()
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self.open_button.clicked.connect(self._open)
        self.ack_button.clicked.connect(self._acknowledge)
        self.sync_button.clicked.connect(self.sync_requested)
        self.close_button.clicked.connect(self.close_requested)
        self.table.itemSelectionChanged.connect(self._show_detail)
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    @property
    def tab_title(self) -> str:
        return self.host.words("ph_attention_panel")

    def retranslate(self) -> None:
        w = self.host.words
        self.open_button.setText(w("ph_open_counter"))
        self.ack_button.setText(w("acknowledge"))
        self.sync_button.setText(w("sync_panel"))
        self.close_button.setText(w("close"))
        self.table.setHorizontalHeaderLabels([w(k) for k in COLUMNS])
        side = Qt.AlignmentFlag.AlignRight if w.rtl else Qt.AlignmentFlag.AlignLeft
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignAbsolute | side)
        self._show()

    def _on_changes(self, changes: Changes) -> None:
        if changes.outbox or changes.any_prescription:
            self.refresh()

    def refresh(self) -> None:
        ops.conflicts(self.host.ws).success(self._loaded).run(self.host)

    def _loaded(self, items: list[CounterConflict]) -> None:
        self.items = items
        self._show()

    def _first(self, c: CounterConflict) -> str:
        return c.facility_name or c.facility or "—"

    def _show(self) -> None:
        w = self.host.words
        self.summary.setText(
            w("attention_count", n=len(self.items)) if self.items else w("nothing_needs_attention")
        )
        fill(
            self.table,
            [
                [
                    w.datetime(c.since),
                    w.text(c.patient or "—"),
                    w("ph_conflict_" + c.code.replace("-", "_"))
                    if c.code == "already-dispensed"
                    else w("outbox_" + c.state),
                    w.text(self._first(c)),
                    w.datetime(c.at) if c.at else "—",
                    w.number(sep(w).join(map(str, c.lines))) if c.lines else "—",
                ]
                for c in self.items
            ],
            [c.row_id for c in self.items],
        )
        if self.items and self.table.currentRow() < 0:
            self.table.setCurrentCell(0, 0)
        self._show_detail()

    def selected(self) -> CounterConflict | None:
        key = row_key(self.table)
        return next((c for c in self.items if c.row_id == key), None)

    def _show_detail(self) -> None:
        w, c = self.host.words, self.selected()
        for b in (self.open_button, self.ack_button):
            b.setEnabled(c is not None)
        if c is None:
            self.detail.setText("")
            return
        parts = []
        if c.code == "already-dispensed":
            parts.append(
                w(
                    "ph_conflict_who",
                    pharmacy=self._first(c),
                    siam=c.facility or "—",
                    when=w.datetime(c.at) if c.at else "—",
                    lines=w.number(sep(w).join(map(str, c.lines))) if c.lines else "—",
                )
            )
        parts.append(f"{w('col_reason')}: {w.pick(c.reason_fa, c.reason_en)}")
        if (
            c.code == "already-dispensed" and c.dispensing_id
        ):  # the exchange's advice is written for both ends
            todo = w("ph_conflict_default_action")
        else:
            todo = w.pick(c.action_fa, c.action_en) or w("ph_conflict_default_action")
        parts.append(f"{w('ph_what_to_do')}: {todo}")
        self.detail.setText("\n".join(parts))

    def _open(self) -> None:
        c = self.selected()
        if c is not None and c.prescription_id:
            self.open_requested.emit(c.prescription_id)

    def _acknowledge(self) -> None:
        c = self.selected()
        if c is not None:
            sync_ops.acknowledge(self.host.ws, c.row_id).run(self.host)


__all__ = ["AttentionPanel"]
