"""Seeded demo data: facilities, insurers, insured persons, the medical council, drugs with prices, TTAC packs
and the rule set. Deterministic: the same data every time, so tests and the demo can name patients and packs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from typing import Any

from app.identifiers import gs1_check_digit, national_code_check_digit
from app.reference.data import insurer_plans, load_insurers, load_starter_drugs, load_synonyms
from app.rules import bundled_rule_set
from exchange.db import ExchangeDB, utcnow

#: (SIAM id, kind, name) of the facilities the exchange knows from the start
FACILITIES = (
    ("10000001", "clinic", "درمانگاه نمونه (آزمایشی)"),
    ("20000002", "pharmacy", "داروخانه نمونه (آزمایشی)"),
    ("20000003", "pharmacy", "داروخانه دوم (آزمایشی)"),
)
#: medical council members: number, name, status, specialty
COUNCIL = (
    ("123456", "آزمایشی دکتر سارا احمدی", "active", "پزشک عمومی"),
    ("98765", "آزمایشی دکتر رضا کریمی", "active", "داروساز"),
    ("87654", "آزمایشی دکتر نگار موسوی", "active", "داروساز"),
    ("555555", "آزمایشی دکتر معلق", "suspended", "پزشک عمومی"),
)
PACKS_PER_DRUG = 12
_FIRST = ("مریم", "علی", "زهرا", "محمد", "فاطمه", "حسین", "سارا", "رضا", "نرگس", "امیر", "لیلا", "مهدی")
_LAST = ("احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "نوری", "کاظمی")

#: the rule set the exchange publishes: the one shipped with the program (`app/data/rules.json`), so a
#: workstation that has not fetched it yet runs the same rules offline
RULES: dict[str, Any] = bundled_rule_set()


def national_code(rng: random.Random) -> str:
    while True:
        nine = "".join(rng.choice("0123456789") for _ in range(9))
        if len(set(nine)) > 1:
            return nine + str(national_code_check_digit(nine))


def price_of(code: str) -> int:
    """A stable unit price in rials, between 5,000 and 1,500,000, rounded to 100."""
    h = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16)
    return 5_000 + (h % 14_950) * 100


def pack_code(drug: str, n: int) -> str:
    h = int(hashlib.sha256(f"ttac:{drug}:{n}".encode()).hexdigest(), 16)
    return str(h % 10**16).zfill(16)


def gtin(drug: str) -> str:
    payload = "626" + drug.zfill(9)[-9:]
    return payload + str(gs1_check_digit(payload))


def moxa_codes(drugs: list[dict[str, Any]]) -> dict[str, str]:
    """The national coding (MOXA, section 8-10) of the catalog's drugs and services: catalog code → national
    code (a drug's IRC, built here from its GTIN; a service's code from the services catalog). Published
    with the catalog, so workstations refresh the mapping with the reference data."""
    from app.catalog import services

    out = {d["code"]: f"IRC{gtin(d['code'])}" for d in drugs}
    out.update({code: svc.national_code for code, svc in services().items() if svc.national_code})
    return out


def persons(n: int = 200) -> list[dict[str, Any]]:
    """The insured-persons database: national-code holders, a few FIDA holders; some with two basic
    coverages (an overlap), some insured with a supplementary plan as well (`supplementary`)."""
    rng = random.Random(1401)
    plans = [p for p, v in insurer_plans().items() if p != "NONE" and not v["rules"].get("supplementary")]
    extras = [p for p, v in insurer_plans().items() if v["rules"].get("supplementary")]
    out = []
    for i in range(n):
        foreign = i % 25 == 24
        pid = (
            ("fida", "".join(rng.choice("0123456789") for _ in range(12)))
            if foreign
            else ("national-code", national_code(rng))
        )
        covs = []
        if i % 10 != 9:  # one in ten is uninsured
            covs.append(rng.choice(plans))
            if i % 7 == 3:  # insurance overlap
                covs.append(rng.choice([p for p in plans if p != covs[0]]))
        out.append(
            {
                "kind": pid[0],
                "value": pid[1],
                "first_name": _FIRST[i % len(_FIRST)],
                "last_name": _LAST[(i * 7) % len(_LAST)],
                "birth_date": dt.date(1950 + i % 60, 1 + i % 12, 1 + i % 28).isoformat(),
                "sex": "female" if i % 2 == 0 else "male",
                "coverages": covs,
                "supplementary": extras[0] if covs and extras and i % 4 == 1 else None,
            }
        )
    return out


def armed_forces_newborns(n: int = 5) -> list[dict[str, Any]]:
    """Newborns insured by the Armed Forces Medical Services Organisation (AFMS) before registration: each
    known by its insurance number (`armed-forces-newborn` patient id, section 7-1 note 4), which is also
    the number of its AFMS coverage."""
    rng = random.Random(1405)
    today = dt.date.today()
    out = []
    for i in range(n):
        number = "7" + "".join(rng.choice("0123456789") for _ in range(9))
        out.append(
            {
                "kind": "armed-forces-newborn",
                "value": number,
                "first_name": "نوزاد " + _LAST[i % len(_LAST)],
                "last_name": _LAST[i % len(_LAST)],
                "birth_date": (today - dt.timedelta(days=3 + i)).isoformat(),
                "sex": "female" if i % 2 == 0 else "male",
                "coverages": ["AFMS"],
                "insurance_number": number,
                "supplementary": None,
            }
        )
    return out


def demo_patients(n: int = 3) -> list[dict[str, Any]]:
    """The first `n` insured national-code holders with exactly one coverage (the demo's patients)."""
    return [p for p in persons() if p["kind"] == "national-code" and len(p["coverages"]) == 1][:n]


def catalog() -> list[dict[str, Any]]:
    """The national drug list with prices (rials), and the interchangeable products of some generics
    (brands, manufacturers: `app.substitution`), each with its own code, price and packs."""
    from app.substitution import with_products

    return with_products({**row, "price": price_of(row["code"])} for row in load_starter_drugs())


def seed(db: ExchangeDB, trust_list_json: bytes | None = None) -> None:
    """Fill an empty database (idempotent: does nothing once seeded, except a new trust list)."""
    now = utcnow()
    if db.meta("seeded"):
        if trust_list_json is not None:
            publish_trust_list(db, trust_list_json)
        return
    today = dt.date.today()
    with db.write() as c:
        c.executemany("INSERT OR IGNORE INTO facilities (siam, kind, name) VALUES (?,?,?)", FACILITIES)
        c.executemany("INSERT INTO council (number, name, status, specialty) VALUES (?,?,?,?)", COUNCIL)
        for code, plan in insurer_plans().items():
            c.execute(
                "INSERT INTO insurers (code, doc) VALUES (?, ?)", (code, json.dumps(plan, ensure_ascii=False))
            )
        for p in persons() + armed_forces_newborns():
            c.execute(
                "INSERT INTO persons VALUES (?,?,?,?,?,?)",
                (p["kind"], p["value"], p["first_name"], p["last_name"], p["birth_date"], p["sex"]),
            )
            for n, plan in enumerate(p["coverages"]):
                c.execute(
                    "INSERT INTO coverages VALUES (?,?,?,?,?,?)",
                    (
                        p["kind"],
                        p["value"],
                        insurer_plans()[plan]["parent"] or plan,
                        plan if insurer_plans()[plan]["parent"] else "",
                        p.get("insurance_number") or f"{plan}-{p['value'][-6:]}-{n}",
                        (today + dt.timedelta(days=365)).isoformat(),
                    ),
                )
            if p.get("supplementary"):
                c.execute(
                    "INSERT INTO coverages VALUES (?,?,?,?,?,?)",
                    (
                        p["kind"],
                        p["value"],
                        p["supplementary"],
                        "",
                        f"{p['supplementary']}-{p['value'][-6:]}",
                        (today + dt.timedelta(days=365)).isoformat(),
                    ),
                )
        drugs = catalog()
        for d in drugs:
            c.execute(
                "INSERT INTO drugs (code, doc, atc, price) VALUES (?,?,?,?)",
                (d["code"], json.dumps(d, ensure_ascii=False), d["atc"], d["price"]),
            )
            for n in range(PACKS_PER_DRUG):
                expired = n == PACKS_PER_DRUG - 1
                expiry = today - dt.timedelta(days=30) if expired else today + dt.timedelta(days=400 + n)
                c.execute(
                    "INSERT OR IGNORE INTO packs (code, drug_code, gtin, batch, expiry) VALUES (?,?,?,?,?)",
                    (
                        pack_code(d["code"], n),
                        d["code"],
                        gtin(d["code"]),
                        f"B{d['code'][-4:]}{n:02d}",
                        expiry.isoformat(),
                    ),
                )
        c.execute("INSERT INTO meta (key, value) VALUES ('seeded', ?)", (now,))
    insurers = load_insurers()
    publish(
        db,
        "catalog",
        json.dumps(
            {"drugs": drugs, "insurers": insurers, "synonyms": load_synonyms(), "moxa": moxa_codes(drugs)},
            ensure_ascii=False,
        ),
        version=f"catalog-{today:%Y%m%d}-1",
    )
    publish(db, "rules", json.dumps(RULES, ensure_ascii=False), version=RULES["version"])
    if trust_list_json is not None:
        publish_trust_list(db, trust_list_json)


def publish_trust_list(db: ExchangeDB, trust_list_json: bytes | None = None) -> str | None:
    """Publish the trust list (`trust_list_json`, else the one published now) carrying the prescribers the
    medical council has suspended (`suspended_prescribers`: council number, name, since), so pharmacies
    refuse their paper prescriptions offline; returns its version, None when there is no list yet."""
    if trust_list_json is None:
        row = db.one("SELECT body FROM reference WHERE kind = 'trustlist'")
        if row is None:
            return None
        trust_list_json = row[0].encode("utf-8")
    doc = json.loads(trust_list_json)
    suspended = [
        {k: v for k, v in (("council", r[0]), ("name", r[1]), ("since", r[2] or "")) if v}
        for r in db.all(
            "SELECT c.number, c.name, (SELECT min(e.at) FROM events e WHERE e.kind = 'suspended'"
            " AND e.subject = c.number) FROM council c WHERE c.status != 'active' ORDER BY c.number"
        )
    ]
    doc.pop("suspended_prescribers", None)
    if suspended:
        doc["suspended_prescribers"] = suspended
    return publish(db, "trustlist", json.dumps(doc, indent=1, ensure_ascii=False))


def set_council_status(db: ExchangeDB, number: str, status: str, name: str = "") -> str | None:
    """Change a medical council member's licence status (`active`, `suspended`…; a member not known yet is
    added as a GP) and publish the trust list again with the suspensions; returns its new version."""
    with db.write() as c:
        c.execute(
            "INSERT INTO council (number, name, status, specialty) VALUES (?,?,?,?) ON CONFLICT (number)"
            " DO UPDATE SET status = excluded.status",
            (number, name or number, status, "پزشک عمومی"),
        )
        ExchangeDB.event(c, "admin", "suspended" if status != "active" else "reinstated", number)
    return publish_trust_list(db)


def publish(db: ExchangeDB, kind: str, body: str, version: str | None = None) -> str:
    """Publish reference data; the version defaults to a digest of the body (changes only when it does)."""
    version = version or f"{kind}-{hashlib.sha256(body.encode()).hexdigest()[:12]}"
    with db.write() as c:
        c.execute(
            "INSERT OR REPLACE INTO reference (kind, version, body, updated_at) VALUES (?,?,?,?)",
            (kind, version, body, utcnow()),
        )
    return version
