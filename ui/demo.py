"""`noskhe demo` with no flags: the real desktop against a local reference exchange, to try at once.

    run(exchange_demo, devworld, seed, roles=("clinic",), lang="fa", root=None)  → exit code

The CLI hands in `exchange.demo` (its `World`: TEST tokens on SoftHSM2, the reference exchange as a child
process on a free loopback port; its store passphrase), `exchange.devworld` (the sites and their PINs) and
`exchange.seed` (the insured patients the exchange knows), as only the CLI may reach the reference exchange.

What it does (`DemoDesk`):
 1. the exchange starts; the clinic and the pharmacy are made as `noskhe init` + `sync config` make them
    (an encrypted store each, the TEST trust list, the exchange's address, their two tokens);
 2. the GP writes and signs a few prescriptions for the demo patients; the clinic syncs (HIDs, tracking
    codes); both sites download prices, rules and the trust list;
 3. each site is opened again as the desktop opens it (`Workstation.open` with the window's prompter) and
    its main window is shown at the login screen, with a banner giving the user's PIN; the facility seal's
    PIN is answered by the demo (a facility's seal is not the newcomer's business);
 4. closing the window(s) — or Ctrl+C, or SIGTERM — stops the exchange and closes the stores. Without
    `root` everything lives in a temporary directory removed at the end; with it, the workspace is kept.

Without a display (no `DISPLAY`/`WAYLAND_DISPLAY`, `QT_QPA_PLATFORM` unset) it says so in one line and
returns 2 before Qt starts.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout

from ui.common.prompter import QtPrompter
from ui.i18n import Words

if TYPE_CHECKING:
    from app.domain import Patient
    from app.workstation import Workstation
    from ui.common.mainwindow import MainWindow

ROLES = ("clinic", "pharmacy")
#: what the GP writes for the demo patients, one prescription each (codes of the starter catalog)
ITEMS = (
    (("101002", 21, "هر ۸ ساعت یک کپسول، ۷ روز"), ("103011", 10, "در صورت درد، حداکثر ۳ بار در روز")),
    (("104064", 30, "روزی یک قرص، عصر"),),
    (("105040", 20, "صبح‌ها پس از صبحانه"),),
)
#: the demo's own words: key → (Persian, English)
TEXT = {
    "banner": (
        "نسخهٔ نمایشی — سامانهٔ آزمایشی محلی، توکن‌ها و بیماران آزمایشی. رمز توکن برای ورود: {pin} ({who})",
        "Demo — a local test exchange, TEST tokens and patients. Log in with the token PIN {pin} ({who}).",
    ),
    "patients": ("بیماران نمایشی (کد ملی): {codes}", "Demo patients (national code): {codes}"),
    "patients_pharmacy": (
        "نسخه‌های بیماران نمایشی را با کد ملی بازیابی کنید: {codes}",
        "Retrieve the demo patients' prescriptions by national code: {codes}",
    ),
}
NO_DISPLAY = (
    "no display to open the window on: try `noskhe demo --headless` or `noskhe demo --screenshots DIR` "
    "| نمایشگری برای باز کردن پنجره نیست: `noskhe demo --headless` یا `noskhe demo --screenshots DIR`"
)


def has_display() -> bool:
    """True when Qt has somewhere to show a window: an X or Wayland display, or a chosen platform
    (`QT_QPA_PLATFORM`, e.g. `offscreen` in tests)."""
    return any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


class DemoPrompter(QtPrompter):
    """The window's prompter, except that the facility seal's PIN (purpose `facility`) is answered from
    the demo's table: the user's PIN is still typed on the login screen and checked by the token."""

    def __init__(self, words: Words, seal_pins: dict[str, str]) -> None:
        super().__init__(words)
        self.seal_pins = seal_pins

    def pin(self, token_label: str, *, pin_pad: bool, purpose: str = "user") -> str | None:
        if purpose == "facility" and token_label in self.seal_pins:
            return self.seal_pins[token_label]
        return super().pin(token_label, pin_pad=pin_pad, purpose=purpose)


@dataclass
class DemoSite:
    """One workstation of the demo: its `devworld.Workstation`, the user's PIN, where its store lives."""

    spec: Any
    pin: str
    data_dir: Path
    who: str


