"""Certificates we must not sign with, and signatures we must not accept."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from app.signing import SignatureRole as R
from app.signing import SignerIdentity
from smartcard import devtoken
from smartcard.devtoken import DevIdentity, national_code
from smartcard.errors import CertificateRefused, KeyFileError, SignatureInvalid
from smartcard.identity import IdentityMapping, identity_from_certificate
from smartcard.p12 import P12Signer
from smartcard.signer import TokenSigner
from smartcard.trustlist import TrustList
from tests.smartcard.conftest import GP_CODE

NOW = dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    "label,reason",
    [
        ("expired", "expired"),
        ("not-yet-valid", "not-yet-valid"),
        ("revoked", "revoked"),
        ("untrusted", "untrusted"),
        ("encipher-only", "key-usage"),
    ],
)
def test_token_certificate_refused(session_of, trust, label, reason):
    signer = TokenSigner(session_of(label), R.PRESCRIBER, trust)
    with pytest.raises(CertificateRefused) as err:
        signer.sign(b"doc")
    assert err.value.details["reason"] == reason
    assert err.value.fa and err.value.en


def test_certificate_of_someone_else_is_refused(session_of, trust):
    session = session_of("noskhe-gp")
    other = SignerIdentity(name="", national_code=national_code("009876543"))
    with pytest.raises(CertificateRefused) as err:
        TokenSigner(session, R.PRESCRIBER, trust, expected=other).sign(b"doc")
    assert err.value.details["reason"] == "wrong-holder"
    other_doctor = SignerIdentity(name="", national_code=GP_CODE, medical_council_number="654321")
    with pytest.raises(CertificateRefused):
        TokenSigner(session, R.PRESCRIBER, trust, expected=other_doctor).sign(b"doc")
    me = SignerIdentity(name="", national_code=GP_CODE, medical_council_number="123456")
    assert TokenSigner(session, R.PRESCRIBER, trust, expected=me).sign(b"doc").signer.national_code == GP_CODE


def test_certificate_of_another_role_is_refused(session_of, trust):
    for role in (R.PHARMACIST, R.FACILITY):
        with pytest.raises(CertificateRefused) as err:
            TokenSigner(session_of("noskhe-gp"), role, trust).sign(b"doc")
        assert err.value.details["reason"] == "wrong-role"


def _p12(devtokens, tmp_path, ident: DevIdentity, passphrase: str = "pw") -> P12Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = devtoken.issue(ident, key, devtokens.ca_key, devtokens.ca_cert, NOW)
    path = tmp_path / f"{ident.label}.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"k", key, cert, None, serialization.BestAvailableEncryption(passphrase.encode())
        )
    )
    return path


def test_national_card_certificate_needs_the_holder(devtokens, trust, tmp_path):
    card = DevIdentity("card", R.PRESCRIBER, "آزمایشی سارا احمدی", None, None, GP_CODE, on_token=False)
    path = _p12(devtokens, tmp_path, card)
    with pytest.raises(CertificateRefused) as err:  # states no role: only the logged-in holder may use it
        P12Signer(path, "pw", trust, role=R.PRESCRIBER).sign(b"doc")
    assert err.value.details["reason"] == "wrong-holder"
    me = SignerIdentity(name="", national_code=GP_CODE)
    sig = P12Signer(path, "pw", trust, role=R.PRESCRIBER, expected=me).sign(b"doc")
    assert trust.verify(b"doc", sig.cms).role is None  # the certificate names no role
    with pytest.raises(CertificateRefused):
        P12Signer(path, "pw", trust, role=R.FACILITY, expected=me).sign(b"doc")


def test_wrong_facility_passphrase(devtokens, trust):
    with pytest.raises(KeyFileError, match="passphrase"):
        P12Signer(devtokens.p12("noskhe-clinic"), "not it", trust)
    with pytest.raises(KeyFileError):
        P12Signer(devtokens.directory / "missing.p12", "x", trust)


def test_identity_mapping_can_be_overridden(devtokens, tmp_path):
    ident = DevIdentity(
        "m", R.PHARMACIST, "آزمایشی داروساز", "داروساز", "LIC:777", national_code("003456789"), on_token=False
    )
    cert = devtoken.issue(
        ident, ec.generate_private_key(ec.SECP256R1()), devtokens.ca_key, devtokens.ca_cert, NOW
    )
    assert identity_from_certificate(cert).pharmacist_licence is None
    mapping = IdentityMapping.from_dict({"prefixes": {"LIC:": "pharmacist_licence"}})
    who = identity_from_certificate(cert, mapping)
    assert who.pharmacist_licence == "777" and who.role is R.PHARMACIST  # Persian title understood


def test_verification_refuses_untrusted_and_revoked(devtokens, trust, tmp_path):
    facility = P12Signer(devtokens.p12("noskhe-clinic"), "demo-clinic", trust)
    sig = facility.sign(b"doc")
    _, other_ca = devtoken.make_ca("Noskhe TEST someone else's CA", NOW)
    stranger = TrustList((other_ca,), (), "x", NOW)
    with pytest.raises(SignatureInvalid) as err:
        stranger.verify(b"doc", sig.cms)
    assert err.value.details["reason"] == "untrusted"
    crl = devtoken.make_crl(devtokens.ca_key, devtokens.ca_cert, [facility.certificate], NOW)
    revoked_now = TrustList(trust.ca_certificates, (crl,), "y", NOW)
    with pytest.raises(
        SignatureInvalid
    ) as err:  # revoked after signing still fails: signing time is only claimed
        revoked_now.verify(b"doc", sig.cms)
    assert err.value.details["reason"] == "revoked"
    with pytest.raises(CertificateRefused) as refused:
        P12Signer(devtokens.p12("noskhe-clinic"), "demo-clinic", revoked_now).sign(b"doc")
    assert refused.value.details["reason"] == "revoked"


def test_verification_refuses_future_and_garbage(devtokens, trust):
    later = P12Signer(
        devtokens.p12("noskhe-clinic"), "demo-clinic", trust, clock=lambda: NOW + dt.timedelta(days=1)
    )
    with pytest.raises(SignatureInvalid) as err:
        trust.verify(b"doc", later.sign(b"doc").cms)
    assert err.value.details["reason"] == "future-signing-time"
    for junk in (b"", b"not der", bytes(50)):
        with pytest.raises(SignatureInvalid) as err:
            trust.verify(b"doc", junk)
        assert err.value.details["reason"] == "malformed"


def test_signature_from_a_certificate_expired_at_signing_time(devtokens, trust, tmp_path):
    ident = DevIdentity(
        "old",
        R.FACILITY,
        "آزمایشی مرکز قدیمی",
        "Facility",
        "SIAM-3",
        on_token=False,
        valid_from_days=-10,
        valid_for_days=5,
    )
    path = _p12(devtokens, tmp_path, ident)
    # signed while still valid (clock in the past): fine then, and verification uses the signing time
    back_then = NOW - dt.timedelta(days=7)
    sig = P12Signer(path, "pw", trust, clock=lambda: back_then).sign(b"doc")
    assert trust.verify(b"doc", sig.cms).signed_at == sig.signed_at == back_then.replace(microsecond=0)
    with pytest.raises(CertificateRefused):
        P12Signer(path, "pw", trust).sign(b"doc")
    # a signature claiming a time after expiry (made without our checks) does not verify
    from pyhanko.sign.signers import SimpleSigner

    from smartcard.cms import sign_detached

    raw = SimpleSigner.load_pkcs12_data(path.read_bytes(), [], b"pw")
    late = sign_detached(raw, b"doc", signing_time=NOW - dt.timedelta(days=1))
    with pytest.raises(SignatureInvalid) as err:
        trust.verify(b"doc", late)
    assert err.value.details["reason"] == "expired"
