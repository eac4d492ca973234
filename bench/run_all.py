"""Every benchmark in one run: each `bench/bench_*.py` in turn, its figures (with goals and ratios where the
script states them) printed as it goes, then one line per script: how long it took and whether it finished.

    python bench/run_all.py [NAME ...]      # NAME: store, signing, printing, sync, installer (default: all)

A script that cannot run here (the installer's wants a built package: `bash installer/build_deb.sh`) is
reported and the others still run. Exit 1 when any script failed. Not a test: shared machines are noisy.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


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
    for script in scripts(args.names):
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False).returncode
        results.append((script.name, time.perf_counter() - start, code))
    print("\n=== summary ===")
    for name, seconds, code in results:
        print(f"{name:<24}{seconds:>8.1f} s   {'ok' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for _, _, code in results) else 1


if __name__ == "__main__":
    sys.exit(main())
