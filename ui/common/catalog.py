"""The drug catalog, searched as you type: Persian or English names, other names and brands, codes, any
digit script, any letter variant (`app.services.admin.search_catalog`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from app.services.admin import search_catalog
from ui.common.operations import Changes
from ui.common.tables import fill, read_only_table

if TYPE_CHECKING:
    from ui.common.host import Host

COLUMNS = ("col_code", "col_generic_fa", "col_generic_en", "col_form", "col_strength", "col_atc")


class CatalogView(QWidget):
    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.search = QLineEdit(clearButtonEnabled=True)
        self.status = QLabel()
        self.table = read_only_table(len(COLUMNS))
        self._debounce = QTimer(self, singleShot=True, interval=120)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._debounce.start)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        host.language_changed.connect(self.retranslate)
        host.changes.changed.connect(self._on_changes)
        self.retranslate()

    def retranslate(self) -> None:
        w = self.host.words
        self.search.setPlaceholderText(w("search_hint"))
        self.table.setHorizontalHeaderLabels([w(k) for k in COLUMNS])
        self.run_search()

    def _on_changes(self, changes: Changes) -> None:
        if changes.reference:
            self.run_search()

    def run_search(self) -> None:
        # A search takes a few milliseconds on 20,000 drugs (bench/bench_store.py): instant on this thread.
        w, text = self.host.words, self.search.text()
        drugs = search_catalog(self.host.ws, text, limit=100) if text.strip() else []
        fill(
            self.table,
            [
                [
                    w.number(d.code),
                    d.generic_fa,
                    w.text(d.generic_en),
                    w.text(d.form_fa or d.form),
                    w.text(w.number(d.strength)),
                    w.text(d.atc),
                ]
                for d in drugs
            ],
            [d.code for d in drugs],
        )
        self.status.setText(
            "" if not text.strip() else w("results", n=len(drugs)) if drugs else w("no_results")
        )


__all__ = ["CatalogView"]
