"""The dashboard over a real SQLCipher store, offscreen: the charts are drawn with the store's figures (bar
values per day, one category per insurer, a point per backlog sample), the figures are computed off the UI
thread (a timer keeps firing while a slow computation runs), and a write's "changes" redraws them."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import pytest

from app.costs import CostSplit
from app.domain import IRAN_TZ, Coverage, Dispensing, DispensingItem, Pharmacist
from app.services import dashboard as service
from app.store import reports
from tests.conftest import make_patient, make_prescription


@pytest.fixture
def host(qtbot, ws):
    from ui.common.host import Host
    from ui.i18n import Words
    from ui.main import setup_application

    setup_application("fa")
    h = Host(ws, Words("fa"))
    yield h
    h.tasks.shutdown()


def _fill(store) -> None:
    now = dt.datetime.now(IRAN_TZ).replace(microsecond=0)
    ihio = make_patient("0012345679", "مریم", "احمدی")
    ihio = type(ihio)(ihio.id, ihio.first_name, ihio.last_name, coverage=Coverage("IHIO"))
    for i in range(5):
        rx = make_prescription(ihio if i < 3 else make_patient("0499370899", "علی", "رضایی"))
        rx.prescribed_at = now - dt.timedelta(minutes=i)
        store.save_prescription(rx)
    for i in range(2):
        rx = make_prescription()
        rx.prescribed_at = now - dt.timedelta(days=1, minutes=i)
        store.save_prescription(rx)
    item = DispensingItem(1, "100000", 10, cost=CostSplit(70_000, 30_000))
    store.save_dispensing(Dispensing(rx.id, Pharmacist("دکتر نیما کاظمی", "98765"), "12345678", [item]))
    utc = dt.datetime.now(dt.UTC)
    for hours, n in ((30, 4), (20, 9), (2, 1)):
        reports.add_backlog_sample(store, utc - dt.timedelta(hours=hours), n, every=dt.timedelta(0))


def _values(series, n: int) -> list[float]:
    bars = series.barSets()[n]
    return [bars.at(i) for i in range(bars.count())]


def test_the_dashboard_draws_the_stores_figures(qtbot, host, ws) -> None:
    from ui.common.dashboard import DashboardView

    _fill(ws.store)
    view = DashboardView(host)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitUntil(lambda: view.computed >= 1, timeout=10000)
    prescriptions, dispensings = _values(view.per_day_series, 0), _values(view.per_day_series, 1)
    assert len(prescriptions) == 14 and prescriptions[-2:] == [2.0, 5.0] and sum(prescriptions) == 7
    assert dispensings[-1] == 1.0 and sum(dispensings) == 1
    insurers = view.insurers_series
    axis = insurers.attachedAxes()[0]
    assert axis.categories() == ["آزاد", "سازمان بیمه سلامت ایران"]
    totals = {i.code: i for i in view.figures.insurers}
    assert set(totals) == {"", "IHIO"} and totals["IHIO"].count == 3 and totals[""].count == 4
    assert _values(insurers, 0) == [i.insurer / 1000 for i in view.figures.insurers]
    # three samples kept, and the one the dashboard took itself (the queue is empty now)
    points = [view.backlog_series.at(i) for i in range(view.backlog_series.count())]
    assert [p.y() for p in points] == [4.0, 9.0, 1.0, 0.0]
    assert all(a.x() < b.x() for a, b in itertools.pairwise(points))
    assert "۷" in view.summary.text()  # Persian digits: seven prescriptions
    assert view.per_day_view.chart().localizeNumbers()


def test_figures_are_computed_off_the_ui_thread_and_redrawn_on_changes(qtbot, host, ws, monkeypatch) -> None:
    from ui.common import dashboard as page
    from ui.common.operations import Changes

    _fill(ws.store)
    view = page.DashboardView(host)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.computed >= 1, timeout=10000)

    def slow(ws, **kw):
        time.sleep(0.6)  # a big store: the computation takes a while
        return service.dashboard(ws, **kw)

    monkeypatch.setattr(page, "dashboard", slow)
    ticks = []
    timer = page.QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    rx = make_prescription()
    ws.store.save_prescription(rx)
    host.changes.publish(Changes.of_prescription(rx.id))
    qtbot.waitUntil(lambda: view.computed >= 2, timeout=10000)
    timer.stop()
    assert len(ticks) >= 15  # the UI thread kept turning while the figures were computed
    assert _values(view.per_day_series, 0)[-1] == 6.0

    # a page nobody looks at computes nothing; it catches up when shown
    monkeypatch.setattr(page, "dashboard", service.dashboard)
    view.hide()
    ws.store.save_prescription(make_prescription())
    host.changes.publish(Changes(every_prescription=True))
    qtbot.wait(600)
    assert view.computed == 2 and view.stale
    view.show()
    qtbot.waitUntil(lambda: view.computed == 3, timeout=10000)
    assert _values(view.per_day_series, 0)[-1] == 7.0
