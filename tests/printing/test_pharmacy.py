"""`printing.pharmacy`: reading a paper prescription back (scan, verify, keep) and printing receipts, through a
workstation as the CLI, the desktop and the demo use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import ConfigError, NoskheError
from app.prompter import FixedPrompter
from app.workstation import Workstation
from printing.paper import paper_payload
from printing.payload import PaperPayloadError, PaperSignatureError
from printing.pharmacy import import_paper, print_receipt, read_paper, read_qr_image, verify_first
from tests.conftest import PASSPHRASE
from tests.printing.conftest import Pki, need, sample_dispensing, sample_prescription


@pytest.fixture
def ws(store, pki: Pki, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    pki.trust.save(store)
    return Workstation(store, FixedPrompter(passphrases={"store": PASSPHRASE}))


def test_the_first_text_that_verifies_wins_else_the_first_error(pki: Pki) -> None:
    rx = sample_prescription()
    good = paper_payload(rx, pki.signer("paper-gp-ec"))
    rogue = paper_payload(rx, pki.rogue_signer())
    assert verify_first(["not a QR", good], pki.trust).fields.prescription_id == rx.id
    with pytest.raises(PaperPayloadError):
        verify_first(["not a QR", rogue], pki.trust)
    with pytest.raises(PaperSignatureError):
        verify_first([rogue, "not a QR"], pki.trust)
    with pytest.raises(NoskheError, match="No QR text"):
        verify_first([], pki.trust)


def test_read_then_import_a_paper_keeps_it_once(ws: Workstation, pki: Pki) -> None:
    rx = sample_prescription()
    text = paper_payload(rx, pki.signer("paper-gp-ec"))
    read = read_paper(ws, [f"  {text}\n"])  # as a scanner types it
    assert read.id == rx.id and [i.drug_code for i in read.items] == [i.drug_code for i in rx.items]
    assert ws.store.find_prescriptions() == []  # reading writes nothing
    first = import_paper(ws, [text])
    assert not first.already_kept and first.prescription.id == rx.id
    second = import_paper(ws, [text])
    assert second.already_kept and len(ws.store.find_prescriptions()) == 1


def test_a_receipt_is_printed_from_the_workstation(ws: Workstation, tmp_path: Path) -> None:
    rx = sample_prescription()
    ws.store.save_prescription(rx)
    d = sample_dispensing(rx)
    ws.store.save_dispensing(d)
    printed = print_receipt(ws, d.id, tmp_path / "roll.pdf", roll=True)
    assert printed.reference == d.id and printed.reference_pending and printed.pages == 1
    assert (tmp_path / "roll.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_scan_without_a_qr_or_without_a_file_is_refused_in_words(tmp_path: Path) -> None:
    need("zbarimg")
    from PIL import Image

    with pytest.raises(ConfigError, match="No image"):
        read_qr_image(tmp_path / "missing.png")
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    with pytest.raises(NoskheError, match="No QR code could be read"):
        read_qr_image(blank)
