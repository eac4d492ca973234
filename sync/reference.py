"""Reference data from the exchange: drug catalog with prices (and insurers' rules), rule sets, trust list.

Each kind is fetched with its version as `If-None-Match`; an unchanged kind costs one 304. What was
fetched last stays in use when the exchange is down: stale but usable, its age shown (`sync.status`).
A trust list given as a file still carries the published list's suspended prescribers (`published_over`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from app.rules import RULES_BLOB  # where the rule set is kept (`app.rules.cached_rule_set` reads it)
from sync.client import ExchangeClient, ExchangeRefused, ExchangeUnavailable
from sync.status import REFERENCE_KINDS

if TYPE_CHECKING:
    from app.store import Store
    from smartcard.trustlist import TrustList


def _apply(store: Store, kind: str, data: Any) -> None:
    if kind == "catalog":
        catalog = store.catalog
        # The exchange's synonyms and brand names, when it sends them, replace the ones kept.
        catalog.load(data["drugs"], synonyms=data.get("synonyms"))
        insurers = data.get("insurers") or {}
        if isinstance(insurers, dict):  # insurers with their schemes and supplementary plans, as shipped
            from app.reference.data import insurer_plans

            # every plan by its own code, as a new store keeps them: a scheme's patient is priced under the
            # scheme (the exchange prices under the plan eligibility named), not under its parent insurer
            plans = insurer_plans(insurers).values()
            catalog.load_insurers([{**p, "rules": {**p["rules"], "parent": p["parent"]}} for p in plans])
        else:
            catalog.load_insurers(insurers)
        if isinstance(insurers, dict) and insurers.get("version"):
            store.set_meta("insurers_version", str(insurers["version"]))
        if isinstance(data.get("moxa"), dict):  # the national coding (MOXA, 8-10) of the catalog's codes
            from app.catalog import MOXA_BLOB

            store.put_blob(MOXA_BLOB, json.dumps(data["moxa"], ensure_ascii=False).encode("utf-8"))
    elif kind == "rules":
        store.put_blob(RULES_BLOB, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    elif kind == "trustlist":
        from smartcard.trustlist import TrustList

        TrustList.from_json(json.dumps(data).encode("utf-8")).save(store)


def refresh(store: Store, client: ExchangeClient, kinds: tuple[str, ...] = REFERENCE_KINDS) -> dict[str, str]:
    """Fetch what changed; per kind "updated", "current" or "failed: reason". Never raises for one kind."""
    out: dict[str, str] = {}
    for kind in kinds:
        have = store.meta(f"reference.{kind}.version")
        try:
            got = client.reference(kind, have)
            if got is not None:
                _apply(store, kind, got["data"])
                store.set_meta(f"reference.{kind}.version", str(got["version"]))
            store.set_meta(f"reference.{kind}.fetched_at", dt.datetime.now(dt.UTC).isoformat())
            out[kind] = "current" if got is None else "updated"
        except (ExchangeUnavailable, ExchangeRefused) as exc:
            out[kind] = f"failed: {exc.en}"
    return out


def never_fetched(store: Store, kinds: tuple[str, ...] = REFERENCE_KINDS) -> tuple[str, ...]:
    """The reference data kinds never fetched from the exchange on this workstation (no fetch time kept):
    drugs would go out without their national (MOXA) codes and prices and rules would be the bundled ones."""
    return tuple(k for k in kinds if not store.meta(f"reference.{k}.fetched_at"))


def published_over(listed: TrustList, store: Store | None) -> TrustList:
    """`listed` (a trust list given as a file: `NOSKHE_TRUST_LIST`, `--trust-list`) carrying the suspended
    prescribers of the list the exchange published (the one `refresh` keeps in `store`) as well as its own:
    a local file never hides a suspension (issue 9-6). A prescriber both name is taken as published. Returns
    `listed` unchanged without a store or a published list."""
    from smartcard.trustlist import TrustList

    published = TrustList.load(store) if store is not None else None
    if published is None or published is listed:
        return listed
    suspended = {s.council: s for s in listed.suspended}
    suspended.update({s.council: s for s in published.suspended})
    return listed.with_suspensions(tuple(suspended.values()))


def rules(store: Store) -> dict[str, Any] | None:
    """The cached rule set, or None before the first refresh."""
    raw = store.get_blob(RULES_BLOB)
    return json.loads(raw) if raw else None
