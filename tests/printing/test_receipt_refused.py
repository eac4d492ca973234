"""A dispensing the exchange refused (a conflict: another pharmacy was first, or rejected) handed nothing
over under it: no receipt is printed for it — not by `noskhe receipt print`, not by the desktop's buttons."""

import dataclasses
from pathlib import Path

import pytest

from app.errors import NoskheError
from printing.paper import print_receipt
from tests.printing.test_cli import env, run, saved  # noqa: F401  (fixtures)


@pytest.mark.parametrize("state", ["conflict", "rejected"])
def test_no_receipt_for_a_refused_dispensing(saved, store, data_dir: Path, tmp_path: Path, capsys, state) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, d = saved
    refused = dataclasses.replace(d, state=state)
    store.save_dispensing(refused)
    with pytest.raises(NoskheError) as caught:
        print_receipt(store, d.id, tmp_path / "x.pdf")
    assert caught.value.code == "receipt-refused" and not (tmp_path / "x.pdf").exists()
    assert run(data_dir, "receipt", "print", d.id, "-o", str(tmp_path / "cli.pdf")) != 0
    err = capsys.readouterr().err
    assert "refused" in err and not (tmp_path / "cli.pdf").exists()
