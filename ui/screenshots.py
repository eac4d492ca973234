"""Each main screen of the desktop rendered to a PNG, for the README and for looking at the window without
a person at it (`noskhe demo --screenshots DIR` is meant to call `render`).

    render(ws, Path("docs"), secret="…", patient=("national-code", "…", "مریم", "احمدی"))

The workstation must be able to sign (a token or key file set, `secret` its PIN or passphrase); with an
exchange set, the prescription is registered before it is shown. Screens are grabbed from the widgets
themselves, so dialogs come out too on a server with no window manager (or `QT_QPA_PLATFORM=offscreen`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from ui.i18n import Words

if TYPE_CHECKING:
    from app.workstation import Workstation

SCREENS = (
    "unlock",
    "login",
    "prescriptions",
    "new-prescription",
    "prescription",
    "print-preview",
    "sync-panel",
    "settings",
    "lock",
)


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents()
        time.sleep(0.01)
    return True


def _settle(seconds: float = 0.3) -> None:
    _wait(lambda: False, seconds)


def render(
    ws: Workstation,
    out: Path,
    *,
    secret: str,
    patient: tuple[str, str, str, str],
    lang: str = "fa",
    prefix: str = "ui-",
) -> list[Path]:
    """Render `SCREENS` to `out/<prefix><screen>.png` (a new prescription for `patient` = (id kind, id,
    first name, last name) is written and signed on the way); returns the files written."""
    from ui.common import paper
    from ui.common.mainwindow import MainWindow
    from ui.common.unlock import UnlockDialog
    from ui.main import setup_application

    out.mkdir(parents=True, exist_ok=True)
    setup_application(lang)
    words = Words(lang)
    written: list[Path] = []

    def shot(name: str, widget: QWidget) -> None:
        _settle()
        path = out / f"{prefix}{name}.png"
        widget.grab().save(str(path))
        written.append(path)

    unlock = UnlockDialog(ws.store.data_dir, words)
    unlock.resize(460, unlock.sizeHint().height())
    unlock.show()
    shot("unlock", unlock)
    unlock.close()

    window = MainWindow(ws, words)
    window.resize(1180, 760)
    window.show()
    shot("login", window)
    window.login.secret.setText(secret)
    window.login.submit()
    _wait(lambda: window.session.state == "in" and window.session.seal_open)
    _wait(lambda: window.sync.state not in ("off", "checking"), 15)
    shot("prescriptions", window)

    editor = window.desk.new_prescription()
    kind, value, first, last = patient
    editor.patient.set_scanned(f"{kind}:{value}")
    editor.patient.first_name.setText(first)
    editor.patient.last_name.setText(last)
    editor.search.search.setText("amoxicillin 250")
    editor.search.pick()
    editor.items.quantity(0).setValue(21)
    editor.items.days(0).setValue(20)  # longer than the rules allow without a reason
    editor.items.instructions(0).setCurrentText("هر ۸ ساعت یک عدد")
    editor.check()
    _wait(lambda: editor.findings.checked and not editor.busy)
    shot("new-prescription", window)

    if editor.findings.needs_reason_field:
        editor.findings.reason.setText("عفونت مقاوم به درمان قبلی" if lang == "fa" else "resistant infection")
    editor.sign()
    _wait(lambda: editor.prescription is not None or not editor.error.isHidden())
    rx = editor.prescription
    if rx is not None:
        _wait(lambda: window.current_page() is not editor)
        _wait(lambda: getattr(window.current_page(), "record", None) is not None)
        if window.sync.state == "online":
            _wait(lambda: window.current_page().record.prescription.state.value == "registered", 20)  # type: ignore[union-attr]
    shot("prescription", window)

    if rx is not None:
        from ui.clinic.operations import print_to_pdf

        made: list[Path] = []
        print_to_pdf(ws, rx.id).success(made.append).run(window.host)
        _wait(lambda: bool(made))
        if made:
            preview = paper.preview_pdf(made[0], window)
            preview.resize(760, 900)
            shot("print-preview", preview)
            preview.close()

    window.open_sync_panel()
    shot("sync-panel", window)
    settings = window.open_settings()
    settings.resize(700, 420)
    shot("settings", settings)
    settings.reject()
    window.session.lock("manual")
    shot("lock", window)
    window.shutdown()
    window.close()
    return written


__all__ = ["SCREENS", "render"]
