"""The drug catalog in the store, with a search that forgives how people type drug names.

- Names are folded (app.text.fold_for_search) before indexing and before querying: ي/ی, ك/ک, alef forms,
  diacritics and digits no longer matter. The half-space (ZWNJ) is indexed both ways — joined
  ("اموکسیسیلین") and split ("اموکسی سیلین") — so "اموکسي", "آموکسی سیلین" and "آموکسی‌سیلین" all find
  amoxicillin.
- Other names of a drug are indexed with it (the synonyms table of the reference data, `app/data/
  synonyms.csv`, or the one the exchange's catalog refresh brings): the international name ("paracetamol"
  for acetaminophen), Persian spellings ("پاراستامول"), brand names common in Iran ("brufen", "بروفن").
- Every query word is a prefix. Hits are ranked in Python, cheaply: drugs whose name (or other name) starts
  with what was typed first, then plainer (shorter) names, then catalog order; codes typed as digits first.
- When nothing matches, a word of four letters or more that no name starts with is taken for a typo: the
  names within one edit (a letter missing, extra, wrong or two swapped: "amoxicilin", "azitromycin",
  "paracetanol") are searched instead, after the exact matches, which always come first.

The SQL is `app.store.catalog`'s; this module decides what goes into the search keys and how hits rank.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain import Drug, Insurer, Service
from app.text import ZWNJ, fold_for_search, to_ascii_digits

if TYPE_CHECKING:
    from app.store import Store
    from app.store.catalog import CatalogTables

#: a drug row's columns, in the order the store keeps them (`app.store.catalog` reads and writes this order)
DRUG_COLUMNS = ("code", "generic_fa", "generic_en", "form", "form_fa", "strength", "route", "atc", "price")
_COLUMNS = DRUG_COLUMNS
_TOKEN = re.compile(r"\w+", re.UNICODE)
_NON_WORD = re.compile(r"\W+", re.UNICODE)
#: the search keys' format; keys written in another format are rebuilt on the first search
INDEX_FORMAT = "3"
# A run of digits followed by letters ("500mg", "5ml", "۵۰۰میلی‌گرم") is two words in the search keys and in
# what is typed, so "amoxicillin 500mg" finds the "500 mg" capsule and a key written "500mg" is found by
# "500 mg".
_DIGITS_THEN_LETTERS = re.compile(r"(?<=\d)(?=[^\W\d_])", re.UNICODE)
# Parts of the `names` key: Persian name joined, Persian name split at half-spaces, English name, code,
# then the other names. FTS5 does not index the separator; the ranking reads the parts back.
_PART = " | "
_FA, _FA_SPLIT, _EN, _CODE = range(4)
#: how many hits (in catalog order) the ranking looks at: enough for every product of a generic, and for
#: a query of one or two letters a few screens
CANDIDATES = 300
SHORT_CANDIDATES = 60
#: the shortest word taken for a typo of a longer name
FUZZY_MIN = 4


# ---- search keys ---------------------------------------------------------------------------------------


def _split_numbers(folded: str) -> str:
    """`folded` (already `fold_for_search`ed) with a space between a run of digits and the letters after
    it: "500mg" → "500 mg"."""
    return _DIGITS_THEN_LETTERS.sub(" ", folded)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold_for_search(text)))


@dataclass
class _Synonyms:
    """Other names by the words of the generic they stand for (first word → [(generic words, term)])."""

    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[dict[str, str]]) -> _Synonyms:
        out = cls()
        for row in rows:
            target, term = _words(row.get("generic_en", "")), " ".join(_words(row.get("term", "")))
            if target and term:
                out.by_first.setdefault(target[0], []).append((target, term))
        return out

    def terms_for(self, generic_words: tuple[str, ...]) -> list[str]:
        """The other names of a drug whose generic name has these words: those of every generic it holds
        ("paracetamol" for "acetaminophen and codeine" too)."""
        found: list[str] = []
        for i, word in enumerate(generic_words):
            for target, term in self.by_first.get(word, ()):
                if generic_words[i : i + len(target)] == target and term not in found:
                    found.append(term)
        return found


def _names_key(row: dict[str, Any], synonyms: _Synonyms) -> str:
    fa_joined = fold_for_search(row["generic_fa"])
    fa_split = fold_for_search(row["generic_fa"], keep_zwnj=True).replace(ZWNJ, " ")
    en = fold_for_search(row["generic_en"])
    parts = [fa_joined, fa_split if fa_split != fa_joined else "", en, str(row["code"])]
    terms = synonyms.terms_for(tuple(_TOKEN.findall(en)))
    return _PART.join(_split_numbers(p) if i != _CODE else p for i, p in enumerate(parts + terms))


def _extra_key(row: dict[str, Any]) -> str:
    keys = ("atc", "form", "form_fa", "strength", "route")
    return _split_numbers(fold_for_search(" ".join(str(row.get(k) or "") for k in keys)))


def _row_to_drug(row: tuple[Any, ...]) -> Drug:
    return Drug(**dict(zip(_COLUMNS, row)))


def _values(row: dict[str, Any]) -> list[Any]:
    return [str(row.get(k) or "") if k != "price" else int(row.get(k) or 0) for k in _COLUMNS]


# ---- ranking -------------------------------------------------------------------------------------------


def _rank(tokens: list[str], rowid: int, names: str) -> tuple[int, int, int, int]:
    """Sort key of a hit (smaller first): every word found in the names (not only in form, strength…),
    a name that starts with the first word typed, the length of the English name, catalog order."""
    spaced = " " + names
    in_names = all(" " + t in spaced for t in tokens)
    if not in_names:  # a word may follow a hyphen or a bracket: "co-amoxiclav", "(kamodex)"
        spaced = " " + _NON_WORD.sub(" ", names)
        in_names = all(" " + t in spaced for t in tokens)
    parts = names.split(_PART)
    first = tokens[0]
    starts = any(p.startswith(first) for i, p in enumerate(parts) if i != _CODE)
    en = parts[_EN] if len(parts) > _EN else names
    return (not in_names, not starts, len(en), rowid)


def _match(tokens: list[str]) -> str:
    # Folded words only (letters, digits, underscore) in quotes: nothing a user types reaches FTS5 syntax.
    return " ".join(f'"{t}"*' for t in tokens)


def within_one_edit(a: str, b: str) -> bool:
    """Whether `b` is `a` with at most one letter missing, added, changed, or two neighbours swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    n = min(la, lb)
    while i < n and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :] if la < lb else a[i + 1 :] == b[i:]


