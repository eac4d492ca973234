"""The reference data shipped with the client: the starter drug catalog, the other names of its drugs
(international names, spellings, brands) and the insurers' cost-share rules.

Plain dicts read from the package's data directory (`app/data/`), no database. The store imports them into
its own tables; the exchange's reference-data updates (MOXA code lists, insurers' rules) replace them later.

`app/data/drugs.csv` — one row per generic product (generic + dosage form + strength), UTF-8, columns
`FIELDS`:

- `code`: six digits, unique, stable. It is this catalog's own key, used where the national generic code of
  the Iranian drug formulary is not known here; a mapping to the national code (MOXA/IRC) is added beside it,
  never in its place. The starter rows use `1GGSSS` (GG = therapeutic group of the starter list, SSS = serial
  within the group); a new row takes the next free serial of its group and a code is never reused. Codes
  from 200000 up are left to generated catalogs (`app.reference.generate`).
- `generic_fa`: the Persian generic name as Iranian prescribers and pharmacists write it, with the Persian
  letters ی and ک (never the Arabic ي and ك), Persian digits, and the half-space (ZWNJ, U+200C) where Persian
  orthography puts one ("آموکسی‌سیلین"). Search must normalise letter variants and ZWNJ on both sides.
- `generic_en`: the INN; the few exceptions keep the name used on the Iranian formulary
  (Acetaminophen for paracetamol, Co-amoxiclav, Co-trimoxazole). Combinations are "X and Y".
- `form` / `form_fa`: dosage form in English and as written on Persian prescriptions (قرص، کپسول، ویال …).
- `strength`: per unit ("500 mg"), per volume ("250 mg/5 mL"), per dose ("100 mcg/dose") or percent;
  combinations list each ingredient in the order of `generic_en` ("500 mg/125 mg").
- `route`: one of `ROUTES`.
- `atc`: the WHO ATC code of the product at the 7-character (substance) level, for the route and use of
  that product (metronidazole tablets P01AB01, infusion J01XD01, vaginal gel G01AF01).

`app/data/synonyms.csv` — the other names people type for the catalog's generics, columns `SYNONYM_FIELDS`:
`term` (as typed, Latin or Persian letters), `generic_en` (the catalog's `generic_en` it stands for: a drug
is found by a term when its own generic name holds that generic, so "paracetamol" finds acetaminophen and
acetaminophen with codeine) and `kind`, one of `SYNONYM_KINDS`: `inn` (the international or another
official name: paracetamol, albuterol), `spelling` (a Persian spelling in common use: آزیترومیسین) or
`brand` (a brand name common on the Iranian market, originator or Iranian: Brufen/بروفن, Gelofen/ژلوفن).
The exchange's catalog refresh may carry its own list (`synonyms` beside `drugs`), which then replaces it.

`app/data/insurers.json` — `version`, `as_of` (Jalali date), and `insurers`: each with `code`, `name_fa`,
`name_en`, `rules` and optionally `schemes` (same shape). `rules` holds integer percents of the public
tariff for `drug_outpatient` and `visit_outpatient` (`insurer_percent` + `patient_percent` = 100),
`excluded_atc_prefixes` (items the insurer does not cover as an outpatient) and `referral_required`
(rural family-physician scheme). A scheme's rules replace its insurer's rules as a whole. `supplementary`
lists supplementary plans, same shape, their rules marked `"supplementary": true`: each pays its
`insurer_percent` of what is left to the patient after the basic insurer (`app.costs.line_cost`).
"""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

FIELDS: tuple[str, ...] = ("code", "generic_fa", "generic_en", "form", "form_fa", "strength", "route", "atc")

ROUTES: frozenset[str] = frozenset(
    {
        "oral",
        "parenteral",
        "topical",
        "inhalation",
        "ophthalmic",
        "otic",
        "nasal",
        "rectal",
        "vaginal",
        "sublingual",
    }
)

SYNONYM_FIELDS: tuple[str, ...] = ("term", "generic_en", "kind")
SYNONYM_KINDS: frozenset[str] = frozenset({"inn", "spelling", "brand"})

_PACKAGE = "app"
_DRUGS = "data/drugs.csv"
_INSURERS = "data/insurers.json"
_SYNONYMS = "data/synonyms.csv"


def _read_text(name: str) -> str:
    return resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def load_starter_drugs() -> list[dict[str, str]]:
    """Every row of the starter catalog, in file order, as a fresh list of dicts keyed by `FIELDS`."""
    reader = csv.DictReader(io.StringIO(_read_text(_DRUGS), newline=""))
    if tuple(reader.fieldnames or ()) != FIELDS:
        raise ValueError(f"{_DRUGS}: unexpected header {reader.fieldnames!r}")
    return [dict(row) for row in reader]


def load_synonyms() -> list[dict[str, str]]:
    """Every row of the synonyms and brand names table, in file order, as dicts keyed by `SYNONYM_FIELDS`."""
    reader = csv.DictReader(io.StringIO(_read_text(_SYNONYMS), newline=""))
    if tuple(reader.fieldnames or ()) != SYNONYM_FIELDS:
        raise ValueError(f"{_SYNONYMS}: unexpected header {reader.fieldnames!r}")
    return [dict(row) for row in reader]


def load_insurers() -> dict:
    """The parsed `insurers.json` (a fresh dict on every call)."""
    return json.loads(_read_text(_INSURERS))


def insurer_plans(insurers: dict | None = None) -> dict[str, dict]:
    """Every insurer and scheme by code: `{code: {code, name_fa, name_en, parent, rules}}`.

    `parent` is the insurer's code for a scheme and None for an insurer itself. Supplementary plans (the
    file's `supplementary` list; their rules say `"supplementary": true`) come last.
    """
    data = load_insurers() if insurers is None else insurers
    plans: dict[str, dict] = {}
    for insurer in data["insurers"]:
        entries = [(insurer, None)] + [(scheme, insurer["code"]) for scheme in insurer.get("schemes", ())]
        for entry, parent in entries:
            plans[entry["code"]] = {
                "code": entry["code"],
                "name_fa": entry["name_fa"],
                "name_en": entry["name_en"],
                "parent": parent,
                "rules": entry["rules"],
            }
    for entry in data.get("supplementary", ()):  # last: they pay after a basic insurer
        plans[entry["code"]] = {
            "code": entry["code"],
            "name_fa": entry["name_fa"],
            "name_en": entry["name_en"],
            "parent": None,
            "rules": entry["rules"],
        }
    return plans
