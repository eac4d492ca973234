"""OCSP (RFC 6960) on the client's side: the request for one certificate, and the checks its answer must pass
before its verdict is believed (appendix task 7 of the national rules).

An answer is believed only when: the responder says `successful`; it is signed by the certificate's own CA,
or by a responder certificate that CA issued for OCSP signing (extended key usage id-kp-OCSPSigning) and
that is valid now; it is about the certificate asked for (serial number, the CA's name and key hashes); it
is fresh (this update not in the future, next update not past, both within `CLOCK_SKEW`); and it echoes the
request's nonce when it carries one. Anything else is `OcspInvalid`, and the caller falls back to the CRL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

from asn1crypto import keys
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from app.certificate_status import CertificateStatus, StatusSource, Verdict
from app.errors import NoskheError

CLOCK_SKEW = dt.timedelta(minutes=5)
#: an answer without our nonce is believed only when the responder produced it this recently
MAX_AGE_WITHOUT_NONCE = dt.timedelta(minutes=10)
NONCE_BYTES = 16


class OcspUnavailable(NoskheError):
    """No OCSP answer at all: the responder is not reachable (offline) or did not answer in time."""

    code = "offline"


class OcspInvalid(NoskheError):
    """An OCSP answer came but cannot be believed (unsuccessful, badly signed, not about this certificate,
    stale, wrong nonce); `details['problem']` names which."""

    code = "ocsp-invalid"


def _invalid(problem: str, en: str) -> OcspInvalid:
    return OcspInvalid(
        f"The OCSP answer cannot be believed: {en}.", "پاسخ OCSP پذیرفتنی نیست.", problem=problem
    )


def build_request(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bytes, bytes]:
    """The DER OCSP request for `cert` issued by `issuer` (CertID hashed with SHA-256), with a random
    nonce; returns `(request, nonce)`."""
    nonce = os.urandom(NONCE_BYTES)
    req = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA256())
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    return req.public_bytes(Encoding.DER), nonce


def key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    """The hash of the certificate's subject public key bits (the BIT STRING's value, without its
    unused-bits byte), as CertID and ResponderID byKey use it."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
    return hashlib.new(algorithm.name, bits).digest()


def name_hash(name: x509.Name, algorithm: hashes.HashAlgorithm) -> bytes:
    """The hash of a name's DER encoding, as CertID uses it for the issuer's name."""
    return hashlib.new(algorithm.name, name.public_bytes()).digest()


def _verify_signature(
    key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None
) -> None:
    if algorithm is None:
        raise InvalidSignature("no hash algorithm")
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise InvalidSignature("unsupported responder key")


def _signer(resp: ocsp.OCSPResponse, issuer: x509.Certificate, now: dt.datetime) -> x509.Certificate:
    """The certificate that signed `resp`: the CA itself, or a delegated responder the CA issued."""
    sha1 = hashes.SHA1()  # ResponderID byKey is a SHA-1 of the key (RFC 6960 §4.2.1)

    def is_responder(cert: x509.Certificate) -> bool:
        if resp.responder_key_hash is not None:
            return key_hash(cert, sha1) == resp.responder_key_hash
        return cert.subject == resp.responder_name

    if is_responder(issuer):
        return issuer
    for cert in resp.certificates:
        if not is_responder(cert):
            continue
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise _invalid(
                "responder-not-issued", "its responder certificate is not issued by the CA"
            ) from None
        try:
            usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            usages = x509.ExtendedKeyUsage([])
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usages:
            raise _invalid("responder-not-authorised", "its responder certificate is not for OCSP signing")
        if not cert.not_valid_before_utc - CLOCK_SKEW <= now <= cert.not_valid_after_utc + CLOCK_SKEW:
            raise _invalid("responder-expired", "its responder certificate is not valid now")
        return cert
    raise _invalid("unknown-responder", "it is signed by neither the CA nor a responder the CA named")


def read_response(
    der: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None,
    now: dt.datetime,
) -> CertificateStatus:
    """The verdict of the OCSP answer `der` about `cert` (issued by `issuer`), after the checks of the
    module docstring; `nonce` is the one the request carried. Returns a `CertificateStatus` with source
    OCSP (`at`: when the responder produced it). Raises `OcspInvalid`."""
    try:
        resp = ocsp.load_der_ocsp_response(der)
    except ValueError:
        raise _invalid("malformed", "it is not an OCSP response") from None
    if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise _invalid("unsuccessful", f"the responder answered {resp.response_status.name.lower()}")
    signer = _signer(resp, issuer, now)
    try:
        _verify_signature(
            signer.public_key(), resp.signature, resp.tbs_response_bytes, resp.signature_hash_algorithm
        )
    except InvalidSignature:
        raise _invalid("bad-signature", "its signature does not verify") from None
    algorithm = resp.hash_algorithm
    if (
        resp.serial_number != cert.serial_number
        or resp.issuer_name_hash != name_hash(issuer.subject, algorithm)
        or resp.issuer_key_hash != key_hash(issuer, algorithm)
    ):
        raise _invalid("other-certificate", "it is about another certificate")
    this_update = resp.this_update_utc
    next_update = resp.next_update_utc
    if this_update > now + CLOCK_SKEW or (next_update is not None and next_update < now - CLOCK_SKEW):
        raise _invalid("stale", "it is not current")
    try:
        echoed = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        echoed = None
    if echoed is not None and nonce is not None and echoed != nonce:
        raise _invalid("nonce", "it answers another request (nonce)")
    if echoed is None and now - resp.produced_at_utc > MAX_AGE_WITHOUT_NONCE:
        raise _invalid("replayed", "it carries no nonce and is not recent")
    serial = format(cert.serial_number, "x")
    if resp.certificate_status is ocsp.OCSPCertStatus.GOOD:
        return CertificateStatus(Verdict.GOOD, StatusSource.OCSP, resp.produced_at_utc, serial=serial)
    if resp.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        reason = resp.revocation_reason.value if resp.revocation_reason is not None else ""
        return CertificateStatus(
            Verdict.REVOKED,
            StatusSource.OCSP,
            resp.produced_at_utc,
            revoked_at=resp.revocation_time_utc,
            reason=reason,
            serial=serial,
        )
    return CertificateStatus(Verdict.UNKNOWN, StatusSource.OCSP, resp.produced_at_utc, serial=serial)


__all__ = ["OcspInvalid", "OcspUnavailable", "build_request", "key_hash", "name_hash", "read_response"]
