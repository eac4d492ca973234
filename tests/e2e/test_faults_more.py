"""Faults a tester found after issue 13's fixes: slow request bodies at the exchange, disk full while
prescribing, a revocation learned through OCSP kept offline, reference data fetched before the first sync,
and the smaller messages and file modes (issue 15)."""

from __future__ import annotations

import socket
import time
import urllib.parse

import pytest

from exchange.wsgi import BODY_IDLE
from tests.e2e.test_abuse import _fill, small_disk  # noqa: F401
from tests.sync import harness
from tests.e2e.conftest import exchange_process  # noqa: F401
from tests.sync.fixtures import clinic_ws, exchange, tokens  # noqa: F401


def _slow_post(url: str) -> socket.socket:
    """A POST that declares 100 bytes of body and sends one."""
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=BODY_IDLE + 10)
    s.sendall(
        b"POST /prescriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n"
        b"Content-Type: application/fhir+json\r\nContent-Length: 100\r\n\r\n{"
    )
    return s


def _status(s: socket.socket) -> int | None:
    got = b""
    while b"\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/") else None


def _metadata_seconds(url: str) -> float:
    u = urllib.parse.urlsplit(url)
    start = time.monotonic()
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(b"GET /metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _status(s) == 200
    return time.monotonic() - start


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tokens):  # noqa: F811
    ex = harness.ProcessExchange(
        tmp_path_factory.mktemp("slow") / "exchange", tokens.trust_list, extra=("--workers", "2")
    ).start()
    yield ex
    ex.stop()


def test_slow_bodies_do_not_stall_the_exchange_and_are_answered_408(served) -> None:
    slow = [_slow_post(served.url) for _ in range(8)]
    try:
        time.sleep(0.5)
        for _ in range(3):
            assert _metadata_seconds(served.url) < 2.0
        start = time.monotonic()
        assert [_status(s) for s in slow] == [408] * 8
        assert time.monotonic() - start < BODY_IDLE + 5
    finally:
        for s in slow:
            s.close()
    assert _metadata_seconds(served.url) < 2.0


def test_the_in_process_server_times_a_slow_body_out_too(exchange) -> None:  # noqa: F811
    s = _slow_post(exchange.url)
    try:
        start = time.monotonic()
        assert _status(s) == 408
        assert time.monotonic() - start < BODY_IDLE + 5
    finally:
        s.close()


# ---- disk full while prescribing --------------------------------------------------------------------


def _drafts(data) -> set[str]:
    from app.store import Store

    with Store.open(data, harness.PASSPHRASE) as store:
        return {r[0] for r in store.conn().execute("SELECT id FROM prescriptions WHERE state = 'draft'")}


def test_disk_full_while_prescribing_is_one_line_and_says_whether_a_draft_was_kept(
    tokens, small_disk  # noqa: F811
) -> None:
    data = small_disk / "clinic"
    env = harness.cli_env(tokens, NOSKHE_DATA_DIR=str(data), NOSKHE_PIN="111111", NOSKHE_FACILITY_PIN="333333")
    for argv in (
        ("init", "--role", "clinic", "--facility", "10000001", "--facility-name", "درمانگاه"),
        ("token", "trust", "import", str(tokens.trust_list)),
        ("sync", "config", "--exchange", "http://127.0.0.1:9", "--user-token", "noskhe-gp",
         "--facility-token", "noskhe-clinic"),
    ):
        assert harness.noskhe(env, *argv).returncode == 0, argv
    patient = harness.patients(1)[0]
    create = ("rx", "create", "--patient", patient.id.value, "--first-name", patient.first_name,
              "--last-name", patient.last_name, "--item", "101002:5:x", "--notes", "y" * 1500)
    failed = 0
    for leave in range(96 << 10, 720 << 10, 48 << 10):
        (small_disk / "filler").unlink(missing_ok=True)
        before = _drafts(data)
        _fill(small_disk, leave)
        done = harness.noskhe(env, *create)
        lines = done.stderr.strip().splitlines()
        assert done.returncode in (0, 1), (leave, done.stderr[-3000:])
        (small_disk / "filler").unlink()
        after = _drafts(data)
        if done.returncode == 0:
            assert lines == [] or all("Traceback" not in x for x in lines), lines
            continue
        failed += 1
        assert len(lines) == 1 and "Disk full: free space in" in lines[0], (leave, lines)
        kept = after - before
        if kept:
            (draft,) = kept
            assert f"The draft {draft} was kept" in lines[0] and "nothing was saved" not in lines[0], lines
            assert draft in harness.noskhe(env, "rx", "list").stdout
        else:
            assert "nothing was saved half-way" in lines[0], lines
    assert failed, "the disk never filled up"


# ---- a revocation learned through OCSP is kept -----------------------------------------------------


@pytest.fixture
def pharmacy(tmp_path, tokens, exchange):  # noqa: F811
    from exchange import devworld

    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    yield ws
    ws.close()


def test_a_revocation_ocsp_said_is_kept_and_refuses_offline_too(
    clinic_ws, pharmacy, exchange, tokens  # noqa: F811
) -> None:
    from printing.paper import paper_payload
    from printing.payload import PaperSignatureError
    from printing.pharmacy import verify_paper
    from smartcard.status import crl_status
    from sync.status import mark_offline

    gp = tokens.certificates["noskhe-gp"]
    (rx,) = harness.write_many(clinic_ws, 1)
    assert clinic_ws.sync.drainer.drain().remaining == 0
    qr = paper_payload(clinic_ws.store.get_prescription(rx.id), clinic_ws.user_signer())
    exchange.revoke(gp)
    with pytest.raises(PaperSignatureError) as online:
        verify_paper(pharmacy, [qr])
    assert "OCSP" in online.value.en

    exchange.stop()  # the exchange (and its responder) unreachable; no CRL lists the revocation
    mark_offline(pharmacy.store, "test")
    assert crl_status(gp, pharmacy.trust).verdict.value == "good"
    pharmacy._status = None  # as a new process would: only what the store kept
    st = pharmacy.certificate_status.status(gp, pharmacy.trust)
    assert st.revoked and st.source.value == "ocsp" and st.kept and st.at is not None
    assert "revoked" in st.describe("en") and "OCSP" in st.describe("en") and "kept" in st.describe("en")
    with pytest.raises(PaperSignatureError) as offline:
        verify_paper(pharmacy, [qr])
    assert offline.value.details["reason"] == "revoked" and "OCSP" in offline.value.en


