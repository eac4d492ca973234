"""Each main screen of the desktop rendered to a PNG, for the README and for looking at the window without
a person at it (`noskhe demo --screenshots DIR` calls `render_demo`).

    render(ws, Path("docs"), secret="…", patient=("national-code", "…", "مریم", "احمدی"))

The screens are a registry, `SCREENS`: name → `Screen(role, render function)`, rendered in the order they
were added, each for the workstations of its role ("clinic" or "pharmacy"). To add one, append a function
at the end of this file (or in your own module, imported at the end of this one):

    @screen("counter", role="pharmacy")
    def _counter(shots: Shots) -> QWidget | None:
        window = shots.logged_in()              # the main window, logged in (opened once per render)
        ...                                     # shots.state holds what earlier screens left there
        return window                           # grabbed to <prefix>counter.png; None: skipped

A widget other than the main window (a dialog, a preview) is closed once it is grabbed. `shots.state` is
shared by every screen of one `render_demo` run, the clinic's and the pharmacy's: the clinic's screens leave
the prescription they signed there (`rx_id`, `tracking_code`, `patient`).

The workstation must be able to sign (a token or key file set, `secret` its PIN or passphrase); with an
exchange set, the prescription is registered before it is shown. Screens are grabbed from the widgets
themselves, so dialogs come out too on a server with no window manager (or `QT_QPA_PLATFORM=offscreen`).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from ui.i18n import Words

if TYPE_CHECKING:
    from app.workstation import Workstation
    from ui.common.mainwindow import MainWindow


@dataclass(frozen=True)
class Screen:
    name: str
    role: str  # "clinic" or "pharmacy"
    render: Callable[[Shots], QWidget | None]


#: every screen, in the order rendered
SCREENS: dict[str, Screen] = {}


def screen(name: str, role: str = "clinic") -> Callable[[Callable[[Shots], QWidget | None]], Any]:
    """Register a screen's render function under `name` (a decorator); a name taken twice raises."""

    def add(fn: Callable[[Shots], QWidget | None]) -> Callable[[Shots], QWidget | None]:
        if name in SCREENS:
            raise ValueError(f"screen {name!r} is registered twice")
        SCREENS[name] = Screen(name, role, fn)
        return fn

    return add


def screens_for(role: str) -> list[str]:
    """The names of the screens rendered for a workstation of `role`, in order."""
    return [s.name for s in SCREENS.values() if s.role == role]


