"""Signing a whole document in its required roles: all signatures or none.

A prescription carries the prescriber's signature and the facility's seal; a dispensing carries the
pharmacist's and the facility's. Every signature covers the same bytes: the document's canonical form.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from app.canonical import canonical_bytes
from app.signing import Signature, SignatureRole, Signer
from smartcard.errors import SignatureInvalid
from smartcard.trustlist import TrustList


class DocumentKind(str, Enum):
    PRESCRIPTION = "prescription"
    DISPENSING = "dispensing"


REQUIRED_ROLES: dict[DocumentKind, tuple[SignatureRole, ...]] = {
    DocumentKind.PRESCRIPTION: (SignatureRole.PRESCRIBER, SignatureRole.FACILITY),
    DocumentKind.DISPENSING: (SignatureRole.PHARMACIST, SignatureRole.FACILITY),
}


def _check_roles(kind: DocumentKind, roles: Sequence[SignatureRole]) -> None:
    if sorted(roles) != sorted(REQUIRED_ROLES[kind]):
        wanted = " + ".join(r.value for r in REQUIRED_ROLES[kind])
        raise ValueError(f"a {kind.value} is signed by {wanted}, got {[r.value for r in roles]}")


def sign_document(
    document: Any, signers: Sequence[Signer], kind: DocumentKind | None = None
) -> list[Signature]:
    """One signature per signer over `canonical_bytes(document)`, in the signers' order.

    If any signer fails (wrong PIN, token removed, certificate refused…) its error propagates and no
    signature is returned, so the caller writes nothing. With `kind`, the roles must be exactly those the
    kind requires (a programming error otherwise: `ValueError`)."""
    if kind is not None:
        _check_roles(kind, [s.role for s in signers])
    data = canonical_bytes(document)
    return [signer.sign(data) for signer in signers]


def verify_document(
    document: Any, signatures: Sequence[Signature], trust: TrustList, kind: DocumentKind
) -> list[Any]:
    """Verify every signature over the canonical bytes and that together they carry the required roles;
    `SignatureInvalid` otherwise. Returns the `VerificationResult`s in order."""
    data = canonical_bytes(document)
    results = [trust.verify(data, s.cms) for s in signatures]
    # a national-card certificate states no role: then the role it signed in counts, never as a facility
    roles = [
        r.role or (s.role if s.role is not SignatureRole.FACILITY else None)
        for r, s in zip(results, signatures)
    ]
    if None in roles or sorted(roles) != sorted(REQUIRED_ROLES[kind]):  # type: ignore[type-var]
        raise SignatureInvalid(
            f"The {kind.value} does not carry the signatures it needs "
            f"({' + '.join(r.value for r in REQUIRED_ROLES[kind])}).",
            "امضاهای لازم روی این سند نیست.",
            reason="roles",
        )
    return results