@dataclass
class _Vocabulary:
    """The words of the search keys, by (length, first letter), for finding those one edit away."""

    generation: str | None
    buckets: dict[tuple[int, str], list[str]]

    @classmethod
    def of(cls, words: Iterable[str], generation: str | None) -> _Vocabulary:
        buckets: dict[tuple[int, str], list[str]] = {}
        for w in words:
            if len(w) >= FUZZY_MIN - 1 and not w.isdigit():
                buckets.setdefault((len(w), w[0]), []).append(w)
        return cls(generation, buckets)

    def near(self, word: str) -> list[str]:
        """Words one edit from `word` (a typo in its first letter is not looked for)."""
        firsts = {word[0], word[1]} if len(word) > 1 else {word[0]}
        out = [
            w
            for n in (len(word) - 1, len(word), len(word) + 1)
            for first in firsts
            for w in self.buckets.get((n, first), ())
            if within_one_edit(word, w)
        ]
        return sorted(set(out))


# Per store, for the life of the process: the vocabulary (rebuilt when the catalog's generation changes)
# and whether the search keys were checked to be of this program's format.
_VOCABULARIES: weakref.WeakKeyDictionary[Any, _Vocabulary] = weakref.WeakKeyDictionary()
_CHECKED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


class Catalog:
    """The drugs and insurers of one store. `load` replaces them (reference data), `search` finds drugs
    as people type their names, `get` reads one by code."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.tables = store.catalog_tables

    # ---- loading ---------------------------------------------------------------------------------------

    def load(
        self,
        rows: Iterable[dict[str, Any]],
        *,
        replace: bool = True,
        synonyms: Iterable[dict[str, str]] | None = None,
    ) -> int:
        """Replace (or extend) the catalog in one transaction; returns the number of drugs. `rows` are dicts
        with the keys of `app.reference.data.FIELDS` (and `price`, rials). `synonyms` (dicts with `term`,
        `generic_en`, `kind`) replace the other names kept; without them the ones kept are used, or the
        bundled table (`app/data/synonyms.csv`) when none were ever kept."""
        kept = list(synonyms) if synonyms is not None else None
        index = _Synonyms.of(kept if kept is not None else self._synonyms())
        rows = list(rows)
        prepared = ((_values(row), _names_key(row, index), _extra_key(row)) for row in rows)
        n = self.tables.write_drugs(prepared, replace=replace, synonyms=kept, index_format=INDEX_FORMAT)
        if replace:  # the interchangeable groups of the rows (`group` key) come with them
            from app.substitution import keep_groups

            keep_groups(self.store, rows)
        _VOCABULARIES.pop(self.store, None)
        _CHECKED[self.store] = True
        return n

    def _synonyms(self) -> list[dict[str, str]]:
        kept = self.tables.synonyms()
        if kept is not None:
            return kept
        from app.reference.data import load_synonyms

        return load_synonyms()

    def reindex(self) -> None:
        """Rebuild every drug's search keys (after a change of their format or of the synonyms)."""
        index = _Synonyms.of(self._synonyms())
        keys = []
        for rowid, values in self.tables.all_drugs():
            row = dict(zip(_COLUMNS, values))
            keys.append((rowid, _names_key(row, index), _extra_key(row)))
        self.tables.rewrite_keys(keys, index_format=INDEX_FORMAT)
        _VOCABULARIES.pop(self.store, None)

    def _check_index(self) -> None:
        if _CHECKED.get(self.store):
            return
        fmt, _ = self.tables.index_state()
        if fmt != INDEX_FORMAT and self.tables.count():
            self.reindex()
        _CHECKED[self.store] = True

    # ---- reading ---------------------------------------------------------------------------------------

    def count(self) -> int:
        return self.tables.count()

    def get(self, code: str) -> Drug | None:
        """The drug with this code (any digit script), or None."""
        row = self.tables.get(to_ascii_digits(code).strip())
        return _row_to_drug(row) if row else None

    def search(self, text: str, limit: int = 20) -> list[Drug]:
        """Up to `limit` drugs for what was typed, best first (see the module's docstring): codes starting
        with the digits typed, then drugs whose names (other names included) start with every word typed,
        then — only when there are none — names one typo away. Empty text → nothing."""
        tokens = _TOKEN.findall(_split_numbers(fold_for_search(text)))
        if not tokens or limit <= 0:
            return []
        self._check_index()
        picked: list[int] = []
        rows: dict[int, tuple[Any, ...]] = {}
        if len(tokens) == 1 and tokens[0].isdigit():
            for rowid, row in self.tables.by_code_prefix(tokens[0], limit):
                picked.append(rowid)
                rows[rowid] = row
        if len(picked) < limit:
            # A letter or two match most of the catalog: rank the first few screens, in catalog order.
            short = sum(map(len, tokens)) <= 2
            hits = self.tables.matches(_match(tokens), max(limit, SHORT_CANDIDATES) if short else CANDIDATES)
            if not hits and not picked:
                hits = self._near_misses(tokens)
            ranked = sorted(hits, key=lambda h: _rank(tokens, h[0], h[1]))
            seen = set(picked)
            picked += [rowid for rowid, _ in ranked if rowid not in seen][: limit - len(picked)]
        rows.update(self.tables.rows([r for r in picked if r not in rows]))
        return [_row_to_drug(rows[r]) for r in picked if r in rows]

    def _near_misses(self, tokens: list[str]) -> list[tuple[int, str]]:
        """Hits when the words no name starts with are read as one-edit typos of the names' words."""
        groups: list[str] = []
        vocabulary: _Vocabulary | None = None
        for t in tokens:
            if self.tables.any_match(f'"{t}"*'):
                groups.append(f'"{t}"*')
                continue
            if len(t) < FUZZY_MIN:
                return []
            vocabulary = vocabulary or self._vocabulary()
            near = vocabulary.near(t)
            if not near:
                return []
            groups.append("(" + " OR ".join(f'"{w}"' for w in near) + ")")
        return self.tables.matches(" AND ".join(groups), CANDIDATES)

    def _vocabulary(self) -> _Vocabulary:
        _, generation = self.tables.index_state()
        cached = _VOCABULARIES.get(self.store)
        if cached is None or cached.generation != generation:
            cached = _Vocabulary.of(self.tables.terms(), generation)
            _VOCABULARIES[self.store] = cached
        return cached

    # ---- insurers --------------------------------------------------------------------------------------

    def load_insurers(self, insurers: Iterable[dict[str, Any]]) -> None:
        """Replace every insurer (dicts with `code`, `name_fa`, `name_en`, `rules`)."""
        self.tables.write_insurers(
            (ins["code"], ins["name_fa"], ins["name_en"], json.dumps(ins.get("rules", {}), ensure_ascii=False))
            for ins in insurers
        )

    def insurers(self) -> list[Insurer]:
        return [Insurer(code, fa, en, json.loads(rules)) for code, fa, en, rules in self.tables.insurers()]

    def insurer(self, code: str) -> Insurer | None:
        return next((i for i in self.insurers() if i.code == code), None)


