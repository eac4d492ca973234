"""Package figures: the .deb's size, its installed size, and how fast the installed program starts.

    python bench/bench_installer.py [--deb dist/noskhe_<version>_amd64.deb] [--build] [--runs 5]

The package (the newest in dist/, `--build` makes it first with installer/build_deb.sh) is extracted into a
temporary root (`dpkg-deb -x`) and its program run from there with a bare environment, as in the package's
test. A cold start is the first one after the package's files are dropped from the page cache
(posix_fadvise DONTNEED on each of them, nothing else on the machine touched): they are read from disk as
on a computer that has just booted. Warm starts are the median of `--runs` more.

- `noskhe --version`: the program's own start (Python, the command table), nothing opened;
- the main window shown: from the process's start until the desktop's main window is on screen (Qt's
  offscreen platform), its passphrase dialog answered at once: Qt, the passphrase's key derivation (scrypt,
  ~0.2 s on purpose), the store opened, the prescriptions list and the catalog filled
  (`noskhe --smoke-ui --data-dir DIR`, a hidden option of the frozen program).

Prints each figure with its goal and the ratio now/goal (≤ 1 meets it). Not a test: shared machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASS = "bench passphrase"

GOALS = {  # figure → (goal, unit)
    "size": (100.0, "MB"),
    "installed": (250.0, "MiB"),
    "version": (1.0, "s"),
    "window": (3.0, "s"),
}


def newest_deb() -> Path | None:
    debs = sorted((ROOT / "dist").glob("noskhe_*.deb"), key=lambda p: p.stat().st_mtime)
    return debs[-1] if debs else None


def evict(root: Path) -> None:
    """Drop every file under `root` from the page cache (written back first), so the next read is from disk."""
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def time_version(program: Path, env: dict[str, str], cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run([str(program), "--version"], check=True, env=env, cwd=cwd, capture_output=True)
    return time.perf_counter() - t


def time_window(program: Path, data: Path, env: dict[str, str], cwd: Path) -> float:
    """Seconds from spawning the program to its line saying the main window is on screen."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        [str(program), "--smoke-ui", "--data-dir", str(data)],
        env={**env, "QT_QPA_PLATFORM": "offscreen", "NOSKHE_PASSPHRASE": PASS},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t
    proc.wait(60)
    if not line.startswith("main window shown") or proc.returncode != 0:
        raise RuntimeError(f"the window did not start: {line!r}, exit {proc.returncode}")
    return elapsed


def row(name: str, value: float, key: str, fmt: str = "{:.2f}") -> None:
    goal, unit = GOALS[key]
    now = f"{fmt.format(value)} {unit}"
    print(f"{name:<56}{now:>12}{'≤ ' + fmt.format(goal) + ' ' + unit:>14}{value / goal:>9.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help="the package (default: the newest dist/noskhe_*.deb)")
    parser.add_argument("--build", action="store_true", help="build it first: bash installer/build_deb.sh")
    parser.add_argument("--runs", type=int, default=5, help="warm starts to take the median of")
    args = parser.parse_args()
    if args.build:
        subprocess.run(["bash", str(ROOT / "installer" / "build_deb.sh")], check=True)
    deb = args.deb or newest_deb()
    if deb is None or not deb.is_file():
        print("no package: build it with `bash installer/build_deb.sh`, or pass --build", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="noskhe-bench-") as tmp:
        work = Path(tmp)
        root, home, data = work / "root", work / "home", work / "data"
        home.mkdir()
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        installed_mib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
        installed_mib /= 1024 * 1024
        program = root / "usr" / "bin" / "noskhe"
        env = bare_env(home)

        evict(root)
        version_cold = time_version(program, env, work)
        version_warm = statistics.median(time_version(program, env, work) for _ in range(args.runs))

        subprocess.run(
            [str(program), "--data-dir", str(data), "init", "--role", "clinic", "--facility", "12345678"],
            check=True,
            env={**env, "NOSKHE_PASSPHRASE": PASS},
            cwd=work,
            capture_output=True,
        )
        evict(root)
        window_cold = time_window(program, data, env, work)
        window_warm = statistics.median(time_window(program, data, env, work) for _ in range(args.runs))

    print(f"package {deb.relative_to(ROOT) if deb.is_relative_to(ROOT) else deb}")
    print(f"{'figure':<56}{'now':>12}{'goal':>14}{'ratio':>9}")
    row(".deb size", deb.stat().st_size / 1e6, "size", "{:.1f}")
    row("installed size (/opt/noskhe and the rest)", installed_mib, "installed", "{:.0f}")
    row("noskhe --version, cold", version_cold, "version")
    row(f"noskhe --version, warm (median of {args.runs})", version_warm, "version")
    row("main window shown (offscreen), cold", window_cold, "window")
    row(f"main window shown (offscreen), warm (median of {args.runs})", window_warm, "window")
    print("ratio = now / goal: at most 1 meets the goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
