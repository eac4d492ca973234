"""The financial statement page (9-2-9 at a pharmacy, 9-1-8 at a clinic): the exchange's statement for a
date range with its totals per insurer and per day, and each insurer's monthly claim list saved as XLSX or
CSV (a file dialog) or printed (A4 landscape, Qt's print dialog).

The statement is the exchange's, so fetching it runs on the network lane and waits for nobody; the page
says so when the exchange does not answer. `add_report_pages(window, open_prescription)` puts the counter
list and history, this page and the dashboard into a main window (one line in each desk).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.domain import Insurer
from app.errors import InvalidDate
from app.services import users
from app.services.statements import StatementReport, Totals, report
from ui.common.history import DateField, insurer_label, iran_today, state_label
from ui.common.operations import Lane, Op, query
from ui.common.tables import fill, read_only_table

if TYPE_CHECKING:
    from app.services.claims import ClaimList
    from app.workstation import Workstation
    from ui.common.host import Host
    from ui.common.mainwindow import MainWindow

TOTAL_COLUMNS = ("rep_col_count", "rep_col_insurer_share", "rep_col_patient_share")
LINE_COLUMNS = (
    "rep_col_time",
    "rep_col_reference",
    "rep_col_insurer",
    "rep_col_state",
    "rep_col_insurer_share",
    "rep_col_patient_share",
)


class ClaimsSaveDialog:
    """Where to save a claim list; None when the user gives up. Tests replace `ask`."""

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, suggested: str, pattern: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, pattern)
        return Path(path) if path else None


def fetch_report(ws: Workstation, start: dt.date | None, end: dt.date | None) -> Op[StatementReport]:
    """The statement with its totals, asked of the exchange on the network lane."""
    return Op(lambda: report(ws, start, end), lane=Lane.NETWORK)


def save_claims(ws: Workstation, insurer: str, month: str, target: Path, lang: str) -> Op[ClaimList]:
    """The insurer's claim list for the Jalali `month`, written to `target` (.xlsx, .csv or .pdf)."""

    def work() -> ClaimList:
        from app.services.claims import claim_list, export

        claims = claim_list(ws, insurer, month)
        if target.suffix.lower() == ".pdf":
            from printing.claims_pdf import claims_pdf

            claims_pdf(claims, target)
        else:
            export(claims, target, lang=lang)
        return claims

    return Op(work, lane=Lane.NETWORK)


