"""Signing a whole document in its required roles: all signatures or none; verifying it the same way.

Which roles sign which kind of document is the signature policy (`app.signature_policy`): a prescription
carries the prescriber's signature and the facility's seal, a dispensing the pharmacist's and the
facility's. Every signature covers the same bytes: the document's canonical form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.canonical import canonical_bytes
from app.signature_policy import REQUIRED_ROLES, DocumentKind, Party, role_problems
from app.signing import Signature, SignatureRole, Signer, VerificationResult
from smartcard.trustlist import TrustList
from smartcard.verify import verify

__all__ = ["REQUIRED_ROLES", "DocumentKind", "sign_document", "verify_document"]


def _check_roles(kind: DocumentKind, roles: Sequence[SignatureRole]) -> None:
    if role_problems(kind, roles):
        wanted = " + ".join(r.value for r in REQUIRED_ROLES[kind])
        raise ValueError(f"a {kind.value} is signed by {wanted}, got {[r.value for r in roles]}")


def sign_document(
    document: Any, signers: Sequence[Signer], kind: DocumentKind | None = None
) -> list[Signature]:
    """One signature per signer over `canonical_bytes(document)` (a JSON-ready dict), in the signers' order.

    If any signer fails (wrong PIN, token removed, certificate refused…) its error propagates and no
    signature is returned, so the caller writes nothing. With `kind`, the roles must be exactly those the
    kind requires (national rules 9-1, 9-2; a programming error otherwise: `ValueError`)."""
    if kind is not None:
        _check_roles(kind, [s.role for s in signers])
    data = canonical_bytes(document)
    return [signer.sign(data) for signer in signers]


def verify_document(
    document: Any,
    signatures: Sequence[Signature],
    trust: TrustList,
    kind: DocumentKind,
    *,
    named: Mapping[SignatureRole, Party] | None,
) -> list[VerificationResult]:
    """Verify `signatures` over the canonical bytes of `document` under the signature policy for `kind`:
    `smartcard.verify.verify`, whose `SignatureInvalid` subclasses it raises. `named` (the parties the
    document names, by role) makes each signer prove to be that party; None checks roles only. Returns the
    results in the signatures' order."""
    return list(verify(kind, canonical_bytes(document), signatures, trust, named=named).results)
