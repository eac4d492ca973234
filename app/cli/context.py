"""What every CLI handler receives: where the workstation's data lives, the language, the open store."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from app.errors import ConfigError


def default_data_dir() -> Path:
    env = os.environ.get("NOSKHE_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("noskhe", appauthor=False))


@dataclass
class Context:
    data_dir: Path
    lang: str = "fa"
    _store: Any = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: Any) -> Context:
        data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else default_data_dir()
        lang = getattr(args, "lang", None) or os.environ.get("NOSKHE_LANG", "fa")
        return cls(data_dir=data_dir.expanduser(), lang=lang)

    def passphrase(self, prompt: str = "Facility passphrase / گذرواژه مرکز: ", *, confirm: bool = False) -> str:
        """The facility passphrase: $NOSKHE_PASSPHRASE for automation, otherwise asked without echo."""
        from app.cli.common import ask_secret

        env_set = "NOSKHE_PASSPHRASE" in os.environ
        first = ask_secret("NOSKHE_PASSPHRASE", prompt, "passphrase", "گذرواژه")
        if confirm and not env_set and getpass.getpass("Again / تکرار: ") != first:
            raise ConfigError("The two passphrases differ.", "دو گذرواژه یکسان نیستند.")
        return first

    def open_store(self) -> Any:
        """The workstation's store, opened once per command with the facility passphrase."""
        if self._store is None:
            from app.store import Store

            self._store = Store.open(self.data_dir, self.passphrase())
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
