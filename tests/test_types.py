"""The type checker over the workstation's rooms: clean, and able to catch a wrong attribute at a seam."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("app", "sync", "smartcard", "printing", "ui")

pytest.importorskip("mypy")


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_type_checker_passes_on_the_rooms():
    r = _mypy()  # files and strictness from [tool.mypy] in pyproject.toml
    assert r.returncode == 0, r.stdout + r.stderr


def test_type_checker_catches_a_wrong_attribute_at_the_seams(tmp_path):
    probe = tmp_path / "probe_seams.py"
    probe.write_text(
        "from app.workstation import Workstation\n"
        "def use(ws: Workstation) -> None:\n"
        "    ws.store.get_prescriptionz('x')\n"
        "    ws.sync.rnu()\n"
        "    ws.user_signer().sing(b'')\n",
        encoding="utf-8",
    )
    r = _mypy("--ignore-missing-imports", "--check-untyped-defs", str(probe))
    assert r.returncode == 1, r.stdout
    for name in ("get_prescriptionz", "rnu", "sing"):
        assert re.search(rf'has no attribute "{name}"', r.stdout), r.stdout


SEAM = re.compile(r"\b(store|ws|workstation|session|token_session)\s*:\s*Any\b")


def test_no_any_for_the_store_the_workstation_or_a_token_session():
    found = []
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SEAM.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "typed as Any:\n" + "\n".join(found)
