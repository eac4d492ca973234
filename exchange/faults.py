"""Fault injection, switchable while the server runs (`PUT /admin/faults` or `noskhe exchange fault`).

- `latency_ms`: added before every answer;
- `error_rate`: the share of calls answered 500/503 *before* doing anything;
- `drop_rate`: the share of calls whose work is committed and whose connection is then closed with no
  answer (the client cannot know it succeeded: the case idempotency keys exist for);
- `outage`: every call but /admin is dropped unanswered, as if the exchange were unreachable.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, fields
from typing import Any

from exchange.db import ExchangeDB


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    outage: bool = False
    seed: int | None = None


class FaultSwitch:
    """The switch, kept in the exchange's database (table `fault_switch`) so that every worker process of the
    server obeys the same settings the moment they change. With a `seed`, the n-th roll after the seed was set
    is the same number whichever worker makes it (a counter in the same row), so a seeded run repeats."""

    def __init__(self, db: ExchangeDB) -> None:
        self.db = db
        self._rng = random.Random()

    def get(self) -> dict[str, Any]:
        """The settings in force, as `Faults` fields."""
        return asdict(self.current)

    def set(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change some settings (the others are kept); returns them all. Raises ValueError for an unknown
        name or a rate outside 0..1, a negative latency."""
        names = {f.name for f in fields(Faults)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        with self.db.write() as c:
            row = c.execute("SELECT settings FROM fault_switch WHERE id = 1").fetchone()
            current = asdict(Faults(**json.loads(row[0])) if row else Faults())
            current.update(changes)
            f = Faults(
                latency_ms=int(current["latency_ms"]),
                error_rate=float(current["error_rate"]),
                drop_rate=float(current["drop_rate"]),
                outage=bool(current["outage"]),
                seed=None if current["seed"] is None else int(current["seed"]),
            )
            if not (0 <= f.error_rate <= 1 and 0 <= f.drop_rate <= 1 and f.latency_ms >= 0):
                raise ValueError("rates are between 0 and 1, latency is not negative")
            c.execute(
                "INSERT INTO fault_switch (id, settings, rolls) VALUES (1, ?, 0) ON CONFLICT (id) DO UPDATE"
                " SET settings = excluded.settings,"
                " rolls = CASE WHEN ? THEN 0 ELSE fault_switch.rolls END",
                (json.dumps(asdict(f)), "seed" in changes),
            )
        return asdict(f)

    def roll(self, rate: float) -> bool:
        """True with probability `rate` (seeded: the next number of the shared sequence)."""
        if rate <= 0:
            return False
        seed = self.current.seed
        if seed is None:
            return self._rng.random() < rate
        with self.db.write() as c:
            c.execute("UPDATE fault_switch SET rolls = rolls + 1 WHERE id = 1")
            n = c.execute("SELECT rolls FROM fault_switch WHERE id = 1").fetchone()[0]
        return random.Random(f"{seed}:{n}").random() < rate

    @property
    def current(self) -> Faults:
        """The settings in force (no faults when none were ever set)."""
        row = self.db.one("SELECT settings FROM fault_switch WHERE id = 1")
        return Faults(**json.loads(row[0])) if row else Faults()
