"""A synthetic drug catalog the size of the national one, for search benchmarks, demos and load tests.

The starter catalog comes first, unchanged; after it come products derived from starter rows: branded
versions of the same product and, now and then, another strength of it, each with a brand-like name in
Latin and Persian letters ("Amoxicillin (Kamodex)", "آموکسی‌سیلین (کامودکس)"). Derived rows take codes
from 200000 upward, so they never collide with the starter codes (1GGSSS). The same `n` and `seed` always
give the same rows.

    python -m app.reference.generate --n 20000 -o catalog.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from typing import TextIO

from app.reference.data import FIELDS, load_starter_drugs

FIRST_DERIVED_CODE = 200_000
MAX_CODE = 999_999


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Parse "ka:کا ro:رو" into (("ka", "کا"), ("ro", "رو"))."""
    return tuple(tuple(item.split(":")) for item in text.split())  # type: ignore[misc]


# (Latin, Persian) syllables that read the same in both scripts; none ends in ه, which would break a word.
_SYLLABLES = _pairs(
    "ka:کا ko:کو ki:کی ra:را ro:رو ri:ری ma:ما mo:مو mi:می ta:تا to:تو ti:تی sa:سا so:سو si:سی "
    "da:دا do:دو di:دی na:نا no:نو ni:نی la:لا lo:لو li:لی pa:پا po:پو ba:با bi:بی va:وا vi:وی "
    "za:زا zi:زی fa:فا fo:فو ga:گا go:گو sha:شا shi:شی ja:جا ha:ها"
)
_ENDINGS = _pairs(
    "dex:دکس fen:فن zol:زول pin:پین sin:سین lin:لین ral:رال tan:تان tex:تکس mid:مید vir:ویر mol:مول "
    "x:کس n:ن l:ل r:ر m:م"
) + (("", ""),)
_FACTORS = (0.25, 0.5, 1.5, 2, 3, 4)
# Single-ingredient strengths only ("500 mg", "0.1%", "250 mg/5 mL", "100 mcg/dose"); the amount is scaled.
_SCALABLE = re.compile(r"^(\d+(?:\.\d+)?)( (?:mg|mcg|g|IU)(?:/(?:\d+(?:\.\d+)? )?(?:mL|g|dose))?|%)$")


def _brand(rng: random.Random) -> tuple[str, str]:
    parts = [_SYLLABLES[rng.randrange(len(_SYLLABLES))] for _ in range(rng.choice((1, 2, 2, 3)))]
    ending = _ENDINGS[rng.randrange(len(_ENDINGS))]
    latin = "".join(p[0] for p in parts) + ending[0]
    persian = "".join(p[1] for p in parts) + ending[1]
    return latin.capitalize(), persian


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _other_strength(strength: str, rng: random.Random) -> str | None:
    match = _SCALABLE.match(strength)
    if not match:
        return None
    amount = float(match.group(1)) * rng.choice(_FACTORS)
    if amount < 0.001 or (match.group(2) == "%" and amount >= 100):
        return None
    return _number(amount) + match.group(2)


def generate_catalog(n: int = 20000, seed: int = 0) -> list[dict[str, str]]:
    """`n` catalog rows with unique codes: the starter rows first (all of them when `n` allows), then
    derived rows. Deterministic for (`n`, `seed`); a prefix of a longer catalog with the same seed."""
    if n < 0:
        raise ValueError("n must not be negative")
    starter = load_starter_drugs()
    if n <= len(starter):
        return starter[:n]
    derived_count = n - len(starter)
    if FIRST_DERIVED_CODE + derived_count - 1 > MAX_CODE:
        raise ValueError(
            f"at most {MAX_CODE - FIRST_DERIVED_CODE + 1 + len(starter)} rows fit six-digit codes"
        )

    rng = random.Random(seed)
    rows = list(starter)
    seen = {(r["generic_en"], r["form"], r["form_fa"], r["strength"]) for r in starter}
    for i in range(derived_count):
        while True:
            base = starter[rng.randrange(len(starter))]
            strength = base["strength"]
            if rng.random() < 0.2:
                strength = _other_strength(strength, rng) or strength
            brand_en, brand_fa = _brand(rng)
            generic_en = f"{base['generic_en']} ({brand_en})"
            key = (generic_en, base["form"], base["form_fa"], strength)
            if key not in seen:
                seen.add(key)
                break
        rows.append(
            {
                "code": f"{FIRST_DERIVED_CODE + i:06d}",
                "generic_fa": f"{base['generic_fa']} ({brand_fa})",
                "generic_en": generic_en,
                "form": base["form"],
                "form_fa": base["form_fa"],
                "strength": strength,
                "route": base["route"],
                "atc": base["atc"],
            }
        )
    return rows


def write_catalog(rows: list[dict[str, str]], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.reference.generate", description="Write a synthetic drug catalog as CSV."
    )
    parser.add_argument("--n", type=int, default=20000, help="number of rows (default 20000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("-o", "--output", default="-", help="CSV file to write; '-' for standard output")
    args = parser.parse_args(argv)
    try:
        rows = generate_catalog(args.n, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    if args.output == "-":
        write_catalog(rows, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            write_catalog(rows, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
