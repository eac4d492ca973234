"""Each refusal of a signature names its real cause: one error type and reason per cause, with an English and
a Persian message, on real CMS signatures bent one way each (issue: signature verdicts that hide the reason)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.signing import SignatureRole as R
from smartcard import errors as E
from smartcard.verify import ACCEPTED_DIGESTS, verify_detached
from tests.smartcard.cms_factory import NOW, Pki, flip_signature_value, sign, sign_plain

DOC = b'{"resourceType":"NoskhePrescription","id":"rx-verdicts"}'


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def _case(pki: Pki, case: str) -> tuple[bytes, bytes, object]:
    """(data, CMS, trust list) for one bent signature."""
    trust = pki.trust()
    good = pki.holder()
    if case == "sha1-by-a-trusted-certificate":
        return DOC, sign(good, DOC, digest="sha1"), trust
    if case == "certificate-signed-with-sha1":
        return DOC, sign(pki.holder(sha1_cert=True), DOC), trust
    if case == "no-signed-attributes":
        return DOC, sign_plain(good, DOC, attributes=False), trust
    if case == "no-signing-certificate-attribute":
        return DOC, sign_plain(good, DOC, attributes=True), trust
    if case == "content-changed":
        return DOC + b" ", sign(good, DOC), trust
    if case == "signature-value-changed":
        return DOC, flip_signature_value(sign(good, DOC)), trust
    if case == "untrusted-chain":
        return DOC, sign(pki.holder(untrusted=True), DOC), trust
    if case == "revoked":
        return DOC, sign(good, DOC), pki.trust(revoked=(good.cert,))
    if case == "expired-at-signing-time":
        old = pki.holder(valid_from_days=-10, valid_for_days=5)
        return DOC, sign(old, DOC, signing_time=NOW - dt.timedelta(days=1)), trust
    if case == "not-yet-valid-at-signing-time":
        return (
            DOC,
            sign(pki.holder(valid_from_days=-0.5), DOC, signing_time=NOW - dt.timedelta(days=1)),
            trust,
        )
    if case == "encipherment-key":
        return DOC, sign(pki.holder(usage="encipherment"), DOC), trust
    if case == "signed-tomorrow":
        return DOC, sign(good, DOC, signing_time=NOW + dt.timedelta(days=1)), trust
    if case == "not-a-cms":
        return DOC, b"\x30\x03\x02\x01\x01", trust
    raise AssertionError(case)


CASES = [
    ("sha1-by-a-trusted-certificate", E.WeakDigest, "weak-digest"),
    ("certificate-signed-with-sha1", E.WeakDigest, "weak-digest"),
    ("no-signed-attributes", E.MissingSignedAttributes, "missing-signed-attributes"),
    ("no-signing-certificate-attribute", E.MissingSignedAttributes, "missing-signed-attributes"),
    ("content-changed", E.ContentMismatch, "tampered"),
    ("signature-value-changed", E.BadSignatureValue, "bad-signature"),
    ("untrusted-chain", E.UntrustedChain, "untrusted"),
    ("revoked", E.CertificateRevoked, "revoked"),
    ("expired-at-signing-time", E.CertificateExpired, "expired"),
    ("not-yet-valid-at-signing-time", E.CertificateNotYetValid, "not-yet-valid"),
    ("encipherment-key", E.WrongKeyUsage, "key-usage"),
    ("signed-tomorrow", E.FutureSigningTime, "future-signing-time"),
    ("not-a-cms", E.SignatureMalformed, "malformed"),
]


@pytest.mark.parametrize("case, error, reason", CASES, ids=[c[0] for c in CASES])
def test_each_refusal_names_its_cause(pki: Pki, case: str, error: type, reason: str) -> None:
    data, cms_der, trust = _case(pki, case)
    with pytest.raises(E.SignatureInvalid) as err:
        verify_detached(trust, data, cms_der)  # type: ignore[arg-type]
    assert type(err.value) is error, err.value
    assert err.value.details["reason"] == reason == error.reason
    assert E.REFUSALS[reason] is error
    assert err.value.en and err.value.fa and err.value.en != err.value.fa
    if reason != "untrusted":
        assert "trust list" not in err.value.en  # the verdict of the bug report: a wrong cause is worse


def test_a_sha1_signature_by_a_trusted_certificate_says_weak_digest(pki: Pki) -> None:
    trust = pki.trust()
    with pytest.raises(E.WeakDigest) as err:
        verify_detached(trust, DOC, sign(pki.holder(), DOC, digest="sha1"))
    assert err.value.details["algorithm"] == "sha1" and "sha1" in err.value.en
    assert "ضعیف" in err.value.fa
    assert "sha1" not in ACCEPTED_DIGESTS and "sha256" in ACCEPTED_DIGESTS
    for digest in ("sha256", "sha384", "sha512"):  # the strong ones still verify
        assert verify_detached(trust, DOC, sign(pki.holder(), DOC, digest=digest)).role is R.FACILITY


def test_missing_attributes_are_named(pki: Pki) -> None:
    with pytest.raises(E.MissingSignedAttributes) as err:
        verify_detached(pki.trust(), DOC, sign_plain(pki.holder(), DOC, attributes=True))
    assert err.value.details["missing"] == ["signing_certificate_v2"]
    with pytest.raises(E.MissingSignedAttributes) as err:
        verify_detached(pki.trust(), DOC, sign_plain(pki.holder(), DOC, attributes=False))
    assert set(err.value.details["missing"]) == {
        "content_type",
        "message_digest",
        "signing_time",
        "signing_certificate_v2",
    }


def test_every_cause_has_its_own_type_reason_and_messages() -> None:
    classes = list(E.REFUSALS.values())
    assert len({c.reason for c in classes}) == len(classes)
    assert len({c.en_text for c in classes}) == len(classes)
    assert len({c.fa_text for c in classes}) == len(classes)
    for cls in classes:
        assert issubclass(cls, E.SignatureInvalid) and cls.code == "signature-invalid"
        made = cls.because()
        assert made.details["reason"] == cls.reason and made.en == cls.en_text and made.fa == cls.fa_text
    assert E.POLICY_REASONS < set(E.REFUSALS)


def _openssl_cades(h, data: bytes, digest: str, tmp_path) -> bytes:
    """A detached CAdES signature made by `openssl cms -sign -cades` (what a user of the openssl tool gets)."""
    import subprocess

    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    (tmp_path / "cert.pem").write_bytes(h.cert.public_bytes(Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(h.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (tmp_path / "doc").write_bytes(data)
    out = tmp_path / f"sig-{digest}.der"
    subprocess.run(
        ["openssl", "cms", "-sign", "-cades", "-md", digest, "-binary", "-outform", "DER",
         "-in", str(tmp_path / "doc"), "-signer", str(tmp_path / "cert.pem"),
         "-inkey", str(tmp_path / "key.pem"), "-out", str(out)],
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


def test_an_openssl_cades_sha1_signature_is_refused_for_its_weak_digest(pki: Pki, tmp_path) -> None:
    holder = pki.holder()
    with pytest.raises(E.WeakDigest) as err:
        verify_detached(pki.trust(), DOC, _openssl_cades(holder, DOC, "sha1", tmp_path))
    assert err.value.details["algorithm"] == "sha1" and "weak digest algorithm" in err.value.en
    assert "(sha1)" in err.value.en
    assert "signing_certificate" not in err.value.en
    # the same tool with SHA-256 verifies: the refusal was the digest's, not openssl's
    assert verify_detached(pki.trust(), DOC, _openssl_cades(holder, DOC, "sha256", tmp_path)).role is R.FACILITY


def _holder_with_eku(pki: Pki, *oids: str):
    """A signing certificate from the trusted CA that also carries an extended key usage of `oids`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.smartcard.cms_factory import Holder

    base = pki.holder()
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(base.cert.subject)
        .issuer_name(pki.ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(base.cert.not_valid_before_utc)
        .not_valid_after(base.cert.not_valid_after_utc)
    )
    for ext in base.cert.extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in oids]), critical=False
    )
    return Holder(key, builder.sign(pki.ca_key, hashes.SHA256()))


def test_a_certificate_only_for_tls_servers_is_refused_as_wrong_key_usage(pki: Pki) -> None:
    trust = pki.trust()
    server = _holder_with_eku(pki, "1.3.6.1.5.5.7.3.1")  # serverAuth only
    with pytest.raises(E.WrongKeyUsage) as err:
        verify_detached(trust, DOC, sign(server, DOC))
    assert err.value.details["reason"] == "key-usage"
    client_and_server = _holder_with_eku(pki, "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")
    with pytest.raises(E.WrongKeyUsage):
        verify_detached(trust, DOC, sign(client_and_server, DOC))
    # the signing purposes, and no EKU at all (how the dev CA issues), are accepted
    for oid in ("1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.36", "1.3.6.1.4.1.311.10.3.12", "2.5.29.37.0"):
        holder = _holder_with_eku(pki, "1.3.6.1.5.5.7.3.1", oid)
        assert verify_detached(trust, DOC, sign(holder, DOC)).role is R.FACILITY, oid
    assert verify_detached(trust, DOC, sign(pki.holder(), DOC)).role is R.FACILITY
