"""A facility seal from a PKCS#12 file, for facility machines without an organisation token.

The file is protected by the facility passphrase; the passphrase opens it once and is not kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.signing import Signature, SignatureRole, SignerIdentity
from smartcard.cms import SignerCertificate, build_detached, pss_sha256, sign_detached
from smartcard.errors import KeyFileError
from smartcard.identity import DEFAULT_MAPPING, IdentityMapping
from smartcard.signer import utc_now
from smartcard.signing_checks import CertificateChecks
from smartcard.status import StatusSourceLike
from smartcard.trustlist import TrustList


def _raw_signer(key: object, algorithm: str) -> Callable[[bytes], bytes] | None:
    """The key's signature over the signed attributes for pyHanko's choice of `algorithm` (its
    `signature_algo`), or None for a key this does not know (then pyHanko signs)."""
    sha256 = hashes.SHA256()
    if isinstance(key, ec.EllipticCurvePrivateKey) and algorithm == "ecdsa":
        return lambda tbs: key.sign(tbs, ec.ECDSA(sha256))
    if isinstance(key, rsa.RSAPrivateKey) and algorithm == "rsassa_pkcs1v15":
        return lambda tbs: key.sign(tbs, padding.PKCS1v15(), sha256)
    if isinstance(key, rsa.RSAPrivateKey) and algorithm == "rsassa_pss":  # the parameters of pss_sha256()
        return lambda tbs: key.sign(tbs, padding.PSS(padding.MGF1(sha256), 32), sha256)
    return None


class P12Signer:
    """The core's `Signer` over a PKCS#12 file; same certificate checks as `TokenSigner` (all of them
    before the first signature and whenever the trust list changes, the validity and the revocation —
    asked of `revocation`: OCSP online, the CRL offline — before every one, `smartcard.signing_checks`)."""

    def __init__(
        self,
        path: str | Path,
        passphrase: str,
        trust: TrustList,
        *,
        role: SignatureRole = SignatureRole.FACILITY,
        expected: SignerIdentity | None = None,
        mapping: IdentityMapping = DEFAULT_MAPPING,
        rsa_pss: bool = False,
        clock: Callable[[], dt.datetime] = utc_now,
        revocation: StatusSourceLike | None = None,
    ) -> None:
        self.role, self.trust, self.expected, self.mapping, self.clock = role, trust, expected, mapping, clock
        self.revocation = revocation  # revocation: OCSP when online, the CRL offline (checked before each signature)
        self.path = Path(path)
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise KeyFileError(
                f"Cannot read the key file {self.path}: {exc.strerror}.",
                f"پروندهٔ کلید {self.path} خوانده نشد.",
            ) from None
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(raw, passphrase.encode("utf-8"))
            if key is None or cert is None:
                raise ValueError("no key or no certificate")
        except ValueError:
            raise KeyFileError(
                f"The key file {self.path.name} did not open: wrong facility passphrase or a damaged file.",
                f"پروندهٔ کلید {self.path.name} باز نشد: گذرواژهٔ مرکز نادرست است یا پرونده خراب است.",
            ) from None
        self.certificate: x509.Certificate = cert
        self._signer = SimpleSigner(
            signing_cert=asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)),
            signing_key=asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
            ),
            cert_registry=SimpleCertificateStore(),
            signature_mechanism=pss_sha256() if rsa_pss and isinstance(key, rsa.RSAPrivateKey) else None,
            embed_roots=False,
        )
        self._algorithm = self._signer.get_signature_mechanism_for_digest("sha256")
        self._parts = SignerCertificate.of(cert.public_bytes(Encoding.DER))
        self._raw = _raw_signer(key, self._algorithm.signature_algo)
        self._checks = CertificateChecks()

    def __repr__(self) -> str:
        return f"<P12Signer {self.role.value} {self.path.name}>"

    def identity(self) -> SignerIdentity:
        """The holder this signer would sign as now (raises what `sign` would raise for the certificate)."""
        return self._checks.check(
            self.certificate,
            role=self.role,
            trust=self.trust,
            now=self.clock(),
            expected=self.expected,
            mapping=self.mapping,
            revocation=self.revocation,
        )

    def sign(self, data: bytes) -> Signature:
        """A detached CAdES-BES signature over `data` (`smartcard.cms.build_detached`), after the
        certificate checks; raises `CertificateRefused` when the certificate may not sign now."""
        now = self.clock().replace(microsecond=0)  # the CMS signing-time has whole seconds
        who = self._checks.check(
            self.certificate,
            role=self.role,
            trust=self.trust,
            now=now,
            expected=self.expected,
            mapping=self.mapping,
            revocation=self.revocation,
        )
        if self._raw is None:
            cms = sign_detached(self._signer, data, signing_time=now)
        else:
            cms = build_detached(self._parts, self._algorithm, self._raw, data, signing_time=now)
        return Signature(role=self.role, cms=cms, signer=who, signed_at=now)
