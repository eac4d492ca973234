"""The desktop application: `noskhe` with no arguments. The only room that imports Qt."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QTabWidget

from ui.i18n import Words
from ui.prescribe import NewPrescriptionDialog
from ui.prompter import QtPrompter
from ui.status import SyncLight
from ui.tasks import TaskRunner
from ui.unlock import UnlockDialog
from ui.views import CatalogView, PrescriptionsView

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.workstation import Workstation

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/vazirmatn/Vazirmatn-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
)


class MainWindow(QMainWindow):
    """The workstation's window: its prescriptions, the catalog, the sync light. Closing it does not close
    the workstation (its opener does)."""

    def __init__(self, ws: Workstation, words: Words) -> None:
        super().__init__()
        self.ws, self.store, self.w = ws, ws.store, words
        store = ws.store
        if isinstance(ws.prompter, QtPrompter):
            ws.prompter.parent = self  # PIN and passphrase dialogs over this window
        self.tasks = TaskRunner(self)
        self.setWindowTitle(words("app_title"))
        self.tabs = QTabWidget()
        self.prescriptions = PrescriptionsView(store, words, self.tasks)
        self.catalog = CatalogView(store, words)
        self.tabs.addTab(self.prescriptions, words("tab_prescriptions"))
        self.tabs.addTab(self.catalog, words("tab_catalog"))
        self.setCentralWidget(self.tabs)
        self.new_rx_action = self.addToolBar(words("tab_prescriptions")).addAction(words("new_rx"))
        self.new_rx_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_rx_action.triggered.connect(self.new_prescription)
        self.new_rx_action.setVisible(store.role == "clinic")  # pharmacies dispense, they do not prescribe
        facility = store.facility()
        self.facility_label = QLabel(f"{words('facility')}: {facility.name or ''} ({words.number(facility.siam_id)})")
        self.statusBar().addPermanentWidget(self.facility_label)
        self.sync_light = SyncLight(store, words, self.tasks)
        self.statusBar().addWidget(self.sync_light)
        self.sync_light.refresh()
        self.resize(1000, 640)
        self.prescriptions.refresh()

    def new_prescription(self) -> None:
        """Write one prescription; the list and the queue count show it as soon as it is signed."""
        if NewPrescriptionDialog.ask(self.ws, self.w, self) is not None:
            self.tabs.setCurrentWidget(self.prescriptions)
            self.prescriptions.refresh()
            self.sync_light.refresh()

    def closeEvent(self, event: Any) -> None:
        self.tasks.wait()
        super().closeEvent(event)


def setup_application(lang: str) -> QApplication:
    app = QApplication.instance() or QApplication([])
    if lang == "fa":
        app.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            fid = QFontDatabase.addApplicationFont(path)
            families = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
            if families:
                app.setFont(QFont(families[0], 10))
                break
    return app  # type: ignore[return-value]


def run(ctx: Context) -> int:
    """The desktop application over the workstation in `ctx.data_dir`; returns the exit code."""
    words = Words(ctx.lang)
    app = setup_application(ctx.lang)
    ws = UnlockDialog.ask(Path(ctx.data_dir), words)
    if ws is None:
        return 1
    window = MainWindow(ws, words)
    window.show()
    try:
        return app.exec()
    finally:
        ws.close()
