"""Every main screen renders to a PNG (what the README shows), and `noskhe demo --screenshots DIR` writes
them without a display."""

import os
import subprocess
import sys

from PIL import Image

from tests.ui.conftest import GP_SECRET
from ui.screenshots import SCREENS, render, screens_for

CLINIC_SCREENS = [
    "unlock", "login", "new-prescription", "prescription", "prescriptions", "print-preview",
    "sync-panel", "settings", "lock",
]  # fmt: skip


def _painted(path):
    with Image.open(path) as im:
        assert im.width > 300 and im.height > 100, path
        assert len(im.convert("L").getcolors(1 << 16) or []) > 8, path  # not a blank (unpainted) window


def test_the_registry_names_each_screen_once_with_its_role():
    assert screens_for("clinic")[: len(CLINIC_SCREENS)] == CLINIC_SCREENS
    assert all(s.role in ("clinic", "pharmacy") and s.name == name for name, s in SCREENS.items())


def test_each_main_screen_renders(qtbot, clinic_ws, seal_passphrase, tmp_path, monkeypatch):
    from ui.common.mainwindow import MainWindow

    monkeypatch.setattr(MainWindow, "confirm_quit", lambda self: True)
    files = render(
        clinic_ws, tmp_path, secret=GP_SECRET, patient=("national-code", "0012345679", "مریم", "احمدی")
    )
    assert [f.stem for f in files] == [f"ui-{s}" for s in screens_for("clinic")]
    for f in files:
        _painted(f)


def test_noskhe_demo_screenshots_writes_each_screen_without_a_display(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "shots"
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "data"), "demo", "--screenshots", str(out)],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    made = sorted(p.stem for p in out.glob("*.png"))
    expected = [f"ui-{s}" for s in SCREENS]
    assert sorted(expected) == made, done.stdout + done.stderr
    for name in expected:
        _painted(out / f"{name}.png")
