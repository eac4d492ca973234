"""No import cycles among the project's modules (app, sync, smartcard, printing, ui, exchange).

Imports inside functions count (they run, later); imports under `if TYPE_CHECKING:` do not. A cycle is
printed as the chain of imports with their line numbers.
"""

from __future__ import annotations

from tests import import_graph


def test_no_import_cycle() -> None:
    g = import_graph.graph()
    found = import_graph.cycles(g)
    assert not found, "import cycles:\n" + "\n".join(import_graph.describe(g, c) for c in found)


def test_the_graph_sees_lazy_imports_and_skips_type_checking(tmp_path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from pkg.c import thing\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\nelse:\n    import pkg.d\n"
    )
    (pkg / "d.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    import pkg.c\n")
    g = import_graph.graph(tmp_path, ("pkg",))
    assert set(g["pkg.a"]) == {"pkg.b"} and set(g["pkg.b"]) == {"pkg.c"} and g["pkg.b"]["pkg.c"].lazy
    assert set(g["pkg.c"]) == {"pkg.d"} and not g["pkg.d"]
    assert import_graph.cycles(g) == []
    (pkg / "d.py").write_text("def late():\n    from . import a\n")
    g = import_graph.graph(tmp_path, ("pkg",))
    (cycle,) = import_graph.cycles(g)
    assert cycle[0] == cycle[-1] and set(cycle) == {"pkg.a", "pkg.b", "pkg.c", "pkg.d"}
    assert "in a function" in import_graph.describe(g, cycle)
