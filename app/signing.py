"""What the core needs from a signer, and what it learns from a verification.

`smartcard/` implements these with PKCS#11 tokens and PKCS#12 files; the core only sees the interfaces.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from app.certificate_status import CertificateStatus


class SignatureRole(str, Enum):
    """The capacity a signature is made in; which roles sign which document is `app.signature_policy`."""

    PRESCRIBER = "prescriber"
    PHARMACIST = "pharmacist"
    FACILITY = "facility"


@dataclass(frozen=True)
class SignerIdentity:
    """Who a certificate says its holder is (read from the certificate subject)."""

    name: str
    national_code: str | None = None
    medical_council_number: str | None = None
    pharmacist_licence: str | None = None
    siam_id: str | None = None
    role: SignatureRole | None = None


@dataclass(frozen=True)
class Signature:
    """A signature as kept with its document: the role it was made in, the CMS, and who and when as the
    signer's certificate and clock said at signing."""

    role: SignatureRole
    cms: bytes  # DER CMS SignedData, detached, over the canonical bytes
    signer: SignerIdentity
    signed_at: dt.datetime


class Signer(Protocol):
    """Produces a detached CMS signature over `data` in one role."""

    role: SignatureRole

    def identity(self) -> SignerIdentity: ...

    def sign(self, data: bytes) -> Signature: ...


@dataclass(frozen=True)
class VerificationResult:
    """What a valid signature tells: the signer as the certificate names him, the role the certificate
    states (None for a national-card certificate, which states none), the signing time it claims, the
    trust list it was checked against (version; stale when older than its maximum age), and the signer
    certificate's revocation status with its source (`app.certificate_status`)."""

    signer: SignerIdentity
    role: SignatureRole | None
    signed_at: dt.datetime | None
    trust_list_version: str | None
    trust_list_stale: bool
    #: the signer certificate's revocation status and its source: OCSP online, the trust list's CRL offline
    certificate_status: CertificateStatus | None = None
