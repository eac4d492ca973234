"""The trust list: its file formats, its place in the store, and when it is stale."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from smartcard import devtoken
from smartcard.errors import TrustListError
from smartcard.trustlist import BLOB_NAME, TrustList

NOW = dt.datetime.now(dt.UTC)


class MemoryBlobs:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put_blob(self, name: str, data: bytes) -> None:
        self.blobs[name] = data

    def get_blob(self, name: str) -> bytes | None:
        return self.blobs.get(name)


def test_json_round_trip(trust):
    again = TrustList.from_json(trust.to_json())
    assert again == trust
    doc = json.loads(trust.to_json())
    assert doc["format"] == "noskhe-trust-list/1" and doc["ca_certificates"][0].startswith(
        "-----BEGIN CERTIFICATE"
    )


def test_saved_and_loaded_through_blobs(trust):
    blobs = MemoryBlobs()
    assert TrustList.load(blobs) is None
    trust.save(blobs)
    assert set(blobs.blobs) == {BLOB_NAME} and TrustList.load(blobs) == trust


def test_saved_in_the_real_store(trust, tmp_path):
    from app.store import Store

    store = Store.create(
        tmp_path / "ws",
        "pass phrase",
        role="clinic",
        facility="12345678",
        kdf_log2_n=12,
        seed_reference_data=False,
    )
    try:
        trust.save(store)
    finally:
        store.close()
    store = Store.open(tmp_path / "ws", "pass phrase")
    try:
        assert TrustList.load(store) == trust
    finally:
        store.close()


def test_directory_format(devtokens, trust, tmp_path):
    (tmp_path / "ca.pem").write_bytes(devtokens.ca_pem.read_bytes())
    (tmp_path / "ca.crl").write_bytes(trust.crls[0].public_bytes(Encoding.DER))
    (tmp_path / "VERSION").write_text("2026.1\n")
    loaded = TrustList.from_file(tmp_path)
    assert (
        loaded.version == "2026.1"
        and loaded.ca_certificates == trust.ca_certificates
        and loaded.crls == trust.crls
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{}",
        b'{"format": "other"}',
        b"[1]",
        b'{"format": "noskhe-trust-list/1", "version": "1", "fetched_at": "x", "ca_certificates": []}',
    ],
)
def test_malformed_files_are_clear_errors(tmp_path, content):
    path = tmp_path / "t.json"
    path.write_bytes(content)
    with pytest.raises(TrustListError):
        TrustList.from_file(path)
    with pytest.raises(TrustListError, match="Cannot read"):
        TrustList.from_file(tmp_path / "missing.json")


def test_crl_must_come_from_a_listed_ca(trust):
    key, ca = devtoken.make_ca("Noskhe TEST stranger CA", NOW)
    foreign = devtoken.make_crl(key, ca, [], NOW)
    with pytest.raises(TrustListError, match="not signed by a CA"):
        TrustList(trust.ca_certificates, (foreign,), "v", NOW)


def test_stale_by_age_and_by_crl(trust, devtokens):
    assert not trust.is_stale(NOW)
    assert trust.is_stale(NOW + dt.timedelta(days=8))
    assert not trust.is_stale(NOW + dt.timedelta(days=8), max_age=dt.timedelta(days=10))
    crl = devtoken.make_crl(
        devtokens.ca_key, devtokens.ca_cert, [], NOW - dt.timedelta(days=40)
    )  # next update passed
    old = TrustList(trust.ca_certificates, (crl,), "v", NOW)
    assert old.is_stale(NOW)


def test_verification_reports_a_stale_list(devtokens, trust):
    from smartcard.p12 import P12Signer

    sig = P12Signer(devtokens.p12("noskhe-pharmacy"), "demo-pharmacy", trust).sign(b"doc")
    old = TrustList(trust.ca_certificates, trust.crls, trust.version, NOW - dt.timedelta(days=30))
    result = old.verify(b"doc", sig.cms)
    assert result.trust_list_stale and result.signer.siam_id == "22334455"