def seed_reference_data(store: Store) -> None:
    """Load the starter catalog, its synonyms and the insurers shipped with the program into a new store."""
    from app.reference.data import insurer_plans, load_insurers, load_starter_drugs, load_synonyms

    catalog = Catalog(store)
    from app.substitution import with_products

    catalog.load(with_products(load_starter_drugs()), synonyms=load_synonyms())
    data = load_insurers()
    # Schemes (e.g. the rural family-physician fund) are stored beside their insurer, with its code as parent.
    plans = [{**p, "rules": {**p["rules"], "parent": p["parent"]}} for p in insurer_plans(data).values()]
    catalog.load_insurers(plans)
    store.set_meta("insurers_version", str(data.get("version", "")))


# ---- non-drug services (sections 7-6, 8-1) ----------------------------------------------------------------
# A starter catalog of visits, common lab tests, imaging and physiotherapy (`app/data/services.csv`: code,
# kind, names, tariff in rials, the most one line may order, the sex it is for, its national (MOXA) code,
# other words people search it by). Small enough to be searched in memory; the local rules and the
# reference exchange read the same file, so both price and check a service alike.

_SERVICES: dict[str, Service] | None = None
_SERVICE_KEYS: dict[str, str] = {}


def services() -> dict[str, Service]:
    """Every service of the bundled catalog by code, in catalog order (read once)."""
    global _SERVICES
    if _SERVICES is None:
        import csv
        import io
        from importlib import resources

        text = resources.files("app").joinpath("data/services.csv").read_text(encoding="utf-8")
        found: dict[str, Service] = {}
        for row in csv.DictReader(io.StringIO(text)):
            svc = Service(
                code=row["code"],
                kind=row["kind"],
                name_fa=row["name_fa"],
                name_en=row["name_en"],
                tariff=int(row["tariff"]),
                max_quantity=int(row["max_quantity"] or 1),
                sex=row["sex"] or "",
                national_code=row["national_code"] or "",
            )
            found[svc.code] = svc
            _SERVICE_KEYS[svc.code] = fold_for_search(
                " ".join((svc.code, svc.name_fa, svc.name_fa.replace(ZWNJ, ""), svc.name_en, row["keywords"]))
            )
        _SERVICES = found
    return _SERVICES


