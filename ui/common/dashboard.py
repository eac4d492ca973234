"""The dashboard: prescriptions and dispensings per day, the insurers' and patients' shares per insurer, and
the sync backlog over time, as Qt Charts. The figures are computed on the store lane
(`app.services.dashboard`), never on the UI thread, and computed again after a write or a drain changes
something (a short pause gathers a burst of changes into one refresh).

Numbers on the charts follow the window's language (`QChart.localizeNumbers` with a Persian locale gives
Persian digits); days are Jalali in Persian.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QLocale, QMargins, Qt, QTimer
from PySide6.QtGui import QPainter, QShowEvent
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain import IRAN_TZ
from app.services.dashboard import Dashboard, dashboard
from ui.common.operations import Changes, query

if TYPE_CHECKING:
    from ui.common.host import Host
    from ui.i18n import Words

PERIODS = (7, 14, 30, 90)


def _short_day(words: Words, day: dt.date) -> str:
    """`۰۹/۰۵` (Jalali month/day) in Persian, `11-26` in English."""
    if words.lang == "fa":
        from app.timefmt import jalali_date

        return jalali_date(day)[5:]
    return day.strftime("%m-%d")


def _chart(words: Words) -> QChart:
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    # Persian digits are measured narrower than they are drawn: room on the left for the value labels
    chart.setMargins(QMargins(28 if words.lang == "fa" else 4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setLocalizeNumbers(True)
    chart.setLocale(
        QLocale(QLocale.Language.Persian, QLocale.Country.Iran)
        if words.lang == "fa"
        else QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    )
    return chart


def _view() -> QChartView:
    view = QChartView()
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    view.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # time runs left to right on the axes
    return view


def _value_axis(top: float) -> QValueAxis:
    """A count or amount axis from 0 to a round bound at least `top`, whole numbers on its 5 ticks ("%d"
    draws nothing when the chart localizes its numbers; "%.0f" does)."""
    top = max(4.0, float(top))
    step = 4 * 10 ** max(0, len(str(int(top / 4))) - 1)
    axis = QValueAxis()
    axis.setRange(0, float(-(-top // step) * step))
    axis.setTickCount(5)
    axis.setLabelFormat("%.0f")
    return axis


class DashboardView(QWidget):
    """The dashboard page. `figures` is the last `Dashboard` drawn; `computed` counts computations."""

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.period = QComboBox()
        self.period.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # "last 14 days" whole
        self.period_label = QLabel()
        self.refresh_button = QPushButton()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.updated = QLabel()
        self.error = QLabel()
        self.error.hide()
        self.per_day_view, self.insurers_view, self.backlog_view = _view(), _view(), _view()
        top = QHBoxLayout()
        top.addWidget(self.period_label)
        top.addWidget(self.period)
        top.addWidget(self.refresh_button)
        top.addWidget(self.updated)
        top.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(self.per_day_view, 0, 0, 1, 2)
        grid.addWidget(self.insurers_view, 1, 0)
        grid.addWidget(self.backlog_view, 1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addLayout(grid, 1)
        self.figures: Dashboard | None = None
        self.computing = False
        self.computed = 0
        self._again = False
        self.stale = False
        self.pause = QTimer(self)
        self.pause.setSingleShot(True)
        self.pause.setInterval(400)
        self.pause.timeout.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.period.currentIndexChanged.connect(self.refresh)
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        w = self.host.words
        current = self.period.currentData() or 14
        self.period.blockSignals(True)
        self.period.clear()
        for n in PERIODS:
            self.period.addItem(w("rep_dash_days_n", n=n), n)
        self.period.setCurrentIndex(max(0, self.period.findData(current)))
        self.period.blockSignals(False)
        self.period_label.setText(w("rep_dash_days"))
        self.refresh_button.setText(w("refresh"))
        self._draw()

    def _on_changes(self, changes: Changes) -> None:
        if changes.any_prescription or changes.outbox or changes.connection:
            if self.isVisible():
                self.pause.start()  # a burst of changes (a drain) is drawn once
            else:
                self.stale = True  # computed when the page is shown: no work nobody looks at

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.stale:
            self.stale = False
            self.refresh()

    def forget(self) -> None:
        """Drop the figures drawn (a person who may not see them is now logged in); computed again when
        the page is next shown."""
        self.figures = None
        self.summary.clear()
        self.updated.clear()
        for view in (self.per_day_view, self.insurers_view, self.backlog_view):
            old = view.chart()
            view.setChart(_chart(self.host.words))
            if old is not None:
                old.deleteLater()
        self.stale = True

    def refresh(self) -> None:
        """Compute the figures again on the store lane (once more after this one when already busy)."""
        if self.computing:
            self._again = True
            return
        self.computing = True
        days = int(self.period.currentData() or 14)
        query(self.host.ws, lambda ws: dashboard(ws, days=days)).success(self._loaded).failure(
            self._failed
        ).run(self.host)

    def _loaded(self, figures: Dashboard) -> None:
        self.figures = figures
        self.computed += 1
        self.error.clear()
        self.error.hide()
        self._done()
        self._draw()

    def _failed(self, exc: Exception) -> None:
        self.error.setText(self.host.words.message(exc))
        self.error.show()
        self._done()

    def _done(self) -> None:
        self.computing = False
        if self._again:
            self._again = False
            self.refresh()

    # ---- drawing ------------------------------------------------------------------------------------

    def _draw(self) -> None:
        d = self.figures
        if d is None:
            return
        w = self.host.words
        queued = d.queued_now  # the status bar's count
        self.summary.setText(
            w(
                "rep_dash_summary",
                days=w("rep_dash_days_n", n=len(d.days)),
                rx=sum(x.prescriptions for x in d.days),
                disp=sum(x.dispensings for x in d.days),
                insurer=w.rials(d.insurer_total),
                patient=w.rials(d.patient_total),
                queued=queued,
            )
        )
        self.updated.setText(w("rep_dash_updated", at=w.datetime(dt.datetime.now(IRAN_TZ))))
        for view, chart in (
            (self.per_day_view, self._per_day(w, d)),
            (self.insurers_view, self._insurers(w, d)),
            (self.backlog_view, self._backlog(w, d)),
        ):
            old = view.chart()
            view.setChart(chart)
            if old is not None:
                old.deleteLater()  # the view gives the previous chart back to us

    def _per_day(self, w: Words, d: Dashboard) -> QChart:
        chart = _chart(w)
        chart.setTitle(w("rep_dash_per_day"))
        series = QBarSeries()
        for label, values in (
            (w("rep_dash_prescriptions"), [x.prescriptions for x in d.days]),
            (w("rep_dash_dispensings"), [x.dispensings for x in d.days]),
        ):
            bars = QBarSet(label)
            bars.append([float(v) for v in values])
            series.append(bars)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([_short_day(w, x.day) for x in d.days])
        y = _value_axis(max([1, *(max(x.prescriptions, x.dispensings) for x in d.days)]))
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        self.per_day_series = series
        return chart

    def _insurers(self, w: Words, d: Dashboard) -> QChart:
        chart = _chart(w)
        chart.setTitle(w("rep_dash_insurers"))
        series = QHorizontalBarSeries()  # the insurers' names down the side, whole, in either language
        for label, values in (
            (w("rep_dash_insurer_share"), [x.insurer for x in d.insurers]),
            (w("rep_dash_patient_share"), [x.patient for x in d.insurers]),
        ):
            bars = QBarSet(label)
            bars.append([v / 1000 for v in values])
            series.append(bars)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([w.pick(i.name_fa, i.name_en) or "—" for i in d.insurers] or ["—"])
        y = _value_axis(max([1, *(max(i.insurer, i.patient) / 1000 for i in d.insurers)]))
        chart.addAxis(x, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(y, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x)
        series.attachAxis(y)
        self.insurers_series = series
        return chart

    def _backlog(self, w: Words, d: Dashboard) -> QChart:
        chart = _chart(w)
        chart.setTitle(w("rep_dash_backlog"))
        series = QLineSeries()
        series.setName(w("rep_dash_queued"))
        series.setPointsVisible(True)  # a flat, empty queue still shows its samples
        start = dt.datetime.combine(d.start, dt.time(), IRAN_TZ)
        end = dt.datetime.combine(d.end + dt.timedelta(days=1), dt.time(), IRAN_TZ)

        def hours(moment: dt.datetime) -> float:
            return (moment - start).total_seconds() / 3600

        for moment, n in d.backlog:
            series.append(hours(moment), float(n))
        chart.addSeries(series)
        x = QCategoryAxis()
        x.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        step = max(1, len(d.days) // 7)
        for i, day in enumerate(x.day for x in d.days):
            if i % step == 0:
                x.append(_short_day(w, day), hours(dt.datetime.combine(day, dt.time(), IRAN_TZ)))
        x.setRange(0, hours(end))
        y = _value_axis(max([1, *(n for _m, n in d.backlog)]))
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        self.backlog_series = series
        return chart


__all__ = ["DashboardView"]
