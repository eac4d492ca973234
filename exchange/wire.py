"""The exchange's check of an incoming FHIR message before its reader takes it (`exchange.prescriptions.parse`).

The full FHIR R4B model check (`sync.fhir.validate`: pydantic models for every element) cost 16 % of a
registration. What the exchange relies on is narrower, and checked here in one pass over the JSON: a
resource of a type FHIR knows, a Bundle whose entries are such resources, element names as FHIR writes them,
no nulls or empty arrays or objects, no empty strings, at most `MAX_ENTRIES` entries and `MAX_NODES` values.
The readers (`sync.fhir.bundle_to_*`) then refuse what is missing or of the wrong kind, the rules what is
impossible, and the signatures whatever the signed document does not say.
"""

from __future__ import annotations

import functools
import pkgutil
import re
from typing import Any

from exchange.errors import ExchangeError, malformed

#: entries of one Bundle (a prescription has a few dozen)
MAX_ENTRIES = 500
#: values (objects, arrays, strings, numbers) of one message
MAX_NODES = 50_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}")


@functools.cache
def _resource_types() -> frozenset[str]:
    """The resource types of FHIR R4B, lower case, by the model modules `fhir.resources` ships (read once; no
    model is imported). Listed through the import system, so a frozen program (no .py files) lists them too."""
    import fhir.resources.R4B as r4b

    return frozenset(m.name for m in pkgutil.iter_modules(r4b.__path__) if not m.name.startswith("_"))


def _known(resource_type: Any) -> bool:
    return (
        isinstance(resource_type, str)
        and _NAME.fullmatch(resource_type) is not None
        and resource_type[:1].isupper()
        and resource_type.lower() in _resource_types()
    )


def check(body: Any) -> dict[str, Any]:
    """`body` unchanged when it is a well-formed FHIR resource as the module docstring says; raises
    `ExchangeError` 400 `malformed` naming the first problem."""
    if not isinstance(body, dict) or not _known(body.get("resourceType")):
        raise malformed("not a FHIR resource of a known type")
    if body["resourceType"] == "Bundle":
        entries = body.get("entry")
        if not isinstance(entries, list) or not entries or len(entries) > MAX_ENTRIES:
            raise malformed(f"a Bundle carries 1 to {MAX_ENTRIES} entries")
        for e in entries:
            if not isinstance(e, dict) or not isinstance(e.get("resource"), dict):
                raise malformed("a Bundle entry without a resource")
            if not _known(e["resource"].get("resourceType")):
                raise malformed("a Bundle entry of an unknown resource type")
    nodes, stack = 0, [body]
    while stack:
        node = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise malformed(f"more than {MAX_NODES} values")
        if isinstance(node, dict):
            if not node:
                raise malformed("an empty object")
            for k, v in node.items():
                if not _NAME.fullmatch(k):
                    raise malformed(f"an element named {k[:40]!r}")
                stack.append(v)
        elif isinstance(node, list):
            if not node:
                raise malformed("an empty array")
            stack.extend(node)
        elif node is None:
            raise malformed("a null value")
        elif isinstance(node, str):
            if not node.strip():
                raise malformed("an empty string")
        elif not isinstance(node, (bool, int, float)):  # pragma: no cover - JSON has no other kinds
            raise malformed("a value JSON does not have")
    return body


__all__ = ["MAX_ENTRIES", "MAX_NODES", "ExchangeError", "check"]
