"""A full disk and a damaged store in the desktop: the same one-line messages as the command line
(`app.store.db.user_error`), in the window's language, never the generic "unexpected error" nor a traceback,
whether the op has its own failure handler or goes to the host's one failure path."""

import errno

import sqlcipher3

from app.errors import DiskFull
from ui.common.operations import Op


def _raise(exc):
    def work():
        raise exc

    return work


def test_a_full_disk_and_a_damaged_store_are_named_in_one_line(qtbot, ws, open_window):
    window = open_window(ws)
    host = window.host
    data_dir = ws.store.data_dir
    Op(_raise(sqlcipher3.OperationalError("database or disk is full"))).run(host)
    assert host.tasks.wait(10)
    assert host.last_error and "دیسک پر است" in host.last_error and str(data_dir) in host.last_error
    assert "\n" not in host.last_error and "OperationalError" not in host.last_error
    Op(_raise(sqlcipher3.DatabaseError("database disk image is malformed"))).run(host)
    assert host.tasks.wait(10)
    assert "آسیب دیده" in host.last_error and "backup restore" in host.last_error
    handled = []
    Op(_raise(OSError(errno.ENOSPC, "No space left on device", str(data_dir / "rx.pdf")))).failure(
        handled.append
    ).run(host)
    assert host.tasks.wait(10)
    assert len(handled) == 1 and isinstance(handled[0], DiskFull)  # an op's own handler gets the named one
    host.words.lang = "en"
    Op(_raise(sqlcipher3.DatabaseError("file is not a database"))).run(host)
    assert host.tasks.wait(10)
    assert host.last_error.startswith("The local store") and "damaged" in host.last_error


def test_a_real_write_on_a_full_disk_is_named(qtbot, ws, open_window, monkeypatch):
    """The store's own write path raising what SQLCipher raises when the disk fills during a commit."""
    from tests.conftest import make_prescription

    window = open_window(ws)
    host = window.host
    real = ws.store.db.conn

    class Full:
        def __getattr__(self, name):
            return getattr(real(), name)

        def execute(self, *a, **k):
            if str(a[0]).lstrip().upper().startswith(("INSERT", "UPDATE")):
                raise sqlcipher3.OperationalError("database or disk is full")
            return real().execute(*a, **k)

    monkeypatch.setattr(ws.store.db, "conn", lambda: Full())
    Op(lambda: ws.store.save_prescription(make_prescription())).run(host)
    assert host.tasks.wait(10)
    assert host.last_error and "دیسک پر است" in host.last_error, host.last_error


def test_unlocking_a_store_on_a_full_disk_says_so_in_the_dialog(qtbot, data_dir, monkeypatch):
    """Opening migrates and stamps the store: on a full disk that is the first write, at the unlock
    dialog, before any window exists; it says "disk full" in one line instead of crashing the program."""
    from tests.conftest import PASSPHRASE
    from ui.common.unlock import UnlockDialog
    from ui.i18n import Words

    def full(self):
        raise sqlcipher3.OperationalError("database or disk is full")

    monkeypatch.setattr("app.store.db.Database.migrate", full)
    dialog = UnlockDialog(data_dir, Words("en"))
    qtbot.addWidget(dialog)
    dialog.passphrase.setText(PASSPHRASE)
    dialog.try_unlock()
    assert dialog.workstation is None
    assert dialog.error.text().startswith("Disk full: free space in") and str(data_dir) in dialog.error.text()