def service(code: str) -> Service | None:
    """The service with this code (any digit script), or None."""
    return services().get(to_ascii_digits(code).strip())


def search_services(text: str, limit: int = 20, *, kind: str | None = None) -> list[Service]:
    """Up to `limit` services whose code, names or keywords start with every word typed (folded as drug
    names are: ی/ي, digits, case), codes first; only of `kind` when given. Empty text → nothing."""
    tokens = _TOKEN.findall(fold_for_search(text))
    if not tokens or limit <= 0:
        return []
    hits = []
    for code, svc in services().items():
        words = _TOKEN.findall(_SERVICE_KEYS[code])
        if kind is not None and svc.kind != kind:
            continue
        if all(any(w.startswith(t) for w in words) for t in tokens):
            hits.append((0 if code.startswith(tokens[0]) else 1, svc))
    return [svc for _, svc in sorted(hits, key=lambda h: h[0])][:limit]


#: the store's blob holding the national coding (MOXA, 8-10) fetched with the catalog: catalog code →
#: national code, for drugs and services
MOXA_BLOB = "reference.moxa"


def national_code(store: Store, code: str) -> str | None:
    """The national (MOXA) code of catalog code `code` (a drug or a service) as the mapping last fetched
    with the reference data says (`MOXA_BLOB`), else the bundled services catalog's; None when neither
    knows it."""
    raw = store.get_blob(MOXA_BLOB)
    if raw:
        found = json.loads(raw).get(code)
        if found:
            return str(found)
    svc = service(code)
    return svc.national_code if svc is not None and svc.national_code else None
