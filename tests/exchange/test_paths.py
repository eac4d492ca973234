"""Relative paths are made absolute before a child process starts in another folder (`noskhe demo --out`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.demo import output_dir
from exchange.process import ExchangeProcess


def test_a_relative_out_and_exchange_data_are_made_absolute_in_the_callers_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = output_dir(Path("demo-out"))
    assert out.is_absolute() and out == tmp_path / "demo-out" and out.is_dir()
    ex = ExchangeProcess(Path("demo-out/workspace/exchange"), Path("tokens/trustlist.json"))
    assert ex.data == tmp_path / "demo-out" / "workspace" / "exchange"
    assert ex.trust_list == tmp_path / "tokens" / "trustlist.json"
