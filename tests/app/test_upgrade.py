"""Upgrades keep data: stores written by the previous release open with today's code, migrate to today's
schema and keep every prescription (each signed version), signature, dispensing, outbox row and audit row.

The stores under `tests/fixtures/store-v<N>/` were written by the release itself (see
`tests/fixtures/make_previous_store.py`, which also wrote their `manifest.json`: what is inside, read with
that release's SQL). Each test works on a copy in tmp; the fixture is never opened in place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.canonical import canonical_bytes
from app.domain import Prescription
from app.prompter import FixedPrompter
from app.signature_policy import DocumentKind, parties_of_dispensing, parties_of_prescription
from app.store.packing import unpack
from app.store.schema import LATEST
from app.workstation import Workstation

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASES = sorted(p for p in FIXTURES.glob("store-v*") if (p / "manifest.json").exists())
ROOT = Path(__file__).resolve().parents[2]


def _manifest(release: Path) -> dict[str, Any]:
    return json.loads((release / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(params=RELEASES, ids=[p.name for p in RELEASES])
def release(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of one release's fixture in tmp (the committed files stay as the release wrote them)."""
    for name in ("NOSKHE_TRUST_LIST", "NOSKHE_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    copy = tmp_path / request.param.name
    shutil.copytree(request.param, copy)
    return copy


def _open(release: Path, name: str) -> Workstation:
    passphrase = _manifest(release)["passphrase"]
    return Workstation.open(release / name, FixedPrompter(passphrases={"store": passphrase}))


def test_there_is_a_fixture_of_the_previous_release() -> None:
    assert RELEASES, "tests/fixtures/store-v*/ is missing: see tests/fixtures/make_previous_store.py"
    for release in RELEASES:
        m = _manifest(release)
        assert m["release_schema"] <= LATEST
        for name in m["stores"]:
            assert sorted(p.name for p in (release / name).iterdir()) == ["noskhe.db", "noskhe.key"]


@pytest.mark.parametrize("name", ["clinic", "pharmacy"])
def test_the_store_migrates_and_keeps_its_settings(release: Path, name: str) -> None:
    m = _manifest(release)["stores"][name]
    before = m["schema_version"]
    with _open(release, name) as ws:
        assert before < LATEST
        assert ws.store.schema_version() == LATEST
        assert (ws.role, ws.facility_siam) == (m["role"], m["facility"])
        assert ws.store.meta("exchange.url") == m["exchange_url"]
        assert ws.store.integrity_problems() == []
    with _open(release, name) as ws:  # the second opening finds nothing left to migrate
        assert ws.store.schema_version() == LATEST


def _kept_version(ws: Workstation, rx_id: str, version: int) -> dict[str, Any]:
    row = (
        ws.store.db.conn()
        .execute("SELECT document FROM prescription_versions WHERE id = ? AND version = ?", (rx_id, version))
        .fetchone()
    )
    assert row is not None, f"{rx_id} version {version} lost"
    doc: dict[str, Any] = unpack(row[0])
    return doc


@pytest.mark.parametrize("name", ["clinic", "pharmacy"])
def test_every_prescription_version_and_signature_is_kept_and_still_verifies(
    release: Path, name: str
) -> None:
    from smartcard.documents import verify_document
    from smartcard.trustlist import TrustList

    m = _manifest(release)["stores"][name]
    assert m["prescriptions"]
    with _open(release, name) as ws:
        trust = ws.trust
        assert trust.to_json() == TrustList.from_file(release / "trustlist.json").to_json()
        for rx_id, want in m["prescriptions"].items():
            rx = ws.store.prescriptions.get(rx_id)
            assert (rx.version, rx.state.value, rx.tracking_code, rx.hid) == (
                want["version"],
                want["state"],
                want["tracking_code"],
                want["hid"],
            )
            kept = [
                [v, s.role.value]
                for v in want["versions"]
                for s in ws.store.prescriptions.signatures_of(rx_id, v)
            ]
            assert sorted(kept) == sorted(want["signatures"])
            for version in want["versions"]:
                doc = _kept_version(ws, rx_id, version)
                if version == rx.version:  # today's code reads the document the release signed, byte for byte
                    assert canonical_bytes(rx.document()) == canonical_bytes(doc)
                sigs = ws.store.prescriptions.signatures_of(rx_id, version)
                results = verify_document(
                    doc, sigs, trust, DocumentKind.PRESCRIPTION, named=parties_of_prescription(rx)
                )
                assert len(results) == 2
            assert Prescription.from_dict(rx.to_dict()).document() == rx.document()


def test_every_dispensing_and_its_signatures_are_kept_and_still_verify(release: Path) -> None:
    from smartcard.documents import verify_document

    m = _manifest(release)["stores"]["pharmacy"]
    assert m["dispensings"]
    with _open(release, "pharmacy") as ws:
        for d_id, want in m["dispensings"].items():
            d = ws.store.dispensings.get(d_id)
            assert (d.prescription_id, d.state, d.tracking_code) == (
                want["prescription_id"],
                want["state"],
                want["tracking_code"],
            )
            sigs = ws.store.dispensings.signatures_of(d_id)
            assert sorted([1, s.role.value] for s in sigs) == sorted(want["signatures"])
            verify_document(
                d.document(), sigs, ws.trust, DocumentKind.DISPENSING, named=parties_of_dispensing(d)
            )


@pytest.mark.parametrize("name", ["clinic", "pharmacy"])
def test_every_outbox_row_is_kept_in_its_state_and_order(release: Path, name: str) -> None:
    m = _manifest(release)["stores"][name]
    with _open(release, name) as ws:
        box = ws.store.outbox
        assert {k: v for k, v in box.counts().items() if v} == m["outbox_states"]
        rows = {r.id: r for chain in {w["chain"] for w in m["outbox"]} for r in box.for_chain(chain)}
        assert len(rows) == len(m["outbox"])
        for want in m["outbox"]:
            row = rows[want["id"]]
            got = (
                row.seq,
                row.subject,
                row.op,
                row.version,
                str(row.state.value),
                row.idem_key,
                row.reason_code,
            )
            assert got == (
                want["seq"],
                want["subject"],
                want["op"],
                want["version"],
                want["state"],
                want["idem_key"],
                want["reason_code"],
            )
            assert isinstance(row.payload, dict) and row.payload  # old TEXT payloads still read
        # what is pending goes out next, in seq order per chain, as the release left it
        pending = [w["id"] for w in m["outbox"] if w["state"] == "pending"]
        heads = [r.id for r in box.heads(now=float("inf"), limit=100)]
        assert set(heads) <= set(pending) and heads


@pytest.mark.parametrize("name", ["clinic", "pharmacy"])
def test_every_audit_row_is_kept_and_the_chain_is_intact(release: Path, name: str) -> None:
    from app.services.admin import verify_audit

    audit = _manifest(release)["stores"][name]["audit"]
    with _open(release, name) as ws:
        c = ws.store.db.conn()
        assert c.execute("SELECT hash FROM audit_log WHERE seq = ?", (audit["last_seq"],)).fetchone() == (
            audit["head"],
        )
        (old,) = c.execute("SELECT COUNT(*) FROM audit_log WHERE seq <= ?", (audit["last_seq"],)).fetchone()
        assert old == audit["rows"]
        assert verify_audit(ws) >= audit["rows"]
        ws.store.prescriptions.find(limit=5)  # a new row chains onto the release's head
        assert verify_audit(ws) > audit["rows"]


def test_the_cli_lists_and_verifies_the_upgraded_store(release: Path) -> None:
    m = _manifest(release)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOSKHE_PASSPHRASE": m["passphrase"]}
    env.pop("NOSKHE_TRUST_LIST", None)
    for args, needle in (
        (["rx", "list"], m["roles"]["edited"]),
        (["audit", "verify"], ""),
    ):
        r = subprocess.run(
            [sys.executable, "-m", "app", "--data-dir", str(release / "clinic"), *args],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        assert needle in r.stdout
