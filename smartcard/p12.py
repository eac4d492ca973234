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
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.signing import Signature, SignatureRole, SignerIdentity
from smartcard.cms import pss_sha256, sign_detached
from smartcard.errors import KeyFileError
from smartcard.identity import DEFAULT_MAPPING, IdentityMapping, check_certificate
from smartcard.signer import utc_now
from smartcard.status import StatusSourceLike
from smartcard.trustlist import TrustList


class P12Signer:
    """The core's `Signer` over a PKCS#12 file; same certificate checks as `TokenSigner`, its own
    certificate's revocation asked of `revocation` before every signature (OCSP online, the CRL offline)."""

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

    def __repr__(self) -> str:
        return f"<P12Signer {self.role.value} {self.path.name}>"

    def identity(self) -> SignerIdentity:
        return check_certificate(
            self.certificate,
            role=self.role,
            trust=self.trust,
            now=self.clock(),
            expected=self.expected,
            mapping=self.mapping,
            revocation=self.revocation,
        )

    def sign(self, data: bytes) -> Signature:
        now = self.clock().replace(microsecond=0)  # the CMS signing-time has whole seconds
        who = check_certificate(
            self.certificate,
            role=self.role,
            trust=self.trust,
            now=now,
            expected=self.expected,
            mapping=self.mapping,
            revocation=self.revocation,
        )
        return Signature(
            role=self.role, cms=sign_detached(self._signer, data, signing_time=now), signer=who, signed_at=now
        )
