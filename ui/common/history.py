"""Today's counter list and its history: prescriptions written here (a clinic) or dispensings recorded here
(a pharmacy) in a date range typed Jalali, filtered by state, insurer and patient, with their shares and
the totals; loaded on the store lane (`app.services.history`) and refreshed whenever a write or a drain
changes something."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import IRAN_TZ, Insurer
from app.errors import InvalidDate
from app.services.history import HistoryFilter, HistoryRow, history, states_for, totals
from ui.common.operations import Changes, query
from ui.common.tables import fill, read_only_table, row_key

if TYPE_CHECKING:
    from ui.common.host import Host
    from ui.i18n import Words

COLUMNS = (
    "rep_col_time",
    "rep_col_patient",
    "rep_col_insurer",
    "rep_col_state",
    "rep_col_reference",
    "rep_col_items",
    "rep_col_insurer_share",
    "rep_col_patient_share",
)


def iran_today() -> dt.date:
    """Today on Iran's clock."""
    return dt.datetime.now(IRAN_TZ).date()


class DateField(QLineEdit):
    """A day typed as people type it (Jalali `۱۴۰۵/۰۹/۰۱`, or Gregorian), shown Jalali in Persian."""

    def __init__(self, words: Words) -> None:
        super().__init__()
        self.words = words
        self.setClearButtonEnabled(True)
        self.setMaximumWidth(130)

    def set_date(self, day: dt.date | None) -> None:
        """Show `day` (Jalali with Persian digits in Persian, ISO in English); empty for None."""
        from app.timefmt import format_date

        self.setText("" if day is None else format_date(day, self.words.lang))

    def date(self) -> dt.date | None:
        """The day typed, None when empty. Raises `InvalidDate`."""
        from app.dates import parse_user_date

        text = self.text().strip()
        return parse_user_date(text) if text else None


def state_label(words: Words, role: str, state: str) -> str:
    """A prescription's or a dispensing's state in the window's language."""
    if role == "pharmacy":
        return words(f"disp_state_{state}") if f"disp_state_{state}" in _keys() else state
    from ui.common.prescriptions import state_name

    try:
        return state_name(words, state)
    except ValueError:  # a state the exchange names that this program does not know
        return words.text(state)


def _keys() -> set[str]:
    from ui.strings import STRINGS

    return set(STRINGS)


def insurer_label(words: Words, insurers: dict[str, Insurer], code: str) -> str:
    """An insurer's name in the window's language (its code when unknown; "uninsured" for none)."""
    if not code or code == "NONE":
        return words("rep_uninsured")
    found = insurers.get(code)
    return words.pick(found.name_fa, found.name_en) if found else code


