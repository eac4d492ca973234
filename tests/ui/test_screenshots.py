"""Every main screen renders to a PNG (what the README shows and `noskhe demo --screenshots` is for)."""

from PIL import Image

from tests.ui.conftest import GP_SECRET
from ui.screenshots import SCREENS, render


def test_each_main_screen_renders(qtbot, clinic_ws, seal_passphrase, tmp_path, monkeypatch):
    from ui.common.mainwindow import MainWindow

    monkeypatch.setattr(MainWindow, "confirm_quit", lambda self: True)
    files = render(
        clinic_ws, tmp_path, secret=GP_SECRET, patient=("national-code", "0012345679", "مریم", "احمدی")
    )
    assert [f.stem for f in files] == [f"ui-{s}" for s in SCREENS]
    for f in files:
        with Image.open(f) as im:
            assert im.width > 300 and im.height > 100
            assert len(im.convert("L").getcolors(1 << 16) or []) > 8, f  # not a blank (unpainted) window
