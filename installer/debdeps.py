"""The Debian packages a frozen build needs from the system, read from its files.

    python3 installer/debdeps.py DIR [--extra PKG ...]    # prints the Depends line, e.g. "libc6 (>= 2.35), …"

Reads every ELF file under DIR (`readelf -d`: the libraries it needs; `readelf -V`: the glibc symbol versions
it uses), leaves out the libraries DIR carries itself, finds each remaining one on this machine
(`ldconfig -p`) and the package that installed it (`dpkg -S`). glibc's version becomes `libc6 (>= 2.N)`.

Exits 1 naming every library that is not on this machine or belongs to no package: the build machine must
have the program's run-time libraries installed (they are the package's dependencies), so a missing one is
found at build time, not on a clinic's computer. Needs binutils (readelf) and dpkg; PyInstaller needs
binutils anyway.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
GLIBC = re.compile(r"Name: GLIBC_(\d+(?:\.\d+)+)")


def elf_files(root: Path) -> list[Path]:
    """Regular ELF files under `root` (symlinks skipped: their targets are in the list)."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as fh:
                if fh.read(4) == ELF_MAGIC:
                    found.append(path)
    return found


def readelf(option: str, path: Path) -> str:
    return subprocess.run(
        ["readelf", option, "-W", str(path)], capture_output=True, text=True, check=False
    ).stdout


def system_libraries() -> dict[str, str]:
    """soname → path, for the machine's native architecture, from the dynamic linker's cache."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    libs: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and "x86-64" in m.group(2) and m.group(1) not in libs:
            libs[m.group(1)] = m.group(3)
    return libs


def package_of(path: str) -> str | None:
    """The Debian package that installed the library at `path` (usrmerge-proof), or None."""
    name = Path(path).name
    out = subprocess.run(["dpkg", "-S", f"*/{name}"], capture_output=True, text=True, check=False).stdout
    real = Path(path).resolve()
    candidates = []
    for line in out.splitlines():
        pkgs, _, owned = line.partition(": ")
        if Path(owned).name != name:
            continue
        for pkg in pkgs.split(", "):
            if ":" in pkg and not pkg.endswith((":amd64", ":all")):
                continue
            candidates.append((Path(owned).resolve() == real, pkg.split(":")[0]))
    candidates.sort(reverse=True)
    return candidates[0][1] if candidates else None


def depends(root: Path, extra: list[str]) -> tuple[list[str], list[str]]:
    """(the Depends entries, the problems). The entries are sorted, libc6 versioned, `extra` appended."""
    files = elf_files(root)
    carried = {p.name for p in root.rglob("*")}
    needed: dict[str, str] = {}
    glibc = (2, 0)
    for f in files:
        for soname in NEEDED.findall(readelf("-d", f)):
            if soname not in carried:
                needed.setdefault(soname, str(f.relative_to(root)))
        for version in GLIBC.findall(readelf("-V", f)):
            glibc = max(glibc, tuple(int(x) for x in version.split(".")))
    libs = system_libraries()
    packages: set[str] = set()
    problems = []
    for soname, user in sorted(needed.items()):
        if soname.startswith("ld-linux"):
            packages.add("libc6")
            continue
        path = libs.get(soname)
        pkg = package_of(path) if path else None
        if pkg is None:
            where = "not on this machine" if path is None else f"{path} belongs to no package"
            problems.append(f"{soname} (needed by {user}): {where}")
        else:
            packages.add(pkg)
    entries = [f"libc6 (>= {'.'.join(map(str, glibc))})" if p == "libc6" else p for p in sorted(packages)]
    return entries + [e for e in extra if e not in packages], problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="the frozen build's folder")
    ap.add_argument("--extra", nargs="*", default=[], help="packages to depend on besides the libraries'")
    args = ap.parse_args()
    entries, problems = depends(args.root, args.extra)
    if problems:
        print("libraries the build needs from the system but cannot be found here:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        print(
            "install the run-time libraries listed in installer/README.md, then build again", file=sys.stderr
        )
        return 1
    print(", ".join(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
