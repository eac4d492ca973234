"""Real CMS signatures bent every way a verifier must refuse, made in software (no token needed).

`Pki()` is a TEST CA with a trust list; `pki.holder(...)` issues a key and certificate (bent as asked);
`sign(...)` makes a CAdES-BES detached signature with pyHanko, any digest; `sign_plain(...)` one with
`cryptography`'s PKCS#7 builder, which writes fewer signed attributes (or none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs7
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.signing import SignatureRole
from smartcard import devtoken
from smartcard._aio import run_sync
from smartcard.devtoken import DevIdentity
from smartcard.trustlist import TrustList

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class Holder:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


@dataclass
class Pki:
    """A TEST CA, its trust list (CRL revoking `revoked`), and a second CA that nobody trusts."""

    ca_key: ec.EllipticCurvePrivateKey = field(init=False)
    ca: x509.Certificate = field(init=False)
    other_key: ec.EllipticCurvePrivateKey = field(init=False)
    other: x509.Certificate = field(init=False)

    def __post_init__(self) -> None:
        self.ca_key, self.ca = devtoken.make_ca("Noskhe TEST verdicts CA", NOW)
        self.other_key, self.other = devtoken.make_ca("Noskhe TEST stranger CA", NOW)

    def trust(self, revoked: tuple[x509.Certificate, ...] = ()) -> TrustList:
        crl = devtoken.make_crl(self.ca_key, self.ca, list(revoked), NOW)
        return TrustList((self.ca,), (crl,), "verdicts-1", NOW)

    def holder(
        self,
        role: SignatureRole = SignatureRole.FACILITY,
        *,
        title: str | None = None,
        registration: str | None = "SIAM-11223344",
        national_code: str | None = None,
        usage: str = "signing",
        valid_from_days: float = -1,
        valid_for_days: float = 730,
        untrusted: bool = False,
        sha1_cert: bool = False,
    ) -> Holder:
        """A key and its certificate; `title` defaults to the role's ("Facility", "Physician", …)."""
        titles = {
            SignatureRole.FACILITY: "Facility",
            SignatureRole.PRESCRIBER: "Physician",
            SignatureRole.PHARMACIST: "Pharmacist",
        }
        ident = DevIdentity(
            "x",
            role,
            "آزمایشی دارندهٔ گواهی",
            titles[role] if title is None else (title or None),
            registration,
            national_code,
            on_token=False,
            usage=usage,
            valid_from_days=valid_from_days,
            valid_for_days=valid_for_days,
        )
        key = ec.generate_private_key(ec.SECP256R1())
        ca_key, ca = (self.other_key, self.other) if untrusted else (self.ca_key, self.ca)
        cert = devtoken.issue(ident, key, ca_key, ca, NOW)
        if sha1_cert:  # the same certificate, signed by the CA with SHA-1 (cryptography's builder refuses)
            cert = _resign_sha1(cert, ca_key)
        return Holder(key, cert)


def _resign_sha1(cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    parsed = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    algorithm = {"algorithm": "sha1_ecdsa"}
    tbs = parsed["tbs_certificate"]
    tbs["signature"] = algorithm
    value = ca_key.sign(tbs.dump(force=True), ec.ECDSA(hashes.SHA1()))
    out = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": value}
    )
    return x509.load_der_x509_certificate(out.dump())


def _simple(h: Holder) -> SimpleSigner:
    return SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(h.cert.public_bytes(Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            h.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        ),
        cert_registry=SimpleCertificateStore(),
    )


def sign(h: Holder, data: bytes, *, digest: str = "sha256", signing_time: dt.datetime | None = None) -> bytes:
    """A detached CAdES-BES signature over `data` (what `smartcard.cms` makes), with any digest."""
    info = run_sync(
        _simple(h).async_sign_general_data(
            data,
            digest,
            detached=True,
            use_cades=True,
            signed_attr_settings=PdfCMSSignedAttributes(
                signing_time=signing_time or NOW - dt.timedelta(minutes=1)
            ),
        )
    )
    return bytes(info.dump())


def sign_plain(h: Holder, data: bytes, *, attributes: bool) -> bytes:
    """A detached CMS by `cryptography`: S/MIME attributes only (no signing-certificate-v2), or none."""
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    if not attributes:
        options.append(pkcs7.PKCS7Options.NoAttributes)
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(h.cert, h.key, hashes.SHA256())
        .sign(Encoding.DER, options)
    )


def flip_signature_value(cms_der: bytes) -> bytes:
    """The same CMS with one bit of the signature value changed (the signed attributes untouched)."""
    info = cms.ContentInfo.load(cms_der)
    signer = info["content"]["signer_infos"][0]
    value = bytearray(signer["signature"].native)
    value[len(value) // 2] ^= 0x01
    signer["signature"] = bytes(value)
    return info.dump(force=True)
