"""Signatures are kept without the signer certificate each of them embeds: the certificate once, in `blobs`;
a signature read back is the very bytes signed, and rows kept whole before are read as they were."""

from __future__ import annotations

import pytest

from app.signing import SignatureRole
from app.store.packing import CMS_MARKER, join_cms, split_cms
from smartcard import devtoken
from smartcard.devtoken import DevIdentity, national_code
from smartcard.p12 import P12Signer
from smartcard.trustlist import TrustList
from tests.conftest import make_prescription


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    ident = DevIdentity(
        "storage-gp", SignatureRole.PRESCRIBER, "دکتر آزمایشی", "Physician", "MC-123456",
        national_code("001234567"), key_type="ec", on_token=False, p12_passphrase="pw",
    )
    tokens = devtoken.init(tmp_path_factory.mktemp("tokens"), (ident,))
    trust = TrustList.from_file(tokens.trust_list)
    return P12Signer(tokens.p12("storage-gp"), "pw", trust, role=SignatureRole.PRESCRIBER), trust


def test_a_signature_reads_back_as_signed_and_its_certificate_is_kept_once(store, signer) -> None:
    sign, trust = signer
    saved = []
    for _ in range(3):
        rx = make_prescription()
        sig = sign.sign(b"document")
        store.save_prescription(rx, [sig])
        saved.append((rx.id, sig.cms))
    for rx_id, cms in saved:
        (back,) = store.prescription_signatures(rx_id)
        assert back.cms == cms
        trust.verify(b"document", back.cms)
    kept = [bytes(r[0]) for r in store.conn().execute("SELECT cms FROM signatures").fetchall()]
    assert all(k[:2] == CMS_MARKER and len(k) < len(c) - 500 for k, (_, c) in zip(kept, saved))
    names = [r[0] for r in store.conn().execute("SELECT name FROM blobs WHERE name LIKE 'cert:%'").fetchall()]
    assert len(names) == 1


def test_signatures_kept_whole_still_read(store, signer) -> None:
    sign, _ = signer
    rx = make_prescription()
    sig = sign.sign(b"document")
    store.save_prescription(rx, [sig])
    store.conn().execute("UPDATE signatures SET cms = ? WHERE subject = ?", (sig.cms, rx.id))  # as before
    (back,) = store.prescription_signatures(rx.id)
    assert back.cms == sig.cms


def test_what_cannot_be_split_is_kept_as_it_is() -> None:
    assert split_cms(b"not a CMS") == (b"not a CMS", None)
    assert join_cms(b"\x30\x03abc", None) == b"\x30\x03abc"
    with pytest.raises(ValueError):
        join_cms(CMS_MARKER + bytes(36) + b"x", None)
