"""`noskhe demo` with no flags: the real desktop against a live reference exchange, TEST tokens and demo data;
the GP logs in with the PIN the window shows, and closing it stops the exchange (no process left behind)."""

import os
import subprocess
import sys
import time

import pytest
from PySide6.QtWidgets import QLabel

from exchange import demo as exchange_demo
from exchange import devworld, seed
from ui.screenshots import wait


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as f:  # a zombie not yet reaped counts as gone
        return f.read().split(")")[-1].split()[0] == "Z"


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().split(")")[-1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


@pytest.fixture
def restored_environment():
    """The demo's world points SoftHSM2 at its own tokens (and the module, if this process loaded it
    already); everything goes back at the end."""
    import pkcs11

    from smartcard.config import SOFTHSM_MODULE
    from smartcard.tokens import Pkcs11Module, TokenThread

    saved = dict(os.environ)
    shared = dict(Pkcs11Module._shared)

    def reinitialize():
        if SOFTHSM_MODULE in pkcs11._loaded:
            TokenThread.for_path(SOFTHSM_MODULE).run(pkcs11._loaded[SOFTHSM_MODULE].reinitialize)

    Pkcs11Module._shared.clear()  # fresh sessions over the demo's tokens
    yield reinitialize
    os.environ.clear()
    os.environ.update(saved)
    Pkcs11Module._shared.clear()
    Pkcs11Module._shared.update(shared)
    reinitialize()


def test_the_demo_window_runs_against_a_live_exchange(qtbot, tmp_path, monkeypatch, restored_environment):
    from ui.common.mainwindow import MainWindow
    from ui.demo import DemoDesk
    from ui.i18n import Words
    from ui.main import setup_application

    monkeypatch.setattr(MainWindow, "confirm_quit", lambda self: True)
    setup_application("fa")
    desk = DemoDesk(exchange_demo, devworld, seed, tmp_path / "demo")
    desk.world = exchange_demo.World(desk.root)
    restored_environment()  # SoftHSM2 reads the demo's tokens
    try:
        desk.build()
        pid = desk.exchange_pid
        assert pid is not None and not _gone(pid)
        assert len(desk.prescriptions) == 3
        window = desk.open_window("clinic", Words("fa"))
        qtbot.addWidget(window)
        pin = devworld.PINS[devworld.CLINIC.user_token]
        assert pin in " ".join(desk.hints())  # the console says which PIN
        banner = window.demo_banner.text()
        assert "۱۱۱۱۱۱" in banner and "رمز توکن" in banner  # so does the login screen, in Persian digits
        window.host.set_language("en")  # the banner and the status bar's mark follow the language
        marks = [w.text() for w in window.statusBar().findChildren(QLabel)]
        assert "DEMO" in marks and "نمایشی" not in marks and "111111" in window.demo_banner.text()
        window.host.set_language("fa")
        assert window.stack.currentWidget() is window.login and window.login.isVisible()

        window.login.secret.setText("999999")  # a wrong PIN is checked by the token
        window.login.submit()
        assert wait(lambda: bool(window.login.error.text()), 20), "a wrong PIN is refused"
        assert window.session.state != "in"
        assert wait(lambda: window.login.login_button.isEnabled(), 10)

        window.login.secret.setText(desk.sites["clinic"].pin)
        window.login.submit()
        assert wait(lambda: window.session.state == "in" and window.session.seal_open, 30)
        assert wait(lambda: window.sync.state == "online", 20), window.sync.state
        assert wait(lambda: window.desk.prescriptions.loaded >= 3, 10)
        ws = window.host.ws
        states = {ws.store.get_prescription(rx).state.value for rx in desk.prescriptions}
        assert states == {"registered"}
    finally:
        desk.close()
    assert _gone(pid), "closing the demo stops the exchange"
    desk.close()  # twice is harmless


def test_noskhe_demo_opens_the_window_and_leaves_no_process(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = tmp_path / "kept"
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "data"), "demo", "--as", "both",
         "--out", str(out), "--quit-after", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    children: set[int] = set()
    while proc.poll() is None and time.monotonic() - start < 150:
        children.update(_children_of(proc.pid))
        time.sleep(0.2)
    text, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, text
    assert "111111" in text and "222222" in text, text  # both windows' PINs in the console
    assert "demo prescriptions signed and registered" in text, text
    assert children, "the exchange ran as a child"
    assert all(_gone(pid) for pid in children), "a process was left behind"
    assert (out / "noskhe-gp").is_dir() and (out / "exchange").is_dir(), "--out keeps the workspace"


def test_without_a_display_it_says_so_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "data"), "demo"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    line = done.stderr.strip()
    assert "--headless" in line and "--screenshots" in line and "نمایشگر" in line
    assert "\n" not in line and "Traceback" not in line and "qt.qpa" not in line
