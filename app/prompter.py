"""How the core asks the person at the keyboard for a secret or a yes/no (Electrum's hardware-wallet handler).

The workstation never reads a PIN or a passphrase itself: it asks its `Prompter`. The CLI's implementation
reads the environment (automation) or the terminal without echo (`app.cli.prompter.TerminalPrompter`); the
desktop's shows a dialog (`ui`); tests and the demo answer from a table (`FixedPrompter`).

Purposes of `passphrase(purpose)`:

| purpose          | what it opens                                                        |
|------------------|----------------------------------------------------------------------|
| `store`          | the facility passphrase that unwraps the store's key (`noskhe.key`)  |
| `store-new`      | a new facility passphrase (init, passphrase change), asked twice     |
| `store-change`   | the new facility passphrase when it is changed, asked twice          |
| `backup`         | the passphrase a backup file was made under (restore)                |
| `user-p12`       | the user's PKCS#12 signing file                                      |
| `facility-p12`   | the facility seal's PKCS#12 file                                     |

`pin(token_label, pin_pad=…, purpose=…)`: `purpose` is `user` (the GP's or pharmacist's token) or `facility`
(the seal). Returning None means "the user types it on the reader's PIN pad" and is only valid when
`pin_pad` is true.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from app.errors import ConfigError

PASSPHRASE_PURPOSES = ("store", "store-new", "store-change", "backup", "user-p12", "facility-p12")
PIN_PURPOSES = ("user", "facility")


class Prompter(Protocol):
    """Asks the user; every method may raise a `NoskheError` when the user cannot or will not answer."""

    def pin(self, token_label: str, *, pin_pad: bool, purpose: str = "user") -> str | None:
        """The PIN of token `token_label`, or None to use the reader's PIN pad (only when `pin_pad`)."""
        ...

    def passphrase(self, purpose: str) -> str:
        """A passphrase for `purpose` (one of `PASSPHRASE_PURPOSES`)."""
        ...

    def confirm(self, text: str) -> bool:
        """True when the user agrees to `text` (a bilingual question)."""
        ...


class FixedPrompter:
    """Answers from tables: PINs by token label, passphrases by purpose. For tests, the demo and scripts.

    A question it has no answer for raises `ConfigError` (as a user pressing Cancel would)."""

    def __init__(
        self,
        *,
        pins: Mapping[str, str] | None = None,
        passphrases: Mapping[str, str] | None = None,
        confirm: bool = True,
    ) -> None:
        self.pins = dict(pins or {})
        self.passphrases = dict(passphrases or {})
        self._confirm = confirm
        self.asked: list[tuple[str, str]] = []

    def pin(self, token_label: str, *, pin_pad: bool, purpose: str = "user") -> str | None:
        self.asked.append(("pin", token_label))
        if token_label in self.pins:
            return self.pins[token_label]
        if pin_pad:
            return None
        raise ConfigError(f"No PIN for token {token_label!r}.", f"رمز توکن «{token_label}» داده نشد.")

    def passphrase(self, purpose: str) -> str:
        self.asked.append(("passphrase", purpose))
        if purpose in self.passphrases:
            return self.passphrases[purpose]
        if purpose == "store-new" and "store" in self.passphrases:
            return self.passphrases["store"]
        raise ConfigError(f"No passphrase for {purpose}.", f"گذرواژهٔ {purpose} داده نشد.")

    def confirm(self, text: str) -> bool:
        self.asked.append(("confirm", text))
        return self._confirm


__all__ = ["PASSPHRASE_PURPOSES", "PIN_PURPOSES", "FixedPrompter", "Prompter"]
