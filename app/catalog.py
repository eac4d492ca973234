"""The drug catalog in the store, with full-text search that forgives how people type Persian.

Names are folded (app.text.fold_for_search) before indexing and before querying: ي/ی, ك/ک, alef forms,
diacritics and digits no longer matter. The half-space (ZWNJ) is indexed both ways — joined
("اموکسیسیلین") and split ("اموکسی سیلین") — so "اموکسي", "آموکسی سیلین" and "آموکسی‌سیلین" all find
amoxicillin. Every query term is a prefix; results are ranked by bm25, exact code matches first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from app.domain import Drug, Insurer
from app.text import ZWNJ, fold_for_search, to_ascii_digits

_COLUMNS = ("code", "generic_fa", "generic_en", "form", "form_fa", "strength", "route", "atc", "price")
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _names_key(row: dict[str, Any]) -> str:
    fa_joined = fold_for_search(row["generic_fa"])
    fa_split = fold_for_search(row["generic_fa"], keep_zwnj=True).replace(ZWNJ, " ")
    parts = [fa_joined, fa_split if fa_split != fa_joined else "", fold_for_search(row["generic_en"]), row["code"]]
    return " ".join(p for p in parts if p)


def _extra_key(row: dict[str, Any]) -> str:
    return fold_for_search(" ".join(str(row.get(k) or "") for k in ("atc", "form", "form_fa", "strength", "route")))


def _row_to_drug(row: tuple[Any, ...]) -> Drug:
    return Drug(**dict(zip(_COLUMNS, row)))


class Catalog:
    def __init__(self, store: Any) -> None:
        self.store = store

    def load(self, rows: Iterable[dict[str, Any]], *, replace: bool = True) -> int:
        """Replace (or extend) the catalog in one transaction; returns the number of drugs."""
        n = 0
        with self.store.transaction() as c:
            if replace:
                c.execute("DELETE FROM drugs")
                c.execute("DELETE FROM drugs_fts")
            for row in rows:
                values = [str(row.get(k) or "") if k != "price" else int(row.get(k) or 0) for k in _COLUMNS]
                cur = c.execute(
                    f"INSERT OR REPLACE INTO drugs ({', '.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})",
                    values,
                )
                rowid = cur.lastrowid
                c.execute("DELETE FROM drugs_fts WHERE rowid = ?", (rowid,))
                c.execute(
                    "INSERT INTO drugs_fts (rowid, names, extra) VALUES (?, ?, ?)",
                    (rowid, _names_key(row), _extra_key(row)),
                )
                n += 1
        return n

    def count(self) -> int:
        return self.store.conn().execute("SELECT count(*) FROM drugs").fetchone()[0]

    def get(self, code: str) -> Drug | None:
        row = self.store.conn().execute(
            f"SELECT {', '.join(_COLUMNS)} FROM drugs WHERE code = ?", (to_ascii_digits(code).strip(),)
        ).fetchone()
        return _row_to_drug(row) if row else None

    def search(self, text: str, limit: int = 20) -> list[Drug]:
        """Drugs matching every word of `text` as a prefix, best first. Empty text → nothing."""
        tokens = _TOKEN.findall(fold_for_search(text))
        if not tokens:
            return []
        c = self.store.conn()
        out: list[Drug] = []
        seen: set[str] = set()
        if len(tokens) == 1 and tokens[0].isdigit():
            for row in c.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM drugs WHERE code >= ? AND code < ? ORDER BY code LIMIT ?",
                (tokens[0], tokens[0] + "\uffff", limit),
            ):
                out.append(_row_to_drug(row))
                seen.add(row[0])
        match = " ".join(f'"{t}"*' for t in tokens)
        cols = ", ".join(f"d.{k}" for k in _COLUMNS)
        for row in c.execute(
            f"SELECT {cols} FROM drugs_fts JOIN drugs d ON d.rowid = drugs_fts.rowid"
            " WHERE drugs_fts MATCH ? ORDER BY bm25(drugs_fts, 10.0, 1.0), length(d.generic_en) LIMIT ?",
            (match, limit),
        ):
            if row[0] not in seen and len(out) < limit:
                out.append(_row_to_drug(row))
                seen.add(row[0])
        return out

    # ---- insurers ------------------------------------------------------------------------------------

    def load_insurers(self, insurers: Iterable[dict[str, Any]]) -> None:
        with self.store.transaction() as c:
            c.execute("DELETE FROM insurers")
            for ins in insurers:
                c.execute(
                    "INSERT INTO insurers (code, name_fa, name_en, rules) VALUES (?,?,?,?)",
                    (ins["code"], ins["name_fa"], ins["name_en"], json.dumps(ins.get("rules", {}), ensure_ascii=False)),
                )

    def insurers(self) -> list[Insurer]:
        rows = self.store.conn().execute("SELECT code, name_fa, name_en, rules FROM insurers ORDER BY code")
        return [Insurer(code, fa, en, json.loads(rules)) for code, fa, en, rules in rows]

    def insurer(self, code: str) -> Insurer | None:
        return next((i for i in self.insurers() if i.code == code), None)


def seed_reference_data(store: Any) -> None:
    """Load the starter catalog and the insurers shipped with the program into a new store."""
    from app.reference.data import insurer_plans, load_insurers, load_starter_drugs

    catalog = Catalog(store)
    catalog.load(load_starter_drugs())
    data = load_insurers()
    # Schemes (e.g. the rural family-physician fund) are stored beside their insurer, with its code as parent.
    plans = [{**p, "rules": {**p["rules"], "parent": p["parent"]}} for p in insurer_plans(data).values()]
    catalog.load_insurers(plans)
    store.set_meta("insurers_version", str(data.get("version", "")))
