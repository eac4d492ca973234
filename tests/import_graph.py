"""The import graph of the project's packages, read from the source with `ast` (nothing is imported).

An edge A → B means module A imports module B somewhere: at module level or inside a function, a method or a
`try`. Imports under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`) are left out: they never run. Only
modules of the project's own packages are nodes; `from pkg import name` points at the submodule `pkg.name`
when there is one, else at `pkg` itself. Importing a submodule also runs its parent packages' `__init__`:
that implicit edge is drawn when the importer is outside the package (`app.catalog` importing
`app.store.catalog` runs `app/store/__init__.py`, so it depends on `app.store`), and not drawn inside it (a
package that re-exports its own submodules is not a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "sync", "smartcard", "printing", "ui", "exchange")


@dataclass(frozen=True)
class Import:
    """One import statement: who imports what (a dotted name, possibly outside the project), where."""

    module: str
    target: str  # `a.b` for `import a.b`; `a.b.name` for `from a.b import name`
    line: int
    lazy: bool  # inside a function or method
    base: str | None = None  # `a.b` for `from a.b import name`


def module_files(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name → source file, for every `.py` file under the packages."""
    out: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:  # `else:` of a TYPE_CHECKING test does run
                yield from _walk_one(other, in_function)
            continue
        yield from _walk_one(child, in_function)


def _walk_one(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node, in_function
        return
    nested = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
    yield from _walk(node, nested)


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(module: str, path: Path) -> list[Import]:
    """Every import statement of one module that runs at some point, resolved to absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    out: list[Import] = []
    for node, lazy in _walk(tree, False):
        if isinstance(node, ast.Import):
            out += [Import(module, alias.name, node.lineno, lazy) for alias in node.names]
        else:
            base = _resolve_from(module, is_package, node)
            out += [Import(module, f"{base}.{alias.name}", node.lineno, lazy, base) for alias in node.names]
    return out


def _project_target(target: str, known: set[str]) -> str | None:
    """The project module a dotted import name lands on: the longest known prefix."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in known:
            return name
    return None


def _outside_parents(module: str, target: str, known: set[str]) -> list[str]:
    """The packages whose `__init__` importing `target` runs and that `module` is not inside of."""
    parts = target.split(".")
    out = []
    for n in range(1, len(parts)):
        pkg = ".".join(parts[:n])
        if pkg in known and not (module == pkg or module.startswith(pkg + ".")):
            out.append(pkg)
    return out


def graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, dict[str, Import]]:
    """module → {imported project module → the first statement importing it}."""
    files = module_files(root, packages)
    known = set(files)
    out: dict[str, dict[str, Import]] = {}
    for module, path in files.items():
        edges: dict[str, Import] = {}
        for imp in imports(module, path):
            # `from pkg import sub` lands on the submodule `pkg.sub` when there is one, else on `pkg`
            target = imp.target if imp.target in known else _project_target(imp.base or imp.target, known)
            if target is not None and target != module:
                edges.setdefault(target, imp)
                for parent in _outside_parents(module, target, known):
                    edges.setdefault(parent, imp)
        out[module] = edges
    return out


def all_imports(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    """Every import of the project's modules, targets as absolute dotted names (for the layer rules)."""
    return [imp for module, path in module_files(root, packages).items() for imp in imports(module, path)]


def cycles(g: dict[str, dict[str, Import]]) -> list[list[str]]:
    """One cycle (A → B → … → A) per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:  # Tarjan, iterative over successors via recursion depth ≤ modules
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, {})):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            strongconnect(v)
    return [_one_cycle(g, comp) for comp in components]


def _one_cycle(g: dict[str, dict[str, Import]], comp: list[str]) -> list[str]:
    """A shortest cycle through the component's first module, by breadth-first search inside it."""
    members, start = set(comp), comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(g[v]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def describe(g: dict[str, dict[str, Import]], cycle: list[str]) -> str:
    """`a (line 3) → b (line 12, in a function) → a`, for a failing test's message."""
    steps = []
    for a, b in zip(cycle, cycle[1:]):
        imp = g[a][b]
        steps.append(f"{a} (line {imp.line}{', in a function' if imp.lazy else ''}) → ")
    return "".join(steps) + cycle[-1]
