"""The main window's two views: the prescriptions of this workstation and the drug catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.lifecycle import STATE_FA
from ui.i18n import Words
from ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.store import Store


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))


class CatalogView(QWidget):
    """Search as you type: Persian or English names, codes, any digit script, any letter variant."""

    def __init__(self, store: Store, words: Words) -> None:
        super().__init__()
        self.store, self.w = store, words
        self.search = QLineEdit(placeholderText=words("search_hint"), clearButtonEnabled=True)
        self.status = QLabel()
        keys = ["col_code", "col_generic_fa", "col_generic_en", "col_form", "col_strength", "col_atc"]
        self.table = _table([words(k) for k in keys])
        self._debounce = QTimer(self, singleShot=True, interval=120)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._debounce.start)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        layout.addWidget(self.status)

    def run_search(self) -> None:
        # A search takes a few milliseconds on 20,000 drugs (bench/bench_store.py): fine on this thread.
        drugs = self.store.catalog.search(self.search.text(), limit=100)
        _fill(self.table, [
            [self.w.number(d.code), d.generic_fa, d.generic_en, d.form_fa or d.form, self.w.number(d.strength), d.atc]
            for d in drugs
        ])
        text = self.search.text().strip()
        self.status.setText("" if not text else self.w("results", n=len(drugs)) if drugs else self.w("no_results"))


class PrescriptionsView(QWidget):
    """This workstation's prescriptions, newest first; loaded in the background."""

    def __init__(self, store: Store, words: Words, tasks: TaskRunner) -> None:
        super().__init__()
        self.store, self.w, self.tasks = store, words, tasks
        keys = ["col_id", "col_patient", "col_state", "col_time", "col_tracking", "col_items"]
        self.table = _table([words(k) for k in keys])
        self.refresh_button = QPushButton(words("refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        self.error = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.refresh_button)
        top.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.error)
        self.loaded = 0

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self.tasks.run(lambda: self.store.find_prescriptions(limit=500), self._show, self._failed)

    def _show(self, rxs: list[Any]) -> None:
        self.refresh_button.setEnabled(True)
        self.error.clear()
        _fill(self.table, [
            [
                rx.id[-8:],
                f"{rx.patient.full_name} ({self.w.number(rx.patient.id.value)})",
                STATE_FA[rx.state] if self.w.lang == "fa" else rx.state.value,
                self.w.datetime(rx.prescribed_at),
                self.w.number(rx.tracking_code or "—"),
                self.w.number(len(rx.items)),
            ]
            for rx in rxs
        ])
        self.loaded = len(rxs)

    def _failed(self, exc: Exception) -> None:
        self.refresh_button.setEnabled(True)
        message = getattr(exc, "message", None)
        self.error.setText(message(self.w.lang) if callable(message) else str(exc))
