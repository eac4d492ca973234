"""The store is the one door to the database: SQL is written under `app/store/` and nowhere else in the
workstation's packages (the reference exchange, `exchange/`, has its own database and is not scanned)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "sync", "smartcard", "printing", "ui")
ALLOWED = ("app/store/",)
#: files that still hold SQL on their way into the store, each with the reason
KNOWN: dict[str, str] = {}

_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\s")
_CALLS = {"execute", "executemany", "executescript"}


def _strings(node: ast.AST) -> list[tuple[int, str]]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.lineno, node.value)]
    return []


def sql_in(path: Path) -> list[str]:
    """`line: what` for every SQL keyword in a string literal and every `.execute…(` call in `path`."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        for line, text in _strings(node):
            m = _SQL.search(text)
            if m:
                found.append(f"{line}: {m.group(1)} in a string")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _CALLS:
            found.append(f"{node.lineno}: .{node.func.attr}(")
    return sorted(found, key=lambda hit: int(hit.split(":")[0]))


def _scanned() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_sql_only_under_app_store() -> None:
    outside = {}
    for path in _scanned():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(ALLOWED) or rel in KNOWN:
            continue
        hits = sql_in(path)
        if hits:
            outside[rel] = hits
    assert not outside, "SQL outside app/store/ (move it into a repository):\n" + "\n".join(
        f"  {rel}:{hit}" for rel, hits in outside.items() for hit in hits
    )


def test_known_exceptions_still_need_to_be() -> None:
    """An exception that no longer holds SQL is taken off the list."""
    for rel in KNOWN:
        path = ROOT / rel
        assert path.exists() and sql_in(path), f"{rel} holds no SQL any more: remove it from KNOWN"


def test_the_scan_sees_sql() -> None:
    """The scan itself finds the store's SQL (it would pass vacuously if it could not)."""
    assert sql_in(ROOT / "app/store/outbox.py")
    assert any(".execute(" in hit for hit in sql_in(ROOT / "app/store/db.py"))
