"""The CLI's `Prompter`: secrets from the environment (automation) or typed in the terminal without echo.

| asked for                      | environment                              | else                       |
|--------------------------------|------------------------------------------|----------------------------|
| facility passphrase (`store`)  | `NOSKHE_PASSPHRASE`                      | typed (twice when new)     |
| user token PIN                 | `NOSKHE_PIN`                             | typed, or the PIN pad      |
| facility seal token PIN        | `NOSKHE_FACILITY_PIN`                    | typed, or the PIN pad      |
| new passphrase (change)        | `NOSKHE_NEW_PASSPHRASE`                  | typed twice                |
| a backup's passphrase (restore)| `NOSKHE_PASSPHRASE`                      | typed                      |
| user PKCS#12 passphrase        | `NOSKHE_USER_P12_PASSPHRASE` (or the older `NOSKHE_KEY_PASSPHRASE`) | typed in a terminal, else empty |
| seal PKCS#12 passphrase        | `NOSKHE_FACILITY_P12_PASSPHRASE`         | the facility passphrase    |

Never from a pipe: without a terminal and without the variable, a `ConfigError`/`PinRequired` says which
variable to set.
"""

from __future__ import annotations

import getpass
import os
import sys

from app.errors import ConfigError, NoskheError

_PIN_ENV = {"user": "NOSKHE_PIN", "facility": "NOSKHE_FACILITY_PIN"}


def ask_secret(
    env: str, prompt: str, what_en: str, what_fa: str, *, error: type[NoskheError] = ConfigError
) -> str:
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


class TerminalPrompter:
    """Asks in the terminal, or answers from the environment for automation."""

    def __init__(self) -> None:
        self._store_passphrase: str | None = None

    def pin(self, token_label: str, *, pin_pad: bool, purpose: str = "user") -> str | None:
        from smartcard.errors import PinRequired

        env = _PIN_ENV.get(purpose, "NOSKHE_PIN")
        if os.environ.get(env) is None and pin_pad:
            print("Enter the PIN on the reader's PIN pad | رمز را روی صفحه‌کلید کارت‌خوان وارد کنید", file=sys.stderr)
            return None
        return ask_secret(env, f"PIN of {token_label} / رمز توکن {token_label}: ", "PIN", "رمز", error=PinRequired)

    def passphrase(self, purpose: str) -> str:
        if purpose == "store":
            if self._store_passphrase is None:
                self._store_passphrase = ask_secret(
                    "NOSKHE_PASSPHRASE", "Facility passphrase / گذرواژه مرکز: ", "passphrase", "گذرواژه"
                )
            return self._store_passphrase
        if purpose == "store-new":
            first = ask_secret(
                "NOSKHE_PASSPHRASE", "New facility passphrase / گذرواژهٔ جدید مرکز: ", "passphrase", "گذرواژه"
            )
            if "NOSKHE_PASSPHRASE" not in os.environ and getpass.getpass("Again / تکرار: ") != first:
                raise ConfigError("The two passphrases differ.", "دو گذرواژه یکسان نیستند.")
            return first
        if purpose == "store-change":
            new = ask_secret(
                "NOSKHE_NEW_PASSPHRASE", "New passphrase / گذرواژهٔ جدید: ", "new passphrase", "گذرواژهٔ جدید"
            )
            if "NOSKHE_NEW_PASSPHRASE" not in os.environ and getpass.getpass("Again / تکرار: ") != new:
                raise ConfigError("The two passphrases differ.", "دو گذرواژه یکسان نیستند.")
            return new
        if purpose == "backup":
            return ask_secret(
                "NOSKHE_PASSPHRASE", "Passphrase of the backup / گذرواژهٔ پشتیبان: ", "passphrase", "گذرواژه"
            )
        if purpose == "user-p12":
            for env in ("NOSKHE_USER_P12_PASSPHRASE", "NOSKHE_KEY_PASSPHRASE"):
                if os.environ.get(env) is not None:
                    return os.environ[env]
            if sys.stdin.isatty():
                return getpass.getpass("Key file passphrase / گذرواژه پرونده کلید: ")
            return ""
        if purpose == "facility-p12":
            secret = os.environ.get("NOSKHE_FACILITY_P12_PASSPHRASE")
            return secret if secret is not None else self.passphrase("store")
        return ask_secret(
            "NOSKHE_PASSPHRASE", f"Passphrase ({purpose}) / گذرواژه: ", "passphrase", "گذرواژه"
        )

    def confirm(self, text: str) -> bool:
        if not sys.stdin.isatty():
            return False
        return input(f"{text} [y/N] ").strip().lower() in ("y", "yes", "بله", "آری")
