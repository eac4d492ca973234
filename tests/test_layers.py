"""The rooms' dependency rules (architecture.md), checked on the source of every module.

- `app/` is the core: it imports no other room, except the CLI (`app/cli/`) and the composition root
  (`app/workstation.py`), which wire the rooms together.
- `smartcard/`, `sync/` and `printing/` never import `ui`, Qt or the reference `exchange`.
- Only `ui/` imports Qt (PySide6).
- Arrows point one way: `smartcard/` imports only `app`; `sync/` and `printing/` only `app` and `smartcard`.
- Nothing outside `exchange/` imports the reference exchange, except the CLI (`exchange serve`, `demo`).
- The exchange (the demo and its story included) imports nothing from the CLI: it calls the same use cases
  (`app/services/`, `sync/`) as every front end.

Imports inside functions count; imports under `if TYPE_CHECKING:` do not (they never run).
"""

from __future__ import annotations

from tests import import_graph

ROOMS = ("app", "sync", "smartcard", "printing", "ui", "exchange")
QT = ("PySide6", "shiboken6")


def _room(name: str) -> str:
    return name.split(".")[0]


def _violations(allowed: object) -> list[str]:
    out = []
    for imp in import_graph.all_imports():
        target = _room(imp.target)
        if not allowed(imp.module, target):  # type: ignore[operator]
            out.append(f"{imp.module} (line {imp.line}) imports {imp.target}")
    return sorted(set(out))


def _core(module: str) -> bool:
    return _room(module) == "app" and not (module.startswith("app.cli") or module == "app.workstation")


def test_the_core_imports_no_other_room() -> None:
    bad = _violations(lambda m, t: not _core(m) or t not in ROOMS or t == "app")
    assert not bad, "app/ (outside app/cli and app/workstation.py) imports another room:\n" + "\n".join(bad)


def test_smartcard_sync_and_printing_never_import_ui_qt_or_the_exchange() -> None:
    lower = ("smartcard", "sync", "printing")
    bad = _violations(lambda m, t: _room(m) not in lower or t not in ("ui", "exchange", *QT))
    assert not bad, "\n".join(bad)


def test_only_ui_imports_qt() -> None:
    bad = _violations(lambda m, t: _room(m) == "ui" or t not in QT)
    assert not bad, "Qt imported outside ui/:\n" + "\n".join(bad)


def test_arrows_point_one_way() -> None:
    may = {"smartcard": {"app"}, "sync": {"app", "smartcard"}, "printing": {"app", "smartcard"}}
    bad = _violations(lambda m, t: t not in ROOMS or t == _room(m) or t in may.get(_room(m), set(ROOMS)))
    assert not bad, "\n".join(bad)


def test_only_the_cli_reaches_for_the_reference_exchange() -> None:
    bad = _violations(lambda m, t: t != "exchange" or _room(m) == "exchange" or m.startswith("app.cli"))
    assert not bad, "\n".join(bad)


def _is_cli(name: str) -> bool:
    return name == "app.cli" or name.startswith("app.cli.")


def test_the_exchange_and_the_demo_import_nothing_from_the_cli() -> None:
    mine = [i for i in import_graph.all_imports() if _room(i.module) == "exchange"]
    assert {"exchange.demo", "exchange.demo_story"} <= {i.module for i in mine}, "the demo was not read"
    bad = sorted({f"{i.module} (line {i.line}) imports {i.target}" for i in mine if _is_cli(i.target)})
    assert not bad, "the exchange imports the CLI; call app/services or sync instead:\n" + "\n".join(bad)
