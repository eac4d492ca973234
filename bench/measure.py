"""Timing helpers shared by the benchmarks (run as `python bench/<name>.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of `fn` over about `seconds`, after one warm-up call (fonts, caches, sessions)."""
    fn()
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


#: set by `run_all.py`: each figure with a goal is also appended here, one JSON object a line, for its table
FIGURES_ENV = "NOSKHE_BENCH_FIGURES"


def figure(name: str, now: float, goal: float, unit: str, *, higher_is_better: bool = False, digits: int = 1) -> str:
    """Print one of the issue's figures with its goal and the ratio (≤ 1 meets the goal: now / goal, or
    goal / now for a figure where more is better); returns the line. Under `run_all.py` it is also kept for
    the summary table."""
    import json
    import os

    ratio = (goal / now if now else float("inf")) if higher_is_better else now / goal
    sign = "≥" if higher_is_better else "≤"
    line = (
        f"{name:<52}{f'{now:.{digits}f} {unit}':>14}{f'{sign} {goal:g} {unit}':>14}{ratio:>8.2f}  "
        + ("met" if ratio <= 1 else "NOT met")
    )
    print(line, flush=True)
    path = os.environ.get(FIGURES_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            record = {"name": name, "now": now, "goal": goal, "unit": unit, "sign": sign, "ratio": ratio}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return line


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process `pid` and every live descendant (an exchange
    and its worker processes); None where /proc cannot tell (not Linux, the process gone)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total, todo, seen = 0.0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError, IndexError):
            if p == pid:
                return None
    return total
