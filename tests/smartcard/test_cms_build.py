"""The signers' own CMS assembly: the bytes pyHanko makes (RSA PKCS#1 v1.5 is deterministic, so equal
byte for byte; ECDSA and PSS equal but for the signature value), verified by us and by OpenSSL; and the
certificate checks: all of them once per login and trust list, validity and revocation every time."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import replace

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives.serialization import Encoding

from app.certificate_status import Verdict
from app.signing import SignatureRole as R
from smartcard import signing_checks
from smartcard.cms import sign_detached
from smartcard.errors import CertificateRefused
from smartcard.p12 import P12Signer
from smartcard.signer import TokenSigner, _TokenCmsSigner
from smartcard.status import CRL_ONLY
from smartcard.trustlist import TrustList

DOC = '{"resourceType":"Bundle","note":"نسخهٔ آزمایشی"}'.encode()
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _without_signature_value(der: bytes) -> bytes:
    info = asn1_cms.ContentInfo.load(der)
    info["content"]["signer_infos"][0]["signature"] = b"-"
    return info.dump(force=True)


@pytest.mark.parametrize(
    "label,role,pss,same_bytes",
    [
        ("noskhe-gp", R.PRESCRIBER, False, True),
        ("noskhe-gp", R.PRESCRIBER, True, False),
        ("noskhe-pharmacist", R.PHARMACIST, False, False),
    ],
)
def test_token_signatures_are_what_pyhanko_makes(session_of, trust, label, role, pss, same_bytes):
    signer = TokenSigner(session_of(label), role, trust, rsa_pss=pss, clock=lambda: NOW)
    ours = signer.sign(DOC).cms
    credential = signer._select(NOW)[0]
    theirs = sign_detached(_TokenCmsSigner(signer.session, credential, rsa_pss=pss), DOC, signing_time=NOW)
    if same_bytes:
        assert ours == theirs
    assert _without_signature_value(ours) == _without_signature_value(theirs)
    assert trust.verify(DOC, ours).signed_at == NOW


def test_key_file_signatures_verify_with_openssl(devtokens, trust, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    sig = P12Signer(devtokens.p12("noskhe-clinic"), "demo-clinic", trust).sign(DOC)
    assert trust.verify(DOC, sig.cms).role is R.FACILITY
    (tmp_path / "doc").write_bytes(DOC)
    (tmp_path / "doc.p7s").write_bytes(sig.cms)
    cas = tmp_path / "ca.pem"
    cas.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in trust.ca_certificates))
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "doc.p7s")]
    command += [
        "-content",
        str(tmp_path / "doc"),
        "-CAfile",
        str(cas),
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


class _CountingStatus:
    def __init__(self) -> None:
        self.asked, self.revoked = 0, False

    def status(self, cert, trust, now=None):
        self.asked += 1
        verdict = CRL_ONLY.status(cert, trust, now)
        return replace(verdict, verdict=Verdict.REVOKED, revoked_at=now) if self.revoked else verdict


def test_certificate_checks_once_per_login_and_trust_list(session_of, devtokens, trust, monkeypatch):
    full = []
    real = signing_checks.check_certificate
    monkeypatch.setattr(signing_checks, "check_certificate", lambda *a, **k: full.append(1) or real(*a, **k))
    status = _CountingStatus()
    signer = TokenSigner(session_of("noskhe-gp"), R.PRESCRIBER, trust, revocation=status)
    for _ in range(3):
        signer.sign(DOC)
    assert len(full) == 1 and status.asked == 3  # the chain once, revocation every time

    signer.trust = TrustList.from_file(devtokens.trust_list)  # a refreshed list (Workstation.forget_trust)
    signer.sign(DOC)
    assert len(full) == 2

    status.revoked = True  # revoked since: refused at once, by name, through the full checks
    with pytest.raises(CertificateRefused) as err:
        signer.sign(DOC)
    assert err.value.details["reason"] == "revoked" and len(full) == 3

    later = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # expired since: refused, by name
    status.revoked = False
    signer.clock = lambda: later
    with pytest.raises(CertificateRefused) as err:
        signer.sign(DOC)
    assert err.value.details["reason"] == "expired"
