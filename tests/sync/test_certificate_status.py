"""Certificate status (appendix task 7): OCSP when online — the reference exchange's responder on loopback,
real RFC 6960 answers signed by a delegated responder the TEST CA issued — and the trust list's CRL
offline; the verdict and its source with every verification (retrieval, paper, token verify); a revoked
certificate refuses signing and verification. Workstations are built as the CLI builds them (SQLCipher
stores, PKCS#12 signers)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.certificate_status import StatusSource, Verdict
from app.cli import main
from app.workstation import Workstation
from exchange import devworld
from printing.paper import paper_payload
from printing.payload import PaperSignatureError
from printing.pharmacy import import_paper, verify_paper
from smartcard import devtoken
from smartcard.errors import CertificateRefused
from smartcard.status import crl_status
from smartcard.trustlist import TrustList
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness

GOOD_OCSP = (Verdict.GOOD, StatusSource.OCSP)


@pytest.fixture
def pharmacy(tmp_path, tokens, exchange):
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    yield ws
    ws.close()


def _registered(clinic_ws: Workstation) -> tuple[str, str]:
    """One prescription signed, registered, and its paper QR signed: (tracking code, QR text)."""
    (rx,) = harness.write_many(clinic_ws, 1)
    report = clinic_ws.sync.drainer.drain()
    assert report.remaining == 0 and not report.rejected
    rx = clinic_ws.store.get_prescription(rx.id)
    return str(rx.tracking_code), paper_payload(rx, clinic_ws.user_signer())


def _crl_revoking(tokens, cert, path) -> TrustList:
    """The TEST trust list with a CRL that revokes `cert` (as a later refresh would bring)."""
    now = dt.datetime.now(dt.UTC)
    crl = devtoken.make_crl(tokens.ca_key, tokens.ca_cert, [cert], now)
    return TrustList((tokens.ca_cert,), (crl,), "with-revocation", now)


def test_online_every_signature_and_verification_asks_ocsp(
    clinic_ws: Workstation, pharmacy: Workstation, tokens
) -> None:
    gp = tokens.certificates["noskhe-gp"]
    st = clinic_ws.certificate_status.status(gp, clinic_ws.trust)
    assert (st.verdict, st.source) == GOOD_OCSP and st.at is not None and not st.note
    assert "certificate good — OCSP" in st.describe("en") and "گواهی معتبر — OCSP" in st.describe("fa")
    tracking, qr = _registered(clinic_ws)  # the signers asked OCSP about themselves before signing

    got = retrieve_prescriptions(pharmacy, key="tracking", value=tracking)
    (rx,) = got.prescriptions
    by_role = {role: (s.verdict, s.source) for role, s in got.certificates[rx.id].items()}
    assert by_role == {"prescriber": GOOD_OCSP, "facility": GOOD_OCSP}

    check = verify_paper(pharmacy, [qr])
    status = check.paper.result.certificate_status
    assert status is not None and (status.verdict, status.source) == GOOD_OCSP
    assert check.council is not None and check.council.answer.status == "active"
    assert check.council.source == "council"


def test_a_certificate_revoked_at_the_exchange_is_refused_online_before_any_crl_knows_it(
    clinic_ws: Workstation, pharmacy: Workstation, exchange, tokens, tmp_path
) -> None:
    gp = tokens.certificates["noskhe-gp"]
    tracking, qr = _registered(clinic_ws)
    (queued,) = harness.write_many(clinic_ws, 1)  # signed before the revocation, not sent yet
    exchange.revoke(gp)
    assert crl_status(gp, pharmacy.trust).verdict is Verdict.GOOD  # no CRL knows it

    got = retrieve_prescriptions(pharmacy, key="tracking", value=tracking)
    assert got.prescriptions == [] and "revoked" in got.refused[0]["en"] and "OCSP" in got.refused[0]["en"]
    with pytest.raises(PaperSignatureError) as paper:
        verify_paper(pharmacy, [qr])
    assert paper.value.details["reason"] == "revoked" and "OCSP" in paper.value.en

    clinic_ws.certificate_status.forget()  # the good answer remembered for a minute: ask again now
    with pytest.raises(CertificateRefused) as signing:
        clinic_ws.user_signer().sign(b"a new prescription")
    assert signing.value.details == {"reason": "revoked", "source": "ocsp"}

    report = clinic_ws.sync.drainer.drain()  # the exchange refuses what the revoked certificate signed
    assert report.rejected == 1
    (row,) = [r for r in clinic_ws.store.outbox.for_chain(f"rx:{queued.id}") if r.op == "register"]
    assert row.reason_code == "signature-revoked"


def test_offline_the_crl_decides_and_names_itself(
    clinic_ws: Workstation, pharmacy: Workstation, exchange, tokens, tmp_path
) -> None:
    gp = tokens.certificates["noskhe-gp"]
    _, qr = _registered(clinic_ws)
    exchange.revoke(gp)
    exchange.faults(outage=True)

    check = verify_paper(pharmacy, [qr])  # the CRL does not know: offline, it is good by the CRL
    status = check.paper.result.certificate_status
    assert status is not None and (status.verdict, status.source) == (Verdict.GOOD, StatusSource.CRL)
    assert "offline" in status.note and "certificate good — CRL" in status.describe("en")

    _crl_revoking(tokens, gp, tmp_path).save(pharmacy.store)  # a refreshed trust list revokes it
    pharmacy.forget_trust()
    with pytest.raises(PaperSignatureError) as paper:
        verify_paper(pharmacy, [qr])
    assert paper.value.details["reason"] == "revoked" and "CRL" in paper.value.en

    other = harness.new_workstation(tmp_path / "clinic-2", devworld.CLINIC, tokens, exchange.url)
    try:
        _crl_revoking(tokens, gp, tmp_path).save(other.store)
        other.forget_trust()
        with pytest.raises(CertificateRefused) as signing:
            other.user_signer().sign(b"offline, the CRL decides")
        assert signing.value.details == {"reason": "revoked", "source": "crl"}
    finally:
        other.close()


def test_the_verdicts_on_the_command_line(
    clinic_ws: Workstation, pharmacy: Workstation, exchange, tokens, capsys, monkeypatch, tmp_path
) -> None:
    tracking, qr = _registered(clinic_ws)
    sig = clinic_ws.user_signer().sign(b"a file")
    (tmp_path / "doc").write_bytes(b"a file")
    (tmp_path / "doc.p7s").write_bytes(sig.cms)
    data_dir = str(pharmacy.store.data_dir)
    pharmacy.close()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-pharmacist"])
    monkeypatch.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-pharmacy"])

    def run(*argv: str) -> tuple[int, str]:
        code = main(["--data-dir", data_dir, "--lang", "en", *argv])
        out = capsys.readouterr()
        return code, out.out + out.err

    code, out = run("paper", "verify", qr)
    assert code == 0 and "certificate good — OCSP" in out and "council 123456: active" in out
    code, out = run("paper", "verify", qr, "--json")
    doc = json.loads(out)
    assert doc["certificate_status"]["source"] == "ocsp" and doc["council"]["status"] == "active"
    code, out = run("token", "verify", str(tmp_path / "doc"), str(tmp_path / "doc.p7s"))
    assert code == 0 and "certificate status: certificate good — OCSP" in out
    code, out = run("rx", "retrieve", "--tracking", tracking, "--no-patient-check", "certificates only")
    assert code == 0 and "prescriber: certificate good — OCSP" in out and "facility: certificate good" in out

    exchange.faults(outage=True)
    code, out = run("rx", "import-paper", qr)
    assert code == 0 and "certificate good — CRL" in out and "OCSP not used" in out
    assert "council 123456: active" in out and "kept answer" in out  # the council's answer from before
    code, out = run("token", "verify", str(tmp_path / "doc"), str(tmp_path / "doc.p7s"), "--json")
    assert json.loads(out)["certificate_status"]["source"] == "crl"

    exchange.faults(outage=False)
    exchange.revoke(tokens.certificates["noskhe-gp"])
    code, out = run("paper", "verify", qr)
    assert code == 1 and "revoked" in out and "OCSP" in out


def test_import_paper_carries_the_verdict_and_the_licence(
    clinic_ws: Workstation, pharmacy: Workstation
) -> None:
    _, qr = _registered(clinic_ws)
    kept = import_paper(pharmacy, [qr])
    assert kept.certificate_status is not None and kept.certificate_status.source is StatusSource.OCSP
    assert kept.council is not None and kept.council.answer.number == devworld.GP.medical_council_number


def test_a_new_exchange_address_moves_the_ocsp_responder_for_the_open_signers(clinic_ws: Workstation) -> None:
    checker = clinic_ws.certificate_status
    clinic_ws.store.set_meta("exchange.url", "http://127.0.0.1:9/")
    clinic_ws.forget_exchange()
    assert clinic_ws.certificate_status is checker
    assert checker.transport is not None and checker.transport.url == "http://127.0.0.1:9/ocsp"  # type: ignore[attr-defined]