def wait(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Turn the event loop until `condition()` holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents()
        time.sleep(0.01)
    return True


def settle(seconds: float = 0.3) -> None:
    """Turn the event loop for `seconds` (layouts, repaints, queued results)."""
    wait(lambda: False, seconds)


@dataclass
class Shots:
    """What a screen's render function gets: the workstation, its words, the user's secret, the demo
    patient (id kind, id, first name, last name), and the main window once a screen has opened it."""

    ws: Workstation
    words: Words
    secret: str
    patient: tuple[str, str, str, str]
    lang: str = "fa"
    state: dict[str, Any] = field(default_factory=dict)
    window: MainWindow | None = None

    def main_window(self) -> MainWindow:
        """The main window (opened on the first call, at the login screen)."""
        from ui.common.mainwindow import MainWindow

        if self.window is None:
            self.window = MainWindow(self.ws, self.words)
            self.window.resize(1180, 760)
            self.window.show()
        return self.window

    def logged_in(self) -> MainWindow:
        """The main window with the user logged in (and the seal open, the first sync tried)."""
        window = self.main_window()
        if window.session.state != "in":
            window.login.secret.setText(self.secret)
            window.login.submit()
            wait(lambda: window.session.state == "in" and window.session.seal_open)
            wait(lambda: window.sync.state not in ("off", "checking"), 15)
            if window.sync.state == "online":  # the price list, so the split is priced, not pending
                wait(lambda: bool(self.ws.store.meta("reference.catalog.fetched_at")), 15)
        return window

    wait = staticmethod(wait)
    settle = staticmethod(settle)


def render(
    ws: Workstation,
    out: Path,
    *,
    secret: str,
    patient: tuple[str, str, str, str],
    lang: str = "fa",
    prefix: str = "ui-",
    names: list[str] | None = None,
    state: dict[str, Any] | None = None,
) -> list[Path]:
    """Render the screens of `ws.role` (or only `names`) to `out/<prefix><name>.png`, in registry order;
    returns the files written. A new prescription for `patient` = (id kind, id, first name, last name) is
    written and signed on the way at a clinic; `state` (shared between renders) gets what it left."""
    from ui.main import setup_application

    out.mkdir(parents=True, exist_ok=True)
    setup_application(lang)
    shots = Shots(ws, Words(lang), secret, patient, lang, state if state is not None else {})
    written: list[Path] = []
    try:
        for name in screens_for(ws.role):
            if names is not None and name not in names:
                continue
            widget = SCREENS[name].render(shots)
            if widget is None:
                continue
            settle()
            path = out / f"{prefix}{name}.png"
            widget.grab().save(str(path))
            written.append(path)
            if widget is not shots.window:
                widget.close()
    finally:
        if shots.window is not None:
            shots.window.shutdown()
            shots.window.close()
            shots.window.deleteLater()
            settle(0.1)
    return written


def render_demo(
    out: Path, world_factory: Callable[[Path], Any], devworld: Any, *, lang: str = "fa",
    say: Callable[[str], None] = lambda s: None, seed: Any = None,
) -> list[Path]:  # fmt: skip
    """`noskhe demo --screenshots DIR`: every screen of `SCREENS` rendered to `out` with the demo's
    world: `world_factory(root)` makes `exchange.demo.World` (TEST tokens on SoftHSM2, the reference
    exchange on a loopback port), `devworld` is `exchange.devworld` (the sites and their PINs), `seed`
    `exchange.seed` (an insured patient the exchange knows, so the split has an insurer's share) — all
    handed in by the CLI, as only it may reach the reference exchange. Offscreen when there is no
    display. Returns the PNGs written; raises what a screen raised."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="noskhe-screens-") as tmp:
        world = world_factory(Path(tmp))
        try:
            world.start_exchange()
            state: dict[str, Any] = {
                "ttac_sample": lambda drug: world.admin(f"/admin/ttac-sample?drug={drug}&n=1")["codes"]
            }  # genuine packs from the demo exchange's shelf, for the counter's screen
            patient = DEMO_PATIENT
            insured = [
                p for p in (seed.persons() if seed else []) if p["kind"] == "national-code" and p["coverages"]
            ]
            if insured:  # a patient the exchange knows as insured: the split has an insurer's share
                p = insured[0]
                patient = ("national-code", p["value"], p["first_name"], p["last_name"])
                state["insurer"] = p["coverages"][0]
            for spec in (devworld.CLINIC, devworld.PHARMACY):
                if not screens_for(spec.role):
                    continue
                ws = world.site(spec)
                say(f"{spec.role}: {', '.join(screens_for(spec.role))}")
                written += render(
                    ws, out, secret=devworld.PINS[spec.user_token], patient=patient, lang=lang,
                    state=state,
                )  # fmt: skip
        finally:
            world.close()
    return written


DEMO_PATIENT = ("national-code", "0012345679", "مریم", "احمدی")


# ---- the clinic's screens ----------------------------------------------------------------------------


@screen("unlock")
def _unlock(shots: Shots) -> QWidget | None:
    from ui.common.unlock import UnlockDialog

    unlock = UnlockDialog(shots.ws.store.data_dir, shots.words)
    unlock.resize(460, unlock.sizeHint().height())
    unlock.show()
    return unlock


@screen("login")
def _login(shots: Shots) -> QWidget | None:
    return shots.main_window()


@screen("new-prescription")
def _new_prescription(shots: Shots) -> QWidget | None:
    window = shots.logged_in()
    editor = window.desk.new_prescription()
    kind, value, first, last = shots.patient
    editor.patient.set_scanned(f"{kind}:{value}")
    editor.patient.first_name.setText(first)
    editor.patient.last_name.setText(last)
    insurer = editor.patient.insurer
    if shots.state.get("insurer") and insurer.findData(shots.state["insurer"]) >= 0:
        insurer.setCurrentIndex(insurer.findData(shots.state["insurer"]))  # the split: the insurer's share
    editor.search.search.setText("amoxicillin 250")
    editor.search.pick()
    editor.items.quantity(0).setValue(21)
    editor.items.days(0).setValue(20)  # longer than the rules allow without a reason
    editor.items.instructions(0).setCurrentText(
        "هر ۸ ساعت یک عدد" if shots.lang == "fa" else "1 every 8 hours"
    )
    editor.check()
    wait(lambda: editor.findings.checked and not editor.busy)
    shots.state["editor"] = editor
    return window


@screen("prescription")
def _prescription(shots: Shots) -> QWidget | None:
    window = shots.logged_in()
    editor = shots.state.pop("editor", None)
    if editor is None:
        return None
    if editor.findings.needs_reason_field:
        editor.findings.reason.setText(
            "عفونت مقاوم به درمان قبلی" if shots.lang == "fa" else "resistant infection"
        )
    editor.sign()
    wait(lambda: editor.prescription is not None or not editor.error.isHidden())
    rx = editor.prescription
    if rx is not None:
        shots.state.update(rx_id=rx.id, patient=shots.patient)
        wait(lambda: window.current_page() is not editor)
        wait(lambda: getattr(window.current_page(), "record", None) is not None)
        if window.sync.state == "online":
            wait(lambda: window.current_page().record.prescription.state.value == "registered", 20)  # type: ignore[union-attr]
        record = getattr(window.current_page(), "record", None)
        if record is not None and record.prescription.tracking_code:
            shots.state["tracking_code"] = record.prescription.tracking_code
    return window


@screen("prescriptions")
def _prescriptions(shots: Shots) -> QWidget | None:
    window = shots.logged_in()
    window.show_page(window.desk.prescriptions)  # today's list, with the prescription just signed
    wait(lambda: window.desk.prescriptions.loaded > 0, 10)
    window.statusBar().clearMessage()
    return window


@screen("print-preview")
def _print_preview(shots: Shots) -> QWidget | None:
    from ui.clinic.operations import print_to_pdf
    from ui.common import paper

    window = shots.logged_in()
    rx_id = shots.state.get("rx_id")
    if rx_id is None:
        return None
    made: list[Path] = []
    print_to_pdf(shots.ws, rx_id).success(made.append).run(window.host)
    wait(lambda: bool(made))
    if not made:
        return None
    shots.state["paper_pdf"] = made[0]  # the pharmacy's paper verdict reads its QR back
    preview = paper.preview_pdf(Path(made[0]), window)
    preview.resize(760, 900)
    return preview


@screen("sync-panel")
def _sync_panel(shots: Shots) -> QWidget | None:
    window = shots.logged_in()
    window.open_sync_panel()
    window.statusBar().clearMessage()
    return window


@screen("settings")
def _settings(shots: Shots) -> QWidget | None:
    settings = shots.logged_in().open_settings()
    settings.resize(700, 420)
    return settings  # type: ignore[no-any-return]


@screen("lock")
def _lock(shots: Shots) -> QWidget | None:
    window = shots.logged_in()
    window.session.lock("manual")
    return window


# ---- the pharmacy's screens (append below) -----------------------------------------------------------

from ui.pharmacy.screens import PHARMACY_SCREENS  # its functions take Shots, defined above

for _name, _render in PHARMACY_SCREENS:
    screen(_name, role="pharmacy")(_render)

from ui.common.history_screens import REPORT_SCREENS  # the counter list, statement and dashboard

for _name, _render in REPORT_SCREENS:
    screen(_name, role="pharmacy")(_render)


__all__ = ["SCREENS", "Screen", "Shots", "render", "render_demo", "screen", "screens_for", "settle", "wait"]
