"""Every public function and method of the store, the services and sync says in a docstring what it takes
and returns, what it raises and which rule of the national program it implements (issue 8, item 10).

Public: a name without a leading underscore, at module level or in a public class (nested classes
included). Functions nested in functions and methods of private classes are left out, as are
`__dunder__` methods.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app/store", "app/services", "sync")


def _undocumented(source: str, name: str) -> list[str]:
    """`name:line qualified.name` of each public function in `source` without a docstring."""
    out: list[str] = []

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                walk(node.body, f"{prefix}{node.name}.")
            elif (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and not node.name.startswith("_")
                and ast.get_docstring(node) is None
            ):
                out.append(f"{name}:{node.lineno} {prefix}{node.name}")

    walk(ast.parse(source, name).body, "")
    return out


def test_public_functions_have_docstrings() -> None:
    files = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))
    assert files, "no sources found"
    missing = [
        m for p in files for m in _undocumented(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))
    ]
    assert not missing, "public functions without a docstring:\n" + "\n".join(missing)


def test_the_check_sees_what_it_should() -> None:
    src = (
        "def shown(): pass\n"
        "def _private(): pass\n"
        "def told():\n    '''Told.'''\n    def inner(): pass\n"
        "class Public:\n    def __init__(self): pass\n    def method(self): pass\n"
        "    class Inner:\n        def deep(self): pass\n"
        "class _Hidden:\n    def method(self): pass\n"
    )
    found = [m.split(" ", 1)[1] for m in _undocumented(src, "probe.py")]
    assert found == ["shown", "Public.method", "Public.Inner.deep"]
