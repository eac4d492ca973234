"""The reports' screens for `ui.screenshots` (`noskhe demo --screenshots DIR`, the README): the counter
list and history, the financial statement with its totals per insurer and per day, and the dashboard.

Registered by `ui.screenshots` (which imports `REPORT_SCREENS` at its end) for the pharmacy, after the
counter's screens, so the statement and the dashboard show the dispensing made there. Each returns the
main window showing its page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from ui.common.mainwindow import MainWindow
    from ui.common.statements import ReportPages
    from ui.screenshots import Shots


def _pages(shots: Shots) -> tuple[MainWindow, ReportPages]:
    window = shots.logged_in()
    return window, window.desk.reports  # type: ignore[attr-defined]


def _history(shots: Shots) -> QWidget | None:
    window, pages = _pages(shots)
    window.show_page(pages.history)
    before = pages.history.loaded
    pages.history.show_today()
    shots.wait(lambda: pages.history.loaded > before, 15)
    return window


def _statement(shots: Shots) -> QWidget | None:
    window, pages = _pages(shots)
    view = pages.statement
    window.show_page(view)
    view.fetch()
    shots.wait(lambda: not view.busy, 30)
    return window


def _dashboard(shots: Shots) -> QWidget | None:
    window, pages = _pages(shots)
    view = pages.dashboard
    window.show_page(view)
    before = view.computed
    view.refresh()
    shots.wait(lambda: view.computed > before and not view.computing, 30)
    return window


#: (name, render function), in the order rendered
REPORT_SCREENS: list[tuple[str, Callable[[Any], QWidget | None]]] = [
    ("history", _history),
    ("statement", _statement),
    ("dashboard", _dashboard),
]

__all__ = ["REPORT_SCREENS"]
