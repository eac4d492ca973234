"""Every benchmark in one run: each `bench/bench_*.py` in turn, its figures (with goals and ratios where the
script states them) printed as it goes, then one line per script (how long it took, whether it finished)
and the table of the issue's figures: each with its goal and the ratio (≤ 1 meets the goal).

    python bench/run_all.py [NAME ...]   # NAME: installer, printing, scale, signing, store, sync, ui (default: all)

A script that cannot run here (the installer's wants a built package: `bash installer/build_deb.sh`) is
reported and the others still run. Exit 1 when any script failed. Not a test: shared machines are noisy.
Each script runs at its default size (a few minutes in all but sync's 1,000 prescriptions); the 500,000-
prescription store is `python bench/bench_scale.py --size 500000` on its own (about an hour or more).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import FIGURES_ENV


def scripts(names: list[str]) -> list[Path]:
    """The bench scripts to run, in name order; `names` (without `bench_` and `.py`) picks some."""
    found = sorted(HERE.glob("bench_*.py"))
    if not names:
        return found
    by_name = {p.stem.removeprefix("bench_"): p for p in found}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(unknown)} (there are: {', '.join(by_name)})")
    return [by_name[n] for n in names]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="which benchmarks (default: every bench/bench_*.py)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="noskhe-bench-") as tmp:
        kept = Path(tmp) / "figures.jsonl"
        env = {**os.environ, FIGURES_ENV: str(kept)}
        for script in scripts(args.names):
            print(f"\n=== {script.name} ===", flush=True)
            start = time.perf_counter()
            code = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, env=env, check=False).returncode
            results.append((script.name, time.perf_counter() - start, code))
        figures = [json.loads(line) for line in kept.read_text("utf-8").splitlines()] if kept.exists() else []
    print("\n=== summary ===")
    for name, seconds, code in results:
        print(f"{name:<24}{seconds:>8.1f} s   {'ok' if code == 0 else f'FAILED (exit {code})'}")
    print_figures(figures)
    return 0 if all(code == 0 for _, _, code in results) else 1


def print_figures(figures: list[dict[str, object]]) -> None:
    """The figures the scripts stated with a goal, as one table: now, goal, ratio (≤ 1 meets it)."""
    if not figures:
        return
    print(f"\n{'figure':<56}{'now':>14}{'goal':>14}{'ratio':>8}")
    for f in figures:
        now, goal, unit = float(f["now"]), float(f["goal"]), f["unit"]  # type: ignore[arg-type]
        ratio = float(f["ratio"])  # type: ignore[arg-type]
        shown = f"{now:.2f} {unit}" if now < 100 else f"{now:.0f} {unit}"
        mark = "met" if ratio <= 1 else "NOT met"
        wanted = f"{f['sign']} {goal:g} {unit}"
        print(f"{f['name']!s:<56}{shown:>14}{wanted:>14}{ratio:>8.2f}  {mark}")
    print("ratio: now / goal (goal / now where more is better); at most 1 meets the goal")


if __name__ == "__main__":
    sys.exit(main())