class HistoryView(QWidget):
    """`open_requested(rx_id)` when a row is opened (double-click or Enter)."""

    open_requested = Signal(str)

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.role = host.ws.role
        w = host.words
        self.start = DateField(w)
        self.end = DateField(w)
        self.today_button = QPushButton()
        self.state = QComboBox()
        self.insurer = QComboBox()
        self.patient = QLineEdit(clearButtonEnabled=True)
        self.show_button = QPushButton()
        self.from_label, self.to_label = QLabel(), QLabel()
        self.table = read_only_table(len(COLUMNS))
        self.error = QLabel()
        self.summary = QLabel()
        top = QHBoxLayout()
        for widget in (self.from_label, self.start, self.to_label, self.end, self.today_button):
            top.addWidget(widget)
        top.addWidget(self.state)
        top.addWidget(self.insurer)
        top.addWidget(self.patient, 1)
        top.addWidget(self.show_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary)
        bottom.addWidget(self.error, 1)
        layout.addLayout(bottom)
        self.insurers: dict[str, Insurer] = {}
        self.rows: list[HistoryRow] = []
        #: whether the totals line shows money (the reports' pages set it by the person's permissions)
        self.show_money = True
        self.loaded = 0
        self.stale = False
        self.start.set_date(iran_today())
        self.end.set_date(iran_today())
        self.show_button.clicked.connect(self.refresh)
        self.today_button.clicked.connect(self.show_today)
        for edit in (self.start, self.end, self.patient):
            edit.returnPressed.connect(self.refresh)
        self.state.currentIndexChanged.connect(self.refresh)
        self.insurer.currentIndexChanged.connect(self.refresh)
        self.table.activated.connect(lambda index: self._open(index.row()))
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.retranslate)
        query(host.ws, lambda ws: ws.store.catalog.insurers()).success(self._insurers).run(host)
        self.retranslate()

    def retranslate(self) -> None:
        w = self.host.words
        self.from_label.setText(w("rep_from"))
        self.to_label.setText(w("rep_to"))
        for edit in (self.start, self.end):
            edit.setPlaceholderText(w("rep_date_hint"))
            try:
                edit.set_date(edit.date())  # the other calendar's digits after a language change
            except InvalidDate:
                pass
        self.today_button.setText(w("rep_today"))
        self.patient.setPlaceholderText(w("rep_patient_hint"))
        self.show_button.setText(w("rep_show"))
        self.table.setHorizontalHeaderLabels([w(k) for k in COLUMNS])
        self._fill_combo(
            self.state, w("all_states"), [(s, state_label(w, self.role, s)) for s in states_for(self.role)]
        )
        self._fill_insurers()
        self._show()

    @staticmethod
    def _fill_combo(combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for value, label in items:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _fill_insurers(self) -> None:
        w = self.host.words
        items = [
            (code, insurer_label(w, self.insurers, code))
            for code in self.insurers
            if code != "NONE" and "-" not in code
        ]
        self._fill_combo(self.insurer, w("rep_all_insurers"), [*items, ("", w("rep_uninsured"))])

    def _insurers(self, insurers: list[Insurer]) -> None:
        self.insurers = {i.code: i for i in insurers}
        self._fill_insurers()
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if changes.any_prescription or changes.outbox:
            if self.isVisible():
                self.refresh()
            else:
                self.stale = True  # read again when the page is shown

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.stale:
            self.stale = False
            self.refresh()

    def show_today(self) -> None:
        """Today's counter list."""
        self.start.set_date(iran_today())
        self.end.set_date(iran_today())
        self.refresh()

    def current_filter(self) -> HistoryFilter:
        """The filter the fields say. Raises `InvalidDate`."""
        return HistoryFilter(
            start=self.start.date(),
            end=self.end.date(),
            state=self.state.currentData(),
            insurer=self.insurer.currentData(),
            patient=self.patient.text(),
        )

    def refresh(self) -> None:
        try:
            f = self.current_filter()
        except InvalidDate as exc:
            self.error.setText(self.host.words.message(exc))
            return
        query(self.host.ws, lambda ws: history(ws, f)).success(self._loaded).failure(self._failed).run(
            self.host
        )

    def _loaded(self, rows: list[HistoryRow]) -> None:
        self.error.clear()
        self.rows = rows
        self._show()
        self.loaded += 1

    def _show(self) -> None:
        w = self.host.words
        fill(
            self.table,
            [
                [
                    w.datetime(r.at),
                    f"{w.isolated(r.patient_name)} ({w.text(r.patient_id)})"
                    if r.patient_name
                    else w.text(r.patient_id),
                    insurer_label(w, self.insurers, r.insurer),
                    state_label(w, self.role, r.state),
                    w.number(r.reference or "—"),
                    w.number(r.items),
                    w.rials(r.insurer_share),
                    w.rials(r.patient_share),
                ]
                for r in self.rows
            ],
            [r.prescription_id for r in self.rows],
        )
        t = totals(self.rows)
        if not self.show_money:  # the insurer's and patient's totals are for those who may see statements
            self.summary.setText(w("rep_totals_count", count=t["count"]))
            return
        self.summary.setText(
            w("rep_totals", count=t["count"], insurer=w.rials(t["insurer"]), patient=w.rials(t["patient"]))
        )

    def set_show_money(self, allowed: bool) -> None:
        """Show the shares' totals (and keep them hidden from a role that may not see statements)."""
        self.show_money = allowed
        if self.loaded:
            self._show()

    def _open(self, row: int) -> None:
        rx_id = row_key(self.table, row)
        if rx_id:
            self.open_requested.emit(rx_id)

    def _failed(self, exc: Exception) -> None:
        self.error.setText(self.host.words.message(exc))


__all__ = ["DateField", "HistoryView", "insurer_label", "iran_today", "state_label"]
