"""The crash harness, short: SIGKILL at random points while a clinic saves, signs and drains against a real
exchange process; after each kill the store is whole, the audit chain verifies, nothing is lost and nothing
went twice (`bench/bench_crash.py`; the benchmark runs 1,000 cycles)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from tests.sync import harness


def test_kills_during_save_sign_and_drain_lose_nothing_and_duplicate_nothing(tmp_path) -> None:
    if not shutil.which("softhsm2-util"):
        pytest.skip("SoftHSM2 is not installed (apt install softhsm2)")
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "bench/bench_crash.py", "--cycles", "15", "--seed", "7", "--json", "--keep", str(tmp_path)],
        cwd=harness.ROOT, capture_output=True, text=True, timeout=170, check=False,
    )
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"cycles {figures['cycles']} / lost {figures['lost']} / duplicates {figures['duplicates']}")
    assert figures["cycles"] == 15 and figures["lost"] == 0 and figures["duplicates"] == 0
    assert figures["damaged"] == 0 and figures["audit_broken"] == 0
    assert figures["prescriptions"] > 0 and figures["prescriptions"] == figures["registered_at_exchange"]
    assert time.monotonic() - start < 120
