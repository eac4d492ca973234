"""`noskhe dispense --paper …`: a pharmacy dispenses from a paper prescription's signed QR, offline.

The GP's prescription is written and printed (`noskhe rx print`, QR signed with the GP's key file) at a
clinic; a pharmacy configured with its pharmacist's and its seal's key files (`noskhe sync config`) dispenses
from the QR text, from standard input or from a scan of the page. The TEST identities are the demo world's
(`tests.sync.fixtures.tokens`: SoftHSM2 tokens and the same keys as PKCS#12 files).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.canonical import canonical_bytes
from app.cli import main
from app.signing import SignatureRole as R
from exchange import devworld
from printing.paper import PAYLOAD_BLOB
from tests.printing.conftest import need, render_png
from tests.sync import harness
from tests.sync.fixtures import tokens  # noqa: F401

PACK = "6260001234567891"


def run(capsys, data_dir: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), "--lang", "en", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def paper(tmp_path, tokens, monkeypatch, capsys):  # noqa: F811
    """A prescription written and signed at the clinic, printed with `noskhe rx print`: (rx, PDF, QR text)."""
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    monkeypatch.setenv("NOSKHE_KEY_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-gp"])
    clinic = tmp_path / "clinic"
    with harness.new_workstation(clinic, devworld.CLINIC, tokens) as ws:
        (rx,) = harness.write_many(ws, 1)
    pdf = tmp_path / "rx.pdf"
    code, _, err = run(
        capsys, clinic, "rx", "print", rx.id, "-o", str(pdf), "--p12", str(tokens.p12("noskhe-gp"))
    )
    assert code == 0, err
    from app.store import Store

    with Store.open(clinic, harness.PASSPHRASE) as s:
        text = s.get_blob(PAYLOAD_BLOB.format(id=rx.id, version=rx.version)).decode("ascii")
    return rx, pdf, text


@pytest.fixture
def pharmacy(tmp_path, tokens, monkeypatch, capsys) -> Path:  # noqa: F811
    """A pharmacy that has never been online: its trust list and its two key files, no exchange."""
    ph = tmp_path / "pharmacy"
    harness.new_store(ph, devworld.PHARMACY, tokens).close()
    code, _, err = run(
        capsys,
        ph,
        "sync",
        "config",
        "--user-p12",
        str(tokens.p12("noskhe-pharmacist")),
        "--facility-p12",
        str(tokens.p12("noskhe-pharmacy")),
    )
    assert code == 0, err
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-pharmacist"])
    monkeypatch.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-pharmacy"])
    return ph


def rows(ph: Path) -> dict[str, int]:
    from app.store import Store

    with Store.open(ph, harness.PASSPHRASE) as s:
        c = s.conn()
        return {
            t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("prescriptions", "dispensings", "outbox")
        }


def test_a_verified_paper_is_dispensed_signed_and_queued(paper, pharmacy, capsys, monkeypatch) -> None:
    from app.services.outbox import Outbox, chain_of
    from app.store import Store
    from smartcard.trustlist import TrustList

    rx, _, text = paper
    code, out, err = run(
        capsys, pharmacy, "dispense", "--paper", text, "--line", f"1:{rx.items[0].quantity}:{PACK}", "--json"
    )
    assert code == 0, err
    done = json.loads(out)
    assert done["prescription"] == rx.id and done["state"] == "queued" and done["lines"] == [1]
    assert done["source"].startswith("paper")
    with Store.open(pharmacy, harness.PASSPHRASE) as s:
        d = s.get_dispensing(done["dispensing"])
        assert d.state == "queued" and d.items[0].packs[0].authenticity_code == PACK
        sigs = {sig.role: sig for sig in s.dispensing_signatures(d.id)}
        assert set(sigs) == {R.PHARMACIST, R.FACILITY}
        trust = TrustList.load(s)
        for sig in sigs.values():
            trust.verify(canonical_bytes(d.document()), sig.cms)
        assert sigs[R.PHARMACIST].signer.pharmacist_licence == "98765"
        (item,) = Outbox(s).for_chain(chain_of(rx.id))
        assert (item.op, item.state, item.subject) == ("dispense", "pending", f"disp:{d.id}")
        kept = s.get_prescription(rx.id)
        assert kept.dispensed_lines == [1] and kept.hid is None  # written offline: HID pending on paper

    # the same paper again, from standard input: the kept copy is used, the line dispensed is refused
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))
    code, out, err = run(capsys, pharmacy, "dispense", "--paper", "-", "--line", "1")
    assert code == 1 and "already dispensed" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))
    no_label = ("--no-ttac-reason", "no label")
    code, out, err = run(capsys, pharmacy, "dispense", "--paper", "-", "--all", *no_label)
    assert code == 0, err
    assert "queued" in out and "verified offline" in out
    assert rows(pharmacy) == {"prescriptions": 1, "dispensings": 2, "outbox": 2}


def test_a_tampered_cut_or_foreign_paper_is_refused_and_nothing_written(paper, pharmacy, capsys) -> None:
    rx, _, text = paper
    i = len(text) // 2
    changed = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    before = rows(pharmacy)
    assert before == {"prescriptions": 0, "dispensings": 0, "outbox": 0}
    for bad in (changed, text[:-20], "not a prescription"):
        code, out, err = run(capsys, pharmacy, "dispense", "--paper", bad, "--all")
        assert code == 1 and out == ""
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "paper prescription" in err and "نسخه کاغذی" in err
    assert rows(pharmacy) == before
    code, _, err = run(capsys, pharmacy, "dispense", rx.id, "--paper", text, "--all")
    assert code == 1 and "not both" in err


def test_an_unknown_signer_is_refused(paper, pharmacy, capsys, pki) -> None:  # type: ignore[no-untyped-def]
    """A QR signed under a CA that only copies the trusted CA's name: refused, nothing written."""
    from printing.paper import paper_payload
    from tests.printing.conftest import sample_prescription

    forged = paper_payload(sample_prescription(), pki.rogue_signer())
    code, _, err = run(capsys, pharmacy, "dispense", "--paper", forged, "--all")
    assert code == 1 and "not accepted" in err and len(err.strip().splitlines()) == 1
    assert rows(pharmacy) == {"prescriptions": 0, "dispensings": 0, "outbox": 0}


def test_a_scanned_page_is_dispensed(paper, pharmacy, capsys) -> None:
    need("pdftoppm", "zbarimg")
    rx, pdf, _ = paper
    png = render_png(pdf)
    no_label = ("--no-ttac-reason", "no label")
    code, out, err = run(
        capsys, pharmacy, "dispense", "--paper-image", str(png), "--all", "--json", *no_label
    )
    assert code == 0, err
    done = json.loads(out)
    assert done["prescription"] == rx.id and done["state"] == "queued"
    assert done["lines"] == [it.line for it in rx.items]
    code, _, err = run(capsys, pharmacy, "dispense", "--paper-image", str(pdf.with_name("none.png")), "--all")
    assert code == 1 and "No image" in err
