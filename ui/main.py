"""The desktop program: `noskhe` with no arguments. `ui/` is the only room that imports Qt.

    run(ctx)   the facility passphrase (`ui.common.unlock`), then the main window
               (`ui.common.mainwindow`), whose login screen asks for the user's token and PIN

The application object is set up once: right-to-left for Persian, a font with Persian glyphs, and Qt's own
translations so its buttons (OK, Cancel, Yes, No) speak the window's language.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from ui.common.mainwindow import MainWindow
from ui.common.unlock import UnlockDialog
from ui.i18n import Words, apply_language

if TYPE_CHECKING:
    from app.cli.context import Context

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/vazirmatn/Vazirmatn-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
)


def setup_application(lang: str) -> QApplication:
    """The application object (made once), right-to-left for Persian, with a Persian font and Qt's
    translations for `lang`."""
    app = QApplication.instance() or QApplication(["noskhe"])
    assert isinstance(app, QApplication)
    app.setApplicationName("Noskhe")
    apply_language(lang)
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            fid = QFontDatabase.addApplicationFont(path)
            families = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
            if families:
                app.setFont(QFont(families[0], 10))
                break
    return app


def run(ctx: Context) -> int:
    """The desktop program over the workstation in `ctx.data_dir`; returns the exit code (1 when the
    user gives up at the passphrase)."""
    words = Words(ctx.lang)
    app = setup_application(ctx.lang)
    from ui.common.first_run import FirstRunWizard, needs_first_run

    data_dir = Path(ctx.data_dir)
    # no store yet: the first-run wizard creates one; otherwise the facility passphrase unlocks it
    ws = (
        FirstRunWizard.ask(data_dir, words)
        if needs_first_run(data_dir)
        else UnlockDialog.ask(data_dir, words)
    )
    if ws is None:
        return 1
    from ui.common.settings import apply_module_setting

    apply_module_setting(ws)
    chosen = ws.setting("ui.lang")
    if chosen in ("fa", "en") and chosen != words.lang:
        words.lang = chosen
        apply_language(chosen)
    window = MainWindow(ws, words)
    window.show()
    window.login.secret.setFocus()
    try:
        return app.exec()
    finally:
        ws.close()


__all__ = ["MainWindow", "apply_language", "run", "setup_application"]
