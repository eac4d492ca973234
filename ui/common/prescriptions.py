"""This workstation's prescriptions: today's by default, filtered by state, searched by patient id, name or
tracking code; loaded on the store lane and refreshed whenever a write or a drain changes one."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import Prescription
from app.lifecycle import RxState
from app.services.records import list_prescriptions
from app.text import fold_for_search, normalize_code
from app.timefmt import iran_time
from ui.common.operations import Changes, query
from ui.common.tables import fill, read_only_table, row_key

if TYPE_CHECKING:
    from ui.common.host import Host

COLUMNS = ("col_time", "col_patient", "col_state", "col_tracking", "col_items", "col_id")


def state_name(words: object, state: RxState | str) -> str:
    """A prescription state in the window's language."""
    from app.lifecycle import STATE_FA

    state = RxState(state)
    return STATE_FA[state] if getattr(words, "lang", "fa") == "fa" else state.value.replace("_", " ")


def matches(rx: Prescription, text: str) -> bool:
    """True when `text` (as typed: any digits, letter variants) is in the patient's name or id, the
    tracking code or the prescription's id."""
    if not text.strip():
        return True
    folded, code = fold_for_search(text), normalize_code(text).strip()
    return folded in fold_for_search(rx.patient.full_name) or (
        bool(code) and (code in rx.patient.id.value or code in (rx.tracking_code or "") or code in rx.id)
    )


class PrescriptionsView(QWidget):
    """`open_requested(rx_id)` when a row is opened (double-click or Enter: the table's `activated`)."""

    open_requested = Signal(str)

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.search = QLineEdit(clearButtonEnabled=True)
        self.state = QComboBox()
        self.today = QCheckBox()
        self.today.setChecked(True)
        self.refresh_button = QPushButton()
        self.table = read_only_table(len(COLUMNS))
        self.error = QLabel()
        self.count = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.state)
        top.addWidget(self.today)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count)
        bottom.addWidget(self.error, 1)
        layout.addLayout(bottom)
        self.rows: list[Prescription] = []
        self.loaded = 0
        self.refresh_button.clicked.connect(self.refresh)
        self.search.textChanged.connect(self._show)
        self.state.currentIndexChanged.connect(self.refresh)
        self.today.toggled.connect(self._show)
        self.table.activated.connect(lambda index: self._open(index.row()))
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        w = self.host.words
        self.search.setPlaceholderText(w("rx_search_hint"))
        self.today.setText(w("today_only"))
        self.refresh_button.setText(w("refresh"))
        self.table.setHorizontalHeaderLabels([w(k) for k in COLUMNS])
        current = self.state.currentData()
        self.state.blockSignals(True)
        self.state.clear()
        self.state.addItem(w("all_states"), None)
        for s in RxState:
            self.state.addItem(state_name(w, s), s.value)
        self.state.setCurrentIndex(max(0, self.state.findData(current)))
        self.state.blockSignals(False)
        self._show()

    def _on_changes(self, changes: Changes) -> None:
        if changes.any_prescription:
            self.refresh()

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        state = self.state.currentData()
        query(self.host.ws, lambda ws: list_prescriptions(ws, state=state, limit=500)).success(
            self._loaded
        ).failure(self._failed).run(self.host)

    def _loaded(self, rxs: list[Prescription]) -> None:
        self.refresh_button.setEnabled(True)
        self.error.clear()
        self.rows = rxs
        self._show()
        self.loaded = len(rxs)

    def shown(self) -> list[Prescription]:
        """The prescriptions the table shows now, in order."""
        today = iran_time(dt.datetime.now(dt.UTC)).date()
        text = self.search.text()
        return [
            rx
            for rx in self.rows
            if (not self.today.isChecked() or iran_time(rx.prescribed_at).date() == today)
            and matches(rx, text)
        ]

    def _show(self) -> None:
        w = self.host.words
        rxs = self.shown()
        fill(
            self.table,
            [
                [
                    w.datetime(rx.prescribed_at),
                    w.text(f"{rx.patient.full_name} ({rx.patient.id.value})"),
                    state_name(w, rx.state),
                    w.number(rx.tracking_code or "—"),
                    w.number(len(rx.items)),
                    rx.id[-8:],
                ]
                for rx in rxs
            ],
            [rx.id for rx in rxs],
        )
        self.count.setText(w("rx_count", n=len(rxs)))

    def _open(self, row: int) -> None:
        rx_id = row_key(self.table, row)
        if rx_id:
            self.open_requested.emit(rx_id)

    def _failed(self, exc: Exception) -> None:
        self.refresh_button.setEnabled(True)
        self.error.setText(self.host.words.message(exc))


__all__ = ["PrescriptionsView", "matches", "state_name"]
