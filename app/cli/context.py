"""What every CLI handler receives: where the workstation's data lives, the language, the open workstation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from app.cli.prompter import TerminalPrompter

if TYPE_CHECKING:
    from app.store import Store
    from app.workstation import Workstation


def default_data_dir() -> Path:
    env = os.environ.get("NOSKHE_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("noskhe", appauthor=False))


@dataclass
class Context:
    data_dir: Path
    lang: str = "fa"
    prompter: TerminalPrompter = field(default_factory=TerminalPrompter)
    trust_list_path: str | None = None
    _ws: Workstation | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: Any) -> Context:
        data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else default_data_dir()
        lang = getattr(args, "lang", None) or os.environ.get("NOSKHE_LANG", "fa")
        return cls(data_dir=data_dir.expanduser(), lang=lang, trust_list_path=getattr(args, "trust_list", None))

    def passphrase(self, purpose: str = "store", *, confirm: bool = False) -> str:
        """The facility passphrase through the terminal prompter ($NOSKHE_PASSPHRASE for automation);
        `confirm` asks a new one twice (purpose `store-new`)."""
        if purpose not in ("store", "store-new", "user-p12", "facility-p12"):
            purpose = "store"  # a prompt text from an older caller
        return self.prompter.passphrase("store-new" if confirm else purpose)

    def workstation(self) -> Workstation:
        """The workstation in `data_dir`, opened once per command with the facility passphrase."""
        if self._ws is None:
            from app.workstation import Workstation

            self._ws = Workstation.open(self.data_dir, self.prompter, trust_list_path=self.trust_list_path)
        return self._ws

    def open_store(self) -> Store:
        """The workstation's store."""
        return self.workstation().store

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
