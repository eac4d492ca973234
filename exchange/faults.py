"""Fault injection, switchable while the server runs (`PUT /admin/faults` or `noskhe exchange fault`).

- `latency_ms`: added before every answer;
- `error_rate`: the share of calls answered 500/503 *before* doing anything;
- `drop_rate`: the share of calls whose work is committed and whose connection is then closed with no
  answer (the client cannot know it succeeded: the case idempotency keys exist for);
- `outage`: every call but /admin is dropped unanswered, as if the exchange were unreachable.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    outage: bool = False
    seed: int | None = None


class FaultSwitch:
    def __init__(self) -> None:
        self._faults = Faults()
        self._rng = random.Random()
        self._lock = threading.Lock()

    def get(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._faults)

    def set(self, changes: dict[str, Any]) -> dict[str, Any]:
        names = {f.name for f in fields(Faults)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        with self._lock:
            current = asdict(self._faults)
            current.update(changes)
            f = Faults(
                latency_ms=int(current["latency_ms"]),
                error_rate=float(current["error_rate"]),
                drop_rate=float(current["drop_rate"]),
                outage=bool(current["outage"]),
                seed=current["seed"],
            )
            if not (0 <= f.error_rate <= 1 and 0 <= f.drop_rate <= 1 and f.latency_ms >= 0):
                raise ValueError("rates are between 0 and 1, latency is not negative")
            self._faults = f
            if "seed" in changes:
                self._rng = random.Random(f.seed)
            return asdict(f)

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    @property
    def current(self) -> Faults:
        with self._lock:
            return Faults(**asdict(self._faults))
