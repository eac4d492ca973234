"""What several command modules share: command groups, secrets from env or prompt, files, the trust list."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from app.errors import ConfigError, NoskheError
from app.store.files import write_atomic


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


def ask_secret(env: str, prompt: str, what_en: str, what_fa: str, *, error: type[NoskheError] = ConfigError) -> str:
    """A secret from `$env` (automation) or typed without echo; never from a pipe, never logged."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise error(
            f"No {what_en}: set {env} or run in a terminal.",
            f"{what_fa} داده نشده است: {env} را تنظیم کنید یا در ترمینال اجرا کنید.",
        )
    return getpass.getpass(prompt)


def ask_pin(session: Any) -> str | None:
    """The token PIN, or None for a reader with a PIN pad (the user types it there)."""
    from smartcard.errors import PinRequired

    if os.environ.get("NOSKHE_PIN") is None and session.info.pin_pad:
        print("Enter the PIN on the reader's PIN pad | رمز را روی صفحه‌کلید کارت‌خوان وارد کنید", file=sys.stderr)
        return None
    return ask_secret("NOSKHE_PIN", f"PIN of {session.label} / رمز توکن: ", "PIN", "رمز", error=PinRequired)


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


def trust_list(args: Any, ctx: Any) -> Any:
    """The trust list from --trust-list, $NOSKHE_TRUST_LIST, or the store, in that order."""
    from smartcard.config import SmartcardConfig
    from smartcard.errors import TrustListError
    from smartcard.trustlist import TrustList

    path = getattr(args, "trust_list", None) or SmartcardConfig.from_env().trust_list_path
    if path:
        return TrustList.from_file(path)
    try:
        found = TrustList.load(ctx.open_store())
    except NoskheError as exc:
        raise TrustListError(
            f"No trust list: pass --trust-list FILE or set NOSKHE_TRUST_LIST ({exc.en})",
            f"فهرست مراجع مورد اعتماد نیست: ‎--trust-list‎ بدهید یا NOSKHE_TRUST_LIST را تنظیم کنید ({exc.fa})",
        ) from None
    if found is None:
        raise TrustListError(
            "The store has no trust list yet: run `noskhe token trust import FILE`, or pass --trust-list FILE.",
            "پایگاه داده فهرست مراجع مورد اعتماد ندارد: آن را با ‎noskhe token trust import‎ وارد کنید.",
        )
    return found