@dataclass
class DemoDesk:
    """The demo's world and the windows over it. `build()` starts the exchange and fills the sites,
    `open_window(role, words)` shows a site's main window, `close()` undoes everything (safe twice)."""

    exchange_demo: ModuleType
    devworld: ModuleType
    seed: ModuleType
    root: Path
    say: Callable[[str], None] = lambda s: None
    world: Any = None
    sites: dict[str, DemoSite] = field(default_factory=dict)
    patients: list[Patient] = field(default_factory=list)
    prescriptions: list[str] = field(default_factory=list)  # ids, registered at the exchange
    windows: list[MainWindow] = field(default_factory=list)
    workstations: list[Workstation] = field(default_factory=list)

    @property
    def exchange_pid(self) -> int | None:
        """The exchange child's process id (None before it starts)."""
        proc = getattr(getattr(self.world, "exchange", None), "proc", None)
        return proc.pid if proc is not None else None

    def build(self) -> None:
        """Start the exchange; make the clinic and the pharmacy; write, sign and register the demo
        prescriptions; download prices, rules and the trust list at both. Raises what a step raised
        (`NoskheError`, `RuntimeError` when the exchange does not start); `close()` cleans up."""
        from app.domain import Coverage, Patient, PatientId
        from app.services.prescribing import ItemRequest, write_prescription

        if self.world is None:  # a test may make it first (to point its PKCS#11 module at the tokens)
            self.world = self.exchange_demo.World(self.root)
        self.world.start_exchange()
        self.say(f"reference exchange at {self.world.url} (pid {self.exchange_pid}); workspace {self.root}")
        made: dict[str, Workstation] = {}
        for spec in (self.devworld.CLINIC, self.devworld.PHARMACY):
            made[spec.role] = self.world.site(spec)
            who = next(i.name for i in self.devworld.IDENTITIES if i.label == spec.user_token)
            self.sites[spec.role] = DemoSite(
                spec, self.devworld.PINS[spec.user_token], self.root / spec.user_token, who
            )
        for p in self.seed.demo_patients(len(ITEMS)):
            coverage = p["coverages"][0]
            scheme = coverage if "-" in coverage else ""
            self.patients.append(
                Patient(
                    PatientId("national-code", p["value"]), p["first_name"], p["last_name"],
                    coverage=Coverage(coverage.split("-")[0], scheme=scheme),
                )
            )  # fmt: skip
        clinic = made["clinic"]
        clinic.sync.refresh()  # prices and rules first, so each prescription is priced and checked
        for patient, items in zip(self.patients, ITEMS):
            requests = [ItemRequest(code, qty, how) for code, qty, how in items]
            self.prescriptions.append(write_prescription(clinic, patient=patient, items=requests).id)
        clinic.sync.run()
        made["pharmacy"].sync.refresh()
        for ws in made.values():  # reopened below as the desktop opens a store
            ws.close()
        _log_out_tokens()  # the window's login asks for the PIN and checks it on the token
        self.say(f"{len(self.prescriptions)} demo prescriptions signed and registered")

    def open_window(self, role: str, words: Words) -> MainWindow:
        """The main window of the `role` site, at its login screen, with the demo's banner; its store
        unlocked with the demo passphrase, as the unlock dialog would."""
        from app.workstation import Workstation
        from ui.common.mainwindow import MainWindow
        from ui.common.settings import apply_module_setting
        from ui.common.unlock import CLIENT_OPTIONS, ENGINE_OPTIONS

        site = self.sites[role]
        seals = {site.spec.facility_token: self.devworld.PINS[site.spec.facility_token]}
        prompter = DemoPrompter(words, seals)
        prompter.answer_next("store", self.exchange_demo.PASSPHRASE)
        ws = Workstation.open(
            site.data_dir, prompter, engine_options=ENGINE_OPTIONS, client_options=CLIENT_OPTIONS
        )
        self.workstations.append(ws)
        apply_module_setting(ws)
        window = MainWindow(ws, words)
        self._add_banner(window, role, words)
        if self.windows:  # the next window beside the last, not over it
            last = self.windows[-1].geometry()
            window.move(last.x() + 80, last.y() + 80)
        window.show()
        window.login.secret.setFocus()
        self.windows.append(window)
        return window

    def _add_banner(self, window: MainWindow, role: str, words: Words) -> None:
        site = self.sites[role]
        patients = "patients" if role == "clinic" else "patients_pharmacy"

        def banner_text() -> str:
            codes = ("، " if words.lang == "fa" else ", ").join(p.id.value for p in self.patients)
            return "\n".join(
                [_words(words, "banner", who=site.who, pin=site.pin), _words(words, patients, codes=codes)]
            )

        banner = QLabel(banner_text(), wordWrap=True)
        banner.setObjectName("demo-banner")
        banner.setStyleSheet(
            "background: #fff4ce; color: #4a3b00; border: 1px solid #e0c060; padding: 8px; font-size: 11pt"
        )
        layout = window.login.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, banner)  # above the login's title
        window.demo_banner = banner  # type: ignore[attr-defined]
        status = QLabel(words.pick("نمایشی", "DEMO"))
        status.setToolTip(banner.text())  # the PIN and the patients, once the login screen is gone
        status.setStyleSheet("background: #fff4ce; color: #4a3b00; padding: 0 6px; font-weight: bold")
        window.statusBar().addPermanentWidget(status)

        def retranslate() -> None:  # the mark and the banner follow Settings → language
            banner.setText(banner_text())
            status.setText(words.pick("نمایشی", "DEMO"))
            status.setToolTip(banner.text())

        window.host.language_changed.connect(retranslate)

    def hints(self) -> list[str]:
        """What the console says before the window opens: where to log in and with what."""
        out = [f"store passphrase (already unlocked): {self.exchange_demo.PASSPHRASE!r}"]
        for role, site in self.sites.items():
            out.append(
                f"{role}: log in with token {site.spec.user_token!r} PIN {site.pin} ({site.who}) "
                f"| {'درمانگاه' if role == 'clinic' else 'داروخانه'}: رمز توکن {site.pin}"
            )
        for p in self.patients:
            out.append(f"demo patient: national code {p.id.value} ({p.first_name} {p.last_name})")
        return out

    def close(self) -> None:
        """Close the windows (no questions), the stores and stop the exchange; safe to call twice."""
        windows, self.windows = self.windows, []
        for window in windows:
            window.shutdown()
            window.hide()
            window.deleteLater()
        workstations, self.workstations = self.workstations, []
        for ws in workstations:
            ws.close()
        if self.sites:
            _log_out_tokens(stop_watching=True)
        if self.world is not None:
            self.world.close()


