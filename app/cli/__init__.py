"""The `noskhe` command: the admin and automation face of the same core the UI uses.

Each `app/cli/cmd_*.py` module contributes subcommands through `register(subparsers)`; handlers take the
parsed arguments and a `Context` and return an exit code. Every user error is a `NoskheError`, shown as one
line (English | Persian) with exit code 1; anything unexpected is logged to a file, never shown as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
import traceback
from pathlib import Path

from app import __version__
from app.cli.context import Context
from app.errors import NoskheError, printable, shorten

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_INTERNAL = 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, never a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        message = printable(message)
        self.exit(2, f"{self.prog}: error: {message} | خطا در فرمان: {message}\n")


def _command_modules() -> list[str]:
    here = Path(__file__).parent
    return sorted(f"app.cli.{m.name}" for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("cmd_"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="noskhe", description="Noskhe — offline-first e-prescription client (نسخه)")
    parser.add_argument("--version", action="version", version=f"noskhe {__version__}")
    parser.add_argument(
        "--data-dir",
        help="workstation data directory (default: $NOSKHE_DATA_DIR or the platform's user data dir)",
    )
    parser.add_argument("--lang", choices=["fa", "en"], default=None, help="language of messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _command_modules():
        importlib.import_module(name).register(sub)
    return parser


_GLOBAL_OPTIONS = ("--data-dir", "--lang")


def _hoist_global_options(argv: list[str]) -> list[str]:
    """Let `--data-dir DIR` and `--lang X` stand anywhere on the line, as people type them."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg in _GLOBAL_OPTIONS and i + 1 < len(argv):
            front += [arg, argv[i + 1]]
            i += 2
            continue
        if arg.split("=", 1)[0] in _GLOBAL_OPTIONS and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_hoist_global_options(list(sys.argv[1:] if argv is None else argv)))
    ctx = Context.from_args(args)
    if not getattr(args, "handler", None):
        if args.command is None:
            return _run_ui(ctx)
        sub = parser._subparsers._group_actions[0].choices[args.command]  # type: ignore[union-attr,index]
        sub.print_usage(sys.stderr)
        print(f"noskhe {args.command}: choose an action | یک کار را انتخاب کنید", file=sys.stderr)
        return 2
    try:
        code = args.handler(args, ctx)
        return EXIT_OK if code is None else int(code)
    except NoskheError as exc:
        print(f"error: {exc.en} | خطا: {exc.fa}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader went away (`noskhe catalog search x | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted | متوقف شد", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 — the edge: a named failure is one line; else log it, show one line
        named = _named_failure(exc, ctx)
        if named is not None:
            print(f"error: {named.en} | خطا: {named.fa}", file=sys.stderr)
            return EXIT_USER_ERROR
        log = _crash_log(ctx)
        where = f"details in {log}" if log else "no crash log could be written"
        where_fa = f"جزئیات در {log}" if log else "گزارش خطا نوشته نشد"
        print(f"internal error, {where} | خطای داخلی؛ {where_fa}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        try:
            ctx.close()
        except Exception:  # noqa: BLE001, S110 — closing after a failure (disk full) must not hide it
            pass


def _named_failure(exc: BaseException, ctx: Context) -> NoskheError | None:
    """What a failure of the disk, the database file or a path the user gave means, as one line: disk full
    (free space in the folder), a damaged store (restore the latest backup), a path that cannot be written
    (missing folder, too long, not allowed). None for a failure that is a fault of the program."""
    from app.store.db import user_error

    mapped = user_error(exc, ctx.data_dir)
    if mapped is not None or not isinstance(exc, OSError) or not exc.filename:
        return mapped
    name = shorten(str(exc.filename), 80)
    reason = exc.strerror or type(exc).__name__
    return NoskheError(f"Cannot use {name}: {reason}.", f"استفاده از {name} ممکن نشد: {reason}.")


def _crash_log(ctx: Context) -> Path | None:
    """Append the current traceback to `crash.log` in the data folder (mode 0600; the folder is private,
    never a shared one like /tmp); returns its path, or None when it could not be written (disk full,
    no folder). Never raises."""
    try:
        text = traceback.format_exc()
        ctx.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = ctx.data_dir / "crash.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, text.encode("utf-8", "replace"))
        finally:
            os.close(fd)
        logging.getLogger(__name__).debug("crash written to %s", path)
        return path
    except BaseException:  # noqa: BLE001 — the log of a failure must not become a second failure
        return None


def _run_ui(ctx: Context) -> int:
    try:
        ui = importlib.import_module("ui.main")
    except ImportError:
        print("the desktop UI is not available yet; see `noskhe --help` | رابط گرافیکی هنوز در دسترس نیست")
        return 2
    return ui.run(ctx)


def entry() -> None:
    sys.exit(main())
