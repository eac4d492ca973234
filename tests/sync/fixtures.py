"""Fixtures shared by tests/sync, tests/exchange and tests/e2e (imported into their conftest files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exchange import devworld
from tests.sync import harness


@pytest.fixture(scope="session")
def tokens(tmp_path_factory: pytest.TempPathFactory):
    from smartcard import devtoken

    if not shutil.which("softhsm2-util"):
        pytest.skip("SoftHSM2 is not installed (apt install softhsm2)")
    return devtoken.init(tmp_path_factory.mktemp("world") / "tokens", devworld.IDENTITIES)


@pytest.fixture
def exchange(tmp_path: Path, tokens):
    ex = harness.ThreadExchange(tmp_path / "exchange", tokens.trust_list)
    yield ex
    ex.stop()


@pytest.fixture
def clinic_ws(tmp_path: Path, tokens, exchange):
    """The TEST clinic's workstation: its store, PKCS#12 signers asked through a FixedPrompter, the
    exchange's address."""
    ws = harness.new_workstation(tmp_path / "clinic", devworld.CLINIC, tokens, exchange.url)
    yield ws
    ws.close()


@pytest.fixture
def clinic(clinic_ws):
    return clinic_ws.store


@pytest.fixture
def clinic_signers(clinic_ws):
    return clinic_ws.signers()


@pytest.fixture
def clinic_client(clinic_ws):
    return clinic_ws.client