class StatementView(QWidget):
    """The statement page. `report` holds the last statement fetched (None before)."""

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        w = host.words
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold")
        self.start, self.end = DateField(w), DateField(w)
        self.from_label, self.to_label = QLabel(), QLabel()
        self.month_button = QPushButton()
        self.fetch_button = QPushButton()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a00")
        self.insurers_table = read_only_table(1 + len(TOTAL_COLUMNS))
        self.days_table = read_only_table(1 + len(TOTAL_COLUMNS))
        self.lines_table = read_only_table(len(LINE_COLUMNS))
        self.insurers_box, self.days_box, self.lines_box = QGroupBox(), QGroupBox(), QGroupBox()
        for box, table in (
            (self.insurers_box, self.insurers_table),
            (self.days_box, self.days_table),
            (self.lines_box, self.lines_table),
        ):
            QVBoxLayout(box).addWidget(table)
        self.claims_box = QGroupBox()
        self.claim_insurer = QComboBox()
        self.month_label = QLabel()
        self.month = QLineEdit()
        self.month.setMaximumWidth(110)
        self.xlsx_button, self.csv_button, self.print_button = QPushButton(), QPushButton(), QPushButton()
        claims = QHBoxLayout(self.claims_box)
        for widget in (self.claim_insurer, self.month_label, self.month):
            claims.addWidget(widget)
        claims.addStretch(1)
        for button in (self.xlsx_button, self.csv_button, self.print_button):
            claims.addWidget(button)

        top = QHBoxLayout()
        for item in (self.from_label, self.start, self.to_label, self.end, self.month_button):
            top.addWidget(item)
        top.addStretch(1)
        top.addWidget(self.fetch_button)
        totals = QSplitter()
        totals.addWidget(self.insurers_box)
        totals.addWidget(self.days_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(totals, 2)
        layout.addWidget(self.lines_box, 3)
        layout.addWidget(self.claims_box)

        self.report: StatementReport | None = None
        self.insurers: dict[str, Insurer] = {}
        self.busy = False
        self.saved: list[Path] = []
        self.start.set_date(_jalali_month_start())
        self.end.set_date(iran_today())
        from app.services.claims import this_month

        self.month.setText(w.number(this_month()))
        self.fetch_button.clicked.connect(self.fetch)
        self.month_button.clicked.connect(self.this_month)
        self.xlsx_button.clicked.connect(lambda: self.export(".xlsx"))
        self.csv_button.clicked.connect(lambda: self.export(".csv"))
        self.print_button.clicked.connect(self.print_claims)
        host.language_changed.connect(self.retranslate)
        query(host.ws, lambda ws: ws.store.catalog.insurers()).success(self._insurers).run(host)
        self.retranslate()

    # ---- words ------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        w = self.host.words
        role = self.host.ws.role
        self.title.setText(
            w("rep_statement_title_pharmacy" if role == "pharmacy" else "rep_statement_title_clinic")
        )
        self.from_label.setText(w("rep_from"))
        self.to_label.setText(w("rep_to"))
        for edit in (self.start, self.end):
            edit.setPlaceholderText(w("rep_date_hint"))
        self.month_button.setText(w("rep_this_month"))
        self.fetch_button.setText(w("rep_fetch"))
        self.insurers_box.setTitle(w("rep_per_insurer"))
        self.days_box.setTitle(w("rep_per_day"))
        self.lines_box.setTitle(w("rep_lines"))
        self.claims_box.setTitle(w("rep_claims"))
        self.month_label.setText(w("rep_month"))
        self.month.setPlaceholderText(w("rep_month_hint"))
        self.xlsx_button.setText(w("rep_export_xlsx"))
        self.csv_button.setText(w("rep_export_csv"))
        self.print_button.setText(w("rep_print"))
        self.insurers_table.setHorizontalHeaderLabels(
            [w("rep_col_key_insurer"), *(w(k) for k in TOTAL_COLUMNS)]
        )
        self.days_table.setHorizontalHeaderLabels([w("rep_col_day"), *(w(k) for k in TOTAL_COLUMNS)])
        self.lines_table.setHorizontalHeaderLabels([w(k) for k in LINE_COLUMNS])
        self.lines_table.setColumnHidden(LINE_COLUMNS.index("rep_col_state"), role == "pharmacy")
        self._fill_insurers()
        self._show()

    def _insurers(self, insurers: list[Insurer]) -> None:
        self.insurers = {i.code: i for i in insurers}
        self._fill_insurers()
        self._show()

    def _fill_insurers(self) -> None:
        w = self.host.words
        current = self.claim_insurer.currentData()
        self.claim_insurer.clear()
        for code in self.insurers:
            if code != "NONE" and "-" not in code:  # an insurer's plans are claimed under the insurer
                self.claim_insurer.addItem(insurer_label(w, self.insurers, code), code)
        self.claim_insurer.setCurrentIndex(max(0, self.claim_insurer.findData(current)))

    # ---- the statement ------------------------------------------------------------------------------

    def this_month(self) -> None:
        """From the first of this Jalali month to today, fetched."""
        self.start.set_date(_jalali_month_start())
        self.end.set_date(iran_today())
        self.fetch()

    def refused(self) -> bool:
        """True (and said on the page) when the person logged in may not see statements
        (`users.may(ws, STATEMENTS)`): asked before any dialog or request."""
        if users.may(self.host.ws, users.STATEMENTS):
            return False
        self.error.setText(self.host.words("users_refused_here"))
        return True

    def forget(self) -> None:
        """Drop the statement shown (a person who may not see it is now logged in)."""
        self.report = None
        for table in (self.insurers_table, self.days_table, self.lines_table):
            table.setRowCount(0)
        self.error.clear()
        self._show()

    def fetch(self) -> None:
        """Ask the exchange for the statement of the days in the fields."""
        if self.refused():
            return
        try:
            start, end = self.start.date(), self.end.date()
        except InvalidDate as exc:
            self.error.setText(self.host.words.message(exc))
            return
        self._busy(True)
        fetch_report(self.host.ws, start, end).success(self._loaded).failure(self._failed).with_progress(
            self.host.words("rep_fetching")
        ).run(self.host)

    def _loaded(self, rep: StatementReport) -> None:
        self._busy(False)
        self.error.clear()
        self.report = rep
        biggest = max(rep.by_insurer, key=lambda t: t.insurer, default=None)
        if biggest is not None and self.claim_insurer.findData(biggest.key) >= 0:
            self.claim_insurer.setCurrentIndex(self.claim_insurer.findData(biggest.key))  # its claim first
        self._show()

    def _show(self) -> None:
        w = self.host.words
        rep = self.report
        if rep is None:
            self.summary.setText(w("rep_not_fetched"))
            return
        st = rep.statement
        self.summary.setText(
            w(
                "rep_statement_total",
                start=_day(w, st.start),
                end=_day(w, st.end),
                count=st.count,
                insurer=w.rials(st.insurer),
                patient=w.rials(st.patient),
            )
        )

        def rows(groups: list[Totals], label: Any) -> list[list[str]]:
            return [[label(t.key), w.number(t.count), w.rials(t.insurer), w.rials(t.patient)] for t in groups]

        fill(self.insurers_table, rows(rep.by_insurer, self._insurer_name))
        fill(self.days_table, rows(rep.by_day, lambda key: _day(w, key)))
        fill(
            self.lines_table,
            [
                [
                    w.datetime(x.at),
                    w.number(x.reference or "—"),
                    self._insurer_name(rep.insurer_of.get(x.prescription)),
                    state_label(w, "clinic", x.state) if x.state else "—",
                    w.rials(x.insurer),
                    w.rials(x.patient),
                ]
                for x in st.lines
            ],
            [x.prescription for x in st.lines],
        )

    def _insurer_name(self, code: str | None) -> str:
        if code is None:
            return self.host.words("rep_unknown_insurer")
        return insurer_label(self.host.words, self.insurers, code)

    def _failed(self, exc: Exception) -> None:
        self._busy(False)
        self.error.setText(self.host.words.message(exc))

    def _busy(self, busy: bool) -> None:
        self.busy = busy
        for button in (
            self.fetch_button,
            self.month_button,
            self.xlsx_button,
            self.csv_button,
            self.print_button,
        ):
            button.setEnabled(not busy)

    # ---- claim lists --------------------------------------------------------------------------------

    def _claim_args(self) -> tuple[str, str] | None:
        from app.services.claims import month_range

        insurer = self.claim_insurer.currentData()
        if not insurer:
            self.error.setText(self.host.words("rep_pick_insurer"))
            return None
        try:
            month = month_range(self.month.text())[0]
        except InvalidDate as exc:
            self.error.setText(self.host.words.message(exc))
            return None
        return insurer, month

    def export(self, suffix: str) -> None:
        """Ask where, then save the chosen insurer's claim list for the month as `suffix` (.xlsx, .csv)."""
        if self.refused():
            return
        args = self._claim_args()
        if args is None:
            return
        insurer, month = args
        pattern = "Excel (*.xlsx)" if suffix == ".xlsx" else "CSV (*.csv)"
        target = ClaimsSaveDialog.ask(
            self, self.host.words("rep_save_claims"), f"{insurer}-{month}{suffix}", pattern
        )
        if target is None:
            return
        target = target if target.suffix.lower() == suffix else target.with_suffix(suffix)
        self._busy(True)
        save_claims(self.host.ws, insurer, month, target, self.host.words.lang).success(
            lambda claims: self._saved(claims, target)
        ).failure(self._failed).with_progress(self.host.words("rep_claims_working")).run(self.host)

    def _saved(self, claims: ClaimList, target: Path) -> None:
        self._busy(False)
        self.error.clear()
        self.saved.append(target)
        w = self.host.words
        self.summary.setText(
            w(
                "rep_claims_saved",
                insurer=w.pick(claims.insurer_fa, claims.insurer_en),
                month=claims.month_name(w.lang),
                count=claims.totals()["count"],
                path=str(target),
            )
        )

    def print_claims(self) -> None:
        """The chosen insurer's claim list as a PDF, then Qt's print dialog (A4 landscape)."""
        if self.refused():
            return
        args = self._claim_args()
        if args is None:
            return
        insurer, month = args
        target = Path(tempfile.mkdtemp(prefix="noskhe-claims-")) / f"{insurer}-{month}.pdf"
        self._busy(True)
        save_claims(self.host.ws, insurer, month, target, self.host.words.lang).success(
            lambda _claims: self._print(target)
        ).failure(self._failed).with_progress(self.host.words("rep_claims_working")).run(self.host)

    def _print(self, pdf: Path) -> None:
        from ui.common import paper

        self._busy(False)
        self.saved.append(pdf)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        try:
            if paper.PrintDialog.ask(printer, self):
                paper.paint(printer, paper.page_images(pdf, dpi=min(300, max(150, printer.resolution()))))
        except Exception as exc:  # noqa: BLE001 — the one failure path
            self.host.show_error(exc)


def _jalali_month_start() -> dt.date:
    from app.services.claims import month_range, this_month

    return month_range(this_month())[1]


def _day(words: Any, iso: str) -> str:
    from app.timefmt import format_date

    try:
        return format_date(dt.date.fromisoformat(iso), words.lang)
    except ValueError:
        return iso


class ReportPages(QObject):
    """The counter list and history, the statement and the dashboard in a main window, with View-menu
    entries; rows of the history open in `open_prescription(rx_id)`."""

    def __init__(self, window: MainWindow, open_prescription: Callable[[str], object]) -> None:
        super().__init__(window)
        from ui.common.dashboard import DashboardView
        from ui.common.history import HistoryView

        host = window.host
        self.history = HistoryView(host)
        self.statement = StatementView(host)
        self.dashboard = DashboardView(host)
        self.history.open_requested.connect(open_prescription)
        pages: list[tuple[QWidget, str, str]] = [
            (self.history, "tab_history", "Ctrl+7"),
            (self.statement, "tab_statement", "Ctrl+8"),
            (self.dashboard, "tab_dashboard", "Ctrl+9"),
        ]
        self.window = window
        for page, key, keys in pages:
            window.add_page(page, key, closable=False)
            act = window.action(key, self._shower(window, page), keys, menu="menu_view")
            if page is not self.history:  # money: for those who may see statements
                window.restrict(act, users.STATEMENTS, page)
        window.access_changed.connect(self._money_columns)
        self._money_columns()

    def _money_columns(self) -> None:
        """The history's insurer and patient shares only for those who may see statements."""
        from ui.common.history import COLUMNS

        try:
            allowed = users.may(self.window.host.ws, users.STATEMENTS)
        except Exception:  # noqa: BLE001 — the store unreadable: show no money
            allowed = False
        for key in ("rep_col_insurer_share", "rep_col_patient_share"):
            self.history.table.setColumnHidden(COLUMNS.index(key), not allowed)
        self.history.set_show_money(allowed)

    @staticmethod
    def _shower(window: MainWindow, page: QWidget) -> Callable[[], None]:
        return lambda: window.show_page(page)


def add_report_pages(window: MainWindow, open_prescription: Callable[[str], object]) -> ReportPages:
    """Add the reports' pages to `window` (see `ReportPages`)."""
    return ReportPages(window, open_prescription)


__all__ = [
    "ClaimsSaveDialog",
    "ReportPages",
    "StatementView",
    "add_report_pages",
    "fetch_report",
    "save_claims",
]
