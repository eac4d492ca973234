"""Small helpers the views share: a read-only table and filling it with rows of text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

_EDITABLE = Qt.ItemFlag.ItemIsEditable


def leading() -> Qt.AlignmentFlag:
    """The start of a line in the window's direction: right in Persian, left in English — whatever the
    text's own direction (a number or a code alone reads left-to-right and would otherwise sit at the left
    of a right-to-left table)."""
    side = (
        Qt.AlignmentFlag.AlignRight
        if QGuiApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
        else Qt.AlignmentFlag.AlignLeft
    )
    return side | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter


def read_only_table(columns: int) -> QTableWidget:
    """A table whose cells are never edited in place; whole rows are selected."""
    table = QTableWidget(0, columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    return table


def fill(table: QTableWidget, rows: Sequence[Sequence[str]], keys: Sequence[Any] | None = None) -> None:
    """Replace the table's rows; `keys[r]` is kept on the row's first cell (`row_key`).

    Linear in the number of cells: painting, sorting and the header's fit to contents are held while the
    cells are set. Each cell is made by the table itself from its prototype (read-only, aligned) through
    the model: no Python wrapper per cell, whose ownership would pass to the table and outlive the item
    when a refill drops it (a stale wrapper that a later object at the same address would be taken for)."""
    sorting, updates = table.isSortingEnabled(), table.updatesEnabled()
    header = table.horizontalHeader()
    fitted = [
        c
        for c in range(header.count())
        if header.sectionResizeMode(c) == QHeaderView.ResizeMode.ResizeToContents
    ]
    align = leading()
    prototype = table.itemPrototype()
    if prototype is None or prototype.textAlignment() != align.value or prototype.flags() & _EDITABLE:
        prototype = QTableWidgetItem()
        prototype.setFlags(prototype.flags() & ~_EDITABLE)
        prototype.setTextAlignment(align)
        table.setItemPrototype(prototype)  # the table owns it (one, for the table's life)
    model = table.model()
    display, user = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole
    table.setUpdatesEnabled(False)
    table.setSortingEnabled(False)
    for c in fitted:
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
    try:
        table.setRowCount(0)  # the old cells go with their rows
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                index = model.index(r, c)
                model.setData(index, text, display)
                if c == 0 and keys is not None:
                    model.setData(index, keys[r], user)
    finally:
        for c in fitted:
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        table.setSortingEnabled(sorting)
        table.setUpdatesEnabled(updates)


def row_key(table: QTableWidget, row: int | None = None) -> Any:
    """The key kept on `row` (default: the selected row, else the current one), or None."""
    if row is None:
        selected = table.selectionModel().selectedRows()
        row = selected[0].row() if selected else table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


__all__ = ["fill", "leading", "read_only_table", "row_key"]
