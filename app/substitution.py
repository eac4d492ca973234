"""Generic substitution at the pharmacy counter: interchangeable products of one generic group.

The catalog has one row per generic product (generic + form + strength). A group of interchangeable
products gathers, under that row, products of other brands or manufacturers, each with its own catalog
code, unit price (rials) and GTIN (its TTAC packs). The group is named by the generic row's code, which is
a member of its own group.

`app/data/substitution.csv` — `code` (the product's own six digits, 19xxxx), `group` (the generic row's
code), `brand_fa`, `brand_en`, `manufacturer`, `price` (rials per unit). `with_products` turns the
catalog's rows into rows with the products added (the generic row's fields, the product's code, price and
brand) and a `group` key on every member: the exchange publishes them in its catalog, and a new store
loads them from the starter data. `app.catalog.Catalog.load` keeps the groups of the rows it loads in the
store (`SUBSTITUTION_BLOB`), so the counter and the local rules use the exchange's groups once refreshed.

A product may be handed over for the prescribed one only when both are of one group and the prescriber
did not mark the line "no substitution" (`PrescriptionItem.no_substitution`): `refusal` says why not, and
`app.rules.check_dispensing` — the engine the workstation and the exchange both run — rejects the line.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.domain import PrescriptionItem
    from app.store import Store

#: the store's blob holding the groups of the catalog last loaded (code → its product fields)
SUBSTITUTION_BLOB = "reference.substitution"
#: the product fields kept per code beside the catalog's own columns
PRODUCT_KEYS = ("group", "brand_fa", "brand_en", "manufacturer")


@dataclass(frozen=True)
class Product:
    """One member of an interchangeable group: its catalog `code`, the `group` (the generic row's code),
    brand names and manufacturer (empty for the generic row itself)."""

    code: str
    group: str
    brand_fa: str = ""
    brand_en: str = ""
    manufacturer: str = ""

    @property
    def label_en(self) -> str:
        """The brand and manufacturer, or "generic" for the group's own row."""
        return f"{self.brand_en} ({self.manufacturer})" if self.brand_en else "generic"

    @property
    def label_fa(self) -> str:
        """Persian: the brand, or «ژنریک» for the group's own row."""
        return self.brand_fa or "ژنریک"


def bundled_products() -> list[dict[str, str]]:
    """The rows of `app/data/substitution.csv`, in file order."""
    text = resources.files("app").joinpath("data/substitution.csv").read_text(encoding="utf-8")
    return [dict(r) for r in csv.DictReader(io.StringIO(text, newline=""))]


def with_products(
    drugs: Iterable[Mapping[str, Any]], products: Iterable[Mapping[str, str]] | None = None
) -> list[dict[str, Any]]:
    """`drugs` (catalog rows) with the interchangeable products added after them: each product is its
    group's row with its own `code`, `price` (rials) and brand fields; every member of a group (the generic
    row too) carries `group`. A product whose group is not among `drugs` is left out."""
    rows = [dict(d) for d in drugs]
    by_code = {str(r["code"]): r for r in rows}
    added = []
    for p in bundled_products() if products is None else products:
        head = by_code.get(str(p["group"]))
        if head is None:
            continue
        head["group"] = head["code"]
        added.append({**head, **{k: p[k] for k in PRODUCT_KEYS}, "code": p["code"], "price": int(p["price"])})
    return rows + added


class Groups:
    """The interchangeable groups of a catalog: code → `Product`."""

    def __init__(self, members: Mapping[str, Mapping[str, str]]) -> None:
        self.members = {
            code: Product(code, **{k: str(v.get(k) or "") for k in PRODUCT_KEYS})
            for code, v in members.items()
        }

    @classmethod
    def of_rows(cls, rows: Iterable[Mapping[str, Any]]) -> Groups:
        """The groups of catalog rows (those with a `group`)."""
        return cls(
            {str(r["code"]): {k: str(r.get(k) or "") for k in PRODUCT_KEYS} for r in rows if r.get("group")}
        )

    def group_of(self, code: str) -> str | None:
        """The group of `code`, None when it has no interchangeable product."""
        p = self.members.get(code)
        return p.group if p else None

    def product(self, code: str) -> Product | None:
        """The member `code`, None when it is in no group."""
        return self.members.get(code)

    def interchangeable(self, a: str, b: str) -> bool:
        """True when `a` and `b` are one code or members of one group."""
        return a == b or (self.group_of(a) is not None and self.group_of(a) == self.group_of(b))

    def alternatives(self, code: str) -> list[Product]:
        """Every member of `code`'s group (`code` itself included; the generic row first), [] when none."""
        group = self.group_of(code)
        if group is None:
            return []
        return sorted(
            (p for p in self.members.values() if p.group == group), key=lambda p: (p.code != group, p.code)
        )

    def to_json(self) -> bytes:
        """The form kept in the store's blob."""
        return json.dumps(
            {c: {k: getattr(p, k) for k in PRODUCT_KEYS} for c, p in self.members.items()}, ensure_ascii=False
        ).encode()


@functools.lru_cache(maxsize=1)
def bundled_groups() -> Groups:
    """The groups of the starter catalog with its products (`with_products` of the bundled data)."""
    from app.reference.data import load_starter_drugs

    return Groups.of_rows(with_products(load_starter_drugs()))


def keep_groups(store: Store, rows: Iterable[Mapping[str, Any]]) -> None:
    """Keep the groups of the catalog rows just loaded (`app.catalog.Catalog.load`)."""
    store.put_blob(SUBSTITUTION_BLOB, Groups.of_rows(rows).to_json())


def store_groups(store: Store) -> Groups:
    """The groups of the catalog this store holds: the ones kept when it was loaded, else the bundled."""
    raw = store.get_blob(SUBSTITUTION_BLOB)
    return Groups(json.loads(raw)) if raw else bundled_groups()


def refusal(
    item: PrescriptionItem, code: str, group_of: Callable[[str], str | None]
) -> tuple[str, str, str] | None:
    """Why product `code` may not be handed over for prescription line `item`, as (finding code, English,
    Persian); None when it may (the prescribed product, or one of its group on a line that allows it)."""
    if code == item.drug_code:
        return None
    group = group_of(item.drug_code)
    if group is None or group != group_of(code):
        return (
            "not-interchangeable",
            f"Line {item.line}: {code} is not interchangeable with the prescribed {item.drug_code}.",
            f"ردیف {item.line}: {code} جایگزین مجاز {item.drug_code} تجویزشده نیست.",
        )
    if item.no_substitution:
        return (
            "no-substitution",
            f"Line {item.line}: the prescriber allows no substitution; hand over {item.drug_code}.",
            f"ردیف {item.line}: پزشک جایگزینی را مجاز ندانسته است؛ همان {item.drug_code} تحویل شود.",
        )
    return None


__all__ = [
    "PRODUCT_KEYS",
    "SUBSTITUTION_BLOB",
    "Groups",
    "Product",
    "bundled_groups",
    "bundled_products",
    "keep_groups",
    "refusal",
    "store_groups",
    "with_products",
]
