"""Every `noskhe` handler parses, calls one use case and prints: it stays short and wires nothing itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[2] / "app" / "cli"
MODULES = sorted(CLI.glob("cmd_*.py"))
MAX_LINES = 30
#: handlers still longer than MAX_LINES, with their current length: shorten them, then drop them here
LONGER_FOR_NOW: dict[str, int] = {}


def handler_lengths(path: Path) -> dict[str, int]:
    """Each `cmd_*` function's length in lines, its docstring and blank lines not counted."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out = {}
    for fn in ast.parse(source).body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("cmd_")):
            continue
        assert fn.end_lineno is not None
        body = lines[fn.lineno - 1 : fn.end_lineno]
        first = fn.body[0]
        doc = (
            first.end_lineno - first.lineno + 1
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and first.end_lineno
            else 0
        )
        out[fn.name] = len(body) - doc - sum(1 for line in body if not line.strip())
    return out


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_handlers_are_short(path: Path) -> None:
    for name, length in handler_lengths(path).items():
        limit = LONGER_FOR_NOW.get(f"{path.stem}.{name}", MAX_LINES)
        assert length <= limit, f"{path.name}: {name} is {length} lines (at most {limit})"


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_handlers_build_no_signer_client_or_engine(path: Path) -> None:
    """The store, the exchange client and the sync engine come from the workstation (`ctx.workstation()`)."""
    text = path.read_text(encoding="utf-8")
    for wiring in ("SyncEngine(", "ExchangeClient(", "Store.open(", "Store.create("):
        assert wiring not in text, f"{path.name} builds {wiring[:-1]} itself; use ctx.workstation()"