def _log_out_tokens(*, stop_watching: bool = False) -> None:
    """Log out every token session this process opened (the world was built with the PINs at hand); at
    the end, stop watching the tokens too (no window is left to lock)."""
    from smartcard.config import SmartcardConfig
    from smartcard.tokens import Pkcs11Module

    module = Pkcs11Module.load(SmartcardConfig.from_env())
    if stop_watching:
        module.stop_monitor()
    for session in module.sessions():
        session.lock("logout")


def _words(words: Words, key: str, **kw: str) -> str:
    """One of the demo's texts (`TEXT`) in the window's language, its values shown as that language shows
    free text (Persian digits in Persian)."""
    fa, en = TEXT[key]
    return (fa if words.lang == "fa" else en).format(**{k: words.text(v) for k, v in kw.items()})


@contextmanager
def _workspace(root: Path | None) -> Iterator[Path]:
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="noskhe-demo-window-") as tmp:
        yield Path(tmp)


@contextmanager
def _stopped_by_signals(app: QApplication, stage: list[str]) -> Iterator[None]:
    """Ctrl+C and SIGTERM quit the event loop while it runs (`stage[0] == "running"`; a timer lets Python
    see the signal while Qt waits); while the world is built they interrupt, and the caller's `finally`
    cleans up; while it cleans up (`"closing"`) they are ignored."""

    def stop(*_: object) -> None:
        if stage[0] == "running":
            app.quit()
        elif stage[0] != "closing":
            raise KeyboardInterrupt

    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, stop)
    tick = QTimer()
    tick.timeout.connect(lambda: None)
    tick.start(200)
    try:
        yield
    finally:
        tick.stop()
        for s, handler in old.items():
            signal.signal(s, handler)


def run(
    exchange_demo: ModuleType, devworld: ModuleType, seed: ModuleType, *, roles: tuple[str, ...] = ("clinic",),
    lang: str = "fa", root: Path | None = None, quit_after: float | None = None,
    say: Callable[[str], None] = lambda s: print(s, flush=True),
) -> int:  # fmt: skip
    """`noskhe demo`: build the demo world in `root` (kept) or a temporary directory (removed), open the
    main window of each of `roles` ("clinic", "pharmacy") and run until they are closed; `quit_after`
    seconds after the windows show, they close by themselves (tests). Returns 0, 1 when the world could
    not be built, 2 without a display."""
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    from app.errors import NoskheError
    from ui.main import setup_application

    app = setup_application(lang)
    words = Words(lang)
    stage = ["building"]
    with _workspace(root) as where, _stopped_by_signals(app, stage):
        desk = DemoDesk(exchange_demo, devworld, seed, where, say=say)
        try:
            say("starting the demo: a local reference exchange, TEST tokens, demo data | شروع نمایش…")
            try:
                desk.build()
            except (NoskheError, RuntimeError, OSError) as exc:
                say(f"the demo could not start | نمایش آغاز نشد: {exc}")
                return 1
            for line in desk.hints():
                say(f"    {line}")
            for role in roles:
                desk.open_window(role, words)
            if quit_after is not None:
                QTimer.singleShot(int(quit_after * 1000), app.quit)
            say(
                "close the window (or Ctrl+C) to stop the exchange | با بستن پنجره، سامانهٔ آزمایشی متوقف می‌شود"
            )
            stage[0] = "running"
            app.exec()
        finally:
            stage[0] = "closing"
            desk.close()
    if root is not None:
        say(f"workspace kept in {root}")
    return 0


__all__ = ["ROLES", "DemoDesk", "DemoPrompter", "has_display", "run"]
