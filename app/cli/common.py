"""What several command modules share: command groups, secrets from env or prompt, files, the trust list."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.prompter import TerminalPrompter, ask_secret
from app.errors import ConfigError, NoskheError
from app.prompter import Prompter
from app.store.files import write_atomic

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.workstation import Workstation
    from smartcard.session import TokenSession
    from smartcard.trustlist import TrustList


def command_group(sub: Any, name: str, help_text: str) -> Any:
    """The sub-command list of top-level command `name` (e.g. `rx`), created on first use. Any command
    module can call this in its `register` to add actions to a shared group, in any import order."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help_text)
    for action in parser._actions:  # argparse keeps a group's sub-command list among its actions
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_cmd", metavar="ACTION", parser_class=type(parser))


def ask_pin(session: TokenSession, prompter: Prompter | None = None) -> str | None:
    """The PIN of the user's token `session` asked through `prompter` (the terminal's by default:
    `$NOSKHE_PIN` or typed), or None for a reader with a PIN pad (the user types it there)."""
    return (prompter or TerminalPrompter()).pin(
        str(session.label), pin_pad=bool(session.info.pin_pad), purpose="user"
    )


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.", f"پروندهٔ {path} خوانده نشد.") from None


def write_file(path: str, data: bytes) -> None:
    try:
        write_atomic(Path(path), data, mode=0o644)
    except OSError as exc:
        raise ConfigError(f"Cannot write {path}: {exc.strerror}.", f"پروندهٔ {path} نوشته نشد.") from None


def trust_list(args: Any, ctx: Context) -> TrustList:
    """The trust list from --trust-list or $NOSKHE_TRUST_LIST (no store needed), else the workstation's.
    Raises `TrustListError` when there is none or it cannot be read."""
    from smartcard.errors import TrustListError
    from smartcard.trustlist import TrustList

    path = getattr(args, "trust_list", None) or os.environ.get("NOSKHE_TRUST_LIST")
    if path:  # with the suspended prescribers the exchange published, when a store has them
        from sync.reference import published_over

        ws = workstation_if_any(ctx)
        return published_over(TrustList.from_file(path), ws.store if ws is not None else None)
    try:
        ws = ctx.workstation()
    except NoskheError as exc:
        raise TrustListError(
            f"No trust list: pass --trust-list FILE or set NOSKHE_TRUST_LIST ({exc.en})",
            f"فهرست مراجع مورد اعتماد نیست: ‎--trust-list‎ بدهید یا NOSKHE_TRUST_LIST را تنظیم کنید ({exc.fa})",
        ) from None
    try:
        return ws.trust
    except TrustListError as exc:
        if not exc.details.get("missing"):
            raise
        raise TrustListError(
            "The store has no trust list yet: run `noskhe token trust import FILE`, or pass --trust-list FILE.",
            "پایگاه داده فهرست مراجع مورد اعتماد ندارد: آن را با ‎noskhe token trust import‎ وارد کنید.",
        ) from None


def workstation_if_any(ctx: Context) -> Workstation | None:
    """The workstation in the command's data directory when there is one that opens, else None: for
    commands that work without a store (verifying a paper or a file) and do more with one (OCSP, the
    medical council). Never raises."""
    from app.store.db import DB_NAME

    if not (ctx.data_dir / DB_NAME).exists():
        return None
    try:
        return ctx.workstation()
    except NoskheError:
        return None


__all__ = [
    "ask_pin",
    "ask_secret",
    "command_group",
    "read_file",
    "trust_list",
    "workstation_if_any",
    "write_file",
]
