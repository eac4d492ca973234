"""A signer's checks of its own certificate, done once per login and trust list.

Before its first signature a signer runs every check of `smartcard.identity.check_certificate` (key usage,
validity, the chain to a CA of the trust list, revocation, role, holder). Afterwards, while the same
certificate object (a login reads the token's certificates anew) is checked against the same trust list
object (`Workstation.forget_trust` hands the signers a new one after a refresh or an import) for the same
role and holder, a signature only re-checks what can change in between: the certificate's validity at
this moment and its revocation status (the `revocation` source: OCSP online, remembered for a minute; the
trust list's CRL offline). Anything else runs every check again, so a refusal names its reason as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509

from app.signing import SignatureRole, SignerIdentity
from smartcard.identity import IdentityMapping, check_certificate
from smartcard.status import CRL_ONLY, StatusSourceLike
from smartcard.trustlist import TrustList


@dataclass(frozen=True)
class _Passed:
    certificate: x509.Certificate
    trust: TrustList
    role: SignatureRole
    expected: SignerIdentity | None
    mapping: IdentityMapping
    who: SignerIdentity


class CertificateChecks:
    """`check_certificate` with its verdict kept per certificate (see the module's docstring). One per
    signer; not shared between signers. Thread-safe enough: a race only runs the full checks twice."""

    _LIMIT = 8  # certificates remembered (a login brings new objects; old ones are dropped)

    def __init__(self) -> None:
        self._passed: dict[int, _Passed] = {}

    def forget(self) -> None:
        """Run every check again before the next signature."""
        self._passed = {}

    def check(
        self,
        cert: x509.Certificate,
        *,
        role: SignatureRole,
        trust: TrustList,
        now: dt.datetime,
        expected: SignerIdentity | None,
        mapping: IdentityMapping,
        revocation: StatusSourceLike | None,
    ) -> SignerIdentity:
        """The signer identity if `cert` may sign as `role` at `now` (what `check_certificate` returns);
        otherwise `CertificateRefused`, raised by `check_certificate` itself."""
        kept = self._passed.get(id(cert))
        if (
            kept is not None
            and kept.certificate is cert
            and kept.trust is trust
            and kept.role is role
            and kept.expected == expected
            and kept.mapping is mapping
            and cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
            and not (revocation or CRL_ONLY).status(cert, trust, now).revoked
        ):
            return kept.who
        self._passed.pop(id(cert), None)
        who = check_certificate(
            cert, role=role, trust=trust, now=now, expected=expected, mapping=mapping, revocation=revocation
        )
        if len(self._passed) >= self._LIMIT:
            self._passed = {}
        self._passed[id(cert)] = _Passed(cert, trust, role, expected, mapping, who)
        return who
