"""End-to-end fixtures: a real exchange process on loopback, clinic stores written on SoftHSM2 tokens."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync import harness
from tests.sync.fixtures import tokens  # noqa: F401


def _written(tmp_path_factory, tokens, n: int) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp(f"written-{n}") / "clinic"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.e2e.writer",
            "--store",
            str(path),
            "--trust-list",
            str(tokens.trust_list),
            "--n",
            str(n),
        ],
        check=False,
        env=harness.cli_env(tokens),
        capture_output=True,
        text=True,
        cwd=harness.ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["n"] == n
    return path


@pytest.fixture(scope="session")
def written_1000(tmp_path_factory, tokens):  # noqa: F811
    """A clinic store holding 1,000 prescriptions signed on the GP's and the clinic's tokens, all queued."""
    return _written(tmp_path_factory, tokens, 1000)


@pytest.fixture(scope="session")
def written_200(tmp_path_factory, tokens):  # noqa: F811
    return _written(tmp_path_factory, tokens, 200)


@pytest.fixture
def copy_of(tmp_path):
    def copy(template: Path) -> Path:
        target = tmp_path / "clinic"
        shutil.copytree(template, target)
        return target

    return copy


@pytest.fixture
def exchange_process(tmp_path, tokens):  # noqa: F811
    ex = harness.ProcessExchange(tmp_path / "exchange", tokens.trust_list)
    yield ex
    ex.stop()