# ---- reference data before the first sync ---------------------------------------------------------


def test_reference_data_is_fetched_before_the_first_send_and_status_warns_when_never_fetched(
    tmp_path, tokens, exchange_process  # noqa: F811
) -> None:
    import json
    import sqlite3
    from pathlib import Path

    from exchange import devworld, seed
    from sync.fhir.common import resources
    from tests.e2e.test_visits import _ok, _site

    ex = exchange_process.start()
    clinic = _site(tmp_path, tokens, ex.url, devworld.CLINIC)  # init, trust import, sync config: no refresh
    status = _ok(harness.noskhe(clinic, "sync", "status"))
    assert "reference data never fetched" in status and "noskhe sync refresh" in status
    person = seed.demo_patients(1)[0]["value"]
    rx = json.loads(_ok(harness.noskhe(
        clinic, "rx", "create", "--patient", person, "--first-name", "مریم", "--last-name", "احمدی",
        "--item", "101002:21:x", "--json")))  # fmt: skip
    assert json.loads(_ok(harness.noskhe(clinic, "sync", "run", "--json")))["done"] >= 1
    with sqlite3.connect(str(Path(ex.data) / "exchange.db"), timeout=30) as c:
        (body,) = c.execute("SELECT bundle FROM prescriptions WHERE client_id = ?", (rx["id"],)).fetchone()
    (mr,) = resources(json.loads(body), "MedicationRequest")
    assert "urn:ir:moxa:drug" in [x["system"] for x in mr["medicationCodeableConcept"]["coding"]]
    status = _ok(harness.noskhe(clinic, "sync", "status"))
    assert "never fetched" not in status and "catalog: —" not in status


# ---- smaller messages ----------------------------------------------------------------------------


def test_council_offline_says_it_shows_the_kept_answer(clinic_ws, exchange) -> None:  # noqa: F811
    from app.errors import NoskheError
    from app.services.council import council_status

    with pytest.raises(NoskheError) as none_kept:
        council_status(clinic_ws, "123456", online=False)
    assert "is kept" in none_kept.value.en and "cannot be asked" not in none_kept.value.en
    council_status(clinic_ws, "555555")
    line = council_status(clinic_ws, "555555", online=False).describe("en")
    assert "kept answer" in line and "not asked now, offline use" in line and "cannot be asked" not in line


def test_a_file_written_in_a_missing_folder_is_named_not_its_temp_file(tmp_path) -> None:
    from app.store.files import write_atomic

    for target in (tmp_path / "nope" / "r1.pdf", tmp_path / ("x" * 10_000 + ".pdf")):
        with pytest.raises(OSError) as err:
            write_atomic(target, b"%PDF")
        assert err.value.filename == str(target) and ".tmp" not in str(err.value)


def test_an_exchange_address_error_masks_its_password_and_names_the_variable(
    clinic_ws, monkeypatch  # noqa: F811
) -> None:
    from app.errors import ConfigError
    from app.workstation import check_exchange_url

    with pytest.raises(ConfigError) as err:
        check_exchange_url("http://user:s3cr3t@exchange.example:8443")
    assert "s3cr3t" not in str(err.value) and "***" in err.value.en
    monkeypatch.setenv("NOSKHE_EXCHANGE_URL", "' OR 1=1 --")
    with pytest.raises(ConfigError) as env:
        clinic_ws.exchange_url  # noqa: B018
    assert "NOSKHE_EXCHANGE_URL" in env.value.en and "sync config" not in env.value.en


def test_keys_stores_and_locks_are_the_owners_only(tokens, exchange, clinic_ws) -> None:  # noqa: F811
    import stat

    def mode(p) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    d = tokens.directory
    assert mode(d / "ca-key.pem") == 0o600 and mode(d / "tokens") == 0o700
    assert {mode(p) for p in d.glob("*.p12")} == {0o600}
    assert mode(exchange.data / "exchange.db") == 0o600
    harness.write_many(clinic_ws, 1)
    clinic_ws.sync.drainer.drain()
    assert mode(clinic_ws.store.data_dir / "sync.lock") == 0o600


def test_rx_create_says_when_eligibility_replaced_the_insurer_given(
    tmp_path, tokens, exchange_process  # noqa: F811
) -> None:
    from exchange import devworld, seed
    from tests.e2e.test_visits import _ok, _site

    clinic = _site(tmp_path, tokens, exchange_process.start().url, devworld.CLINIC)
    person = seed.demo_patients(1)[0]  # insured under IHIO-RUR at the exchange
    out = _ok(harness.noskhe(
        clinic, "rx", "create", "--patient", person["value"], "--first-name", "مریم", "--last-name", "احمدی",
        "--insurer", "SSO", "--item", "101002:5:x"))  # fmt: skip
    assert "plan IHIO-RUR" in out
    (line,) = [x for x in out.splitlines() if "replaced" in x]
    assert "SSO" in line and "IHIO-RUR" in line and "eligibility" in line
