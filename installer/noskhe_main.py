"""The program's entry point in the frozen (PyInstaller) build: `/opt/noskhe/noskhe`.

It is `app.cli.entry` with two additions that only a frozen program needs:

- `noskhe -m MODULE ARGS…` runs MODULE as `python -m MODULE ARGS…` would. In the frozen build
  `sys.executable` is this program, not a Python interpreter, and Noskhe starts some of its own children that
  way: the reference exchange (`-m app exchange serve`, for the demo) and the filling of development tokens
  (`-m smartcard._devtoken_populate`).
- `noskhe --smoke-ui [--lang fa|en] [--shot FILE.png] [--data-dir DIR]` (hidden; for the package's test and
  `bench/`) starts the desktop program through its real start path (`ui.main.run`) on a new throwaway clinic
  store in a temporary directory (or on DIR's, its passphrase in $NOSKHE_PASSPHRASE), types the passphrase
  into the passphrase dialog, prints one line when the main window is on screen, optionally saves a picture
  of it, and quits with 0.
"""

from __future__ import annotations

import sys


def _run_module(argv: list[str]) -> None:
    """`-m MODULE ARGS…`: run MODULE as __main__ with sys.argv[1:] = ARGS, as the interpreter would."""
    import runpy

    module, rest = argv[0], argv[1:]
    sys.argv = [sys.argv[0], *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _smoke_ui(argv: list[str]) -> int:
    """Start the desktop program on a throwaway clinic store, unlock it as a person would, then quit.

    The store is made by `noskhe init` in a temporary directory (or `--data-dir` names an existing one, its
    passphrase in $NOSKHE_PASSPHRASE); the program then starts through its real start path (`ui.main.run`),
    and a timer types the passphrase into the passphrase dialog and presses its unlock button. Prints `main window shown: <title>` once the main window is on screen (exposed); exit 0
    then, 1 if it is not within 20 s.
    """
    import argparse
    import contextlib
    import io
    import os
    import tempfile
    import time
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="noskhe --smoke-ui")
    parser.add_argument("--lang", choices=["fa", "en"], default="fa")
    parser.add_argument("--shot", help="save a picture of the main window here (PNG)")
    parser.add_argument(
        "--data-dir",
        help="an existing store to unlock with $NOSKHE_PASSPHRASE (default: a new throwaway one)",
    )
    args = parser.parse_args(argv)

    from app.cli import main as cli_main
    from app.cli.context import Context

    passphrase = os.environ.pop("NOSKHE_PASSPHRASE", "") if args.data_dir else "smoke test passphrase"
    if args.data_dir and not passphrase:
        print("smoke-ui: --data-dir needs NOSKHE_PASSPHRASE", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="noskhe-smoke-") as tmp:
        data = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        if not args.data_dir:
            os.environ["NOSKHE_PASSPHRASE"] = passphrase
            with contextlib.redirect_stdout(io.StringIO()):  # the one line below is this mode's output
                code = cli_main(
                    [
                        "--data-dir",
                        str(data),
                        "init",
                        "--role",
                        "clinic",
                        "--facility",
                        "12345678",
                        "--facility-name",
                        "درمانگاه آزمایشی",
                    ]
                )
            del os.environ["NOSKHE_PASSPHRASE"]  # the desktop asks for it, as it does at a clinic
            if code != 0:
                print(f"smoke-ui: init failed with exit code {code}", file=sys.stderr)
                return 1

        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLineEdit, QMainWindow

        import ui.main

        app = QApplication.instance() or QApplication(["noskhe"])
        deadline = time.monotonic() + 20
        state = {"unlocked": False, "shown": False}

        def drive() -> None:
            modal = QApplication.activeModalWidget()
            if not state["unlocked"] and isinstance(modal, QDialog):
                fields = [
                    f for f in modal.findChildren(QLineEdit) if f.echoMode() == QLineEdit.EchoMode.Password
                ]
                box = modal.findChild(QDialogButtonBox)
                if fields and box is not None:
                    fields[0].setText(passphrase)
                    for button in box.buttons():
                        if box.buttonRole(button) == QDialogButtonBox.ButtonRole.AcceptRole:
                            state["unlocked"] = True
                            button.click()
                            break
            windows = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
            handle = windows[0].windowHandle() if windows else None
            if handle is not None and handle.isExposed():
                window = windows[0]
                if args.shot:
                    window.grab().save(args.shot)
                print(f"main window shown: {window.windowTitle()}", flush=True)
                state["shown"] = True
                window.close()
                app.quit()
                return
            if time.monotonic() > deadline:
                print("smoke-ui: the main window was not shown within 20 s", file=sys.stderr)
                if isinstance(modal, QDialog):
                    modal.reject()
                app.quit()
                return
            QTimer.singleShot(10, drive)

        QTimer.singleShot(0, drive)
        code = ui.main.run(Context(data_dir=data, lang=args.lang))
        return 0 if state["shown"] and code == 0 else 1


def main() -> None:
    argv = sys.argv[1:]
    if len(argv) >= 2 and argv[0] == "-m":
        _run_module(argv[1:])
        return
    if argv[:1] == ["--smoke-ui"]:
        sys.exit(_smoke_ui(argv[1:]))
    from app.cli import entry

    entry()


if __name__ == "__main__":
    main()
