"""Checking a submission's signatures with the client's own verifier (`smartcard.verify.verify`) and the one
signature policy (`app.signature_policy`): exactly the roles the document kind needs, valid CMS over the
rebuilt document, trusted and unrevoked signer, right role, and the signer is the person or facility the
document names (a GP cannot sign another GP's prescription). The exchange adds one check of its own: the
facility seal is that of the facility that sent the request.

A refusal is an `ExchangeError` 422 whose code is the policy's reason (`missing-signature`,
`unexpected-signature`, `wrong-role`, `signer-mismatch`, `facility-mismatch`) or, for a signature that does not
verify, `signature-<reason>` (`signature-tampered`, `signature-weak-digest`, …).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from app.canonical import canonical_bytes
from app.signature_policy import DocumentKind, Party
from app.signing import SignatureRole, SignerIdentity
from exchange.errors import ExchangeError

if TYPE_CHECKING:
    from smartcard.errors import SignatureInvalid
    from smartcard.status import StatusSourceLike
    from smartcard.trustlist import TrustList
    from smartcard.verify import SignedPart


def refusal(exc: SignatureInvalid) -> ExchangeError:
    """The exchange's 422 for a signature the policy refuses (codes in the module docstring)."""
    from smartcard.errors import POLICY_REASONS

    details = {k: v for k, v in exc.details.items() if k != "reason"}
    reason = str(exc.details.get("reason", "bad-signature"))
    if reason in POLICY_REASONS:
        return ExchangeError(422, reason, exc.en, exc.fa, **details)
    role = str(exc.details.get("role", "document"))
    return ExchangeError(
        422,
        f"signature-{reason}",
        f"The {role}'s signature is refused: {exc.en}",
        f"امضای {role} پذیرفته نشد: {exc.fa}",
        **details,
    )


class Verifier:
    """The exchange's side of signature checking; `trust()` gives the trust list in force."""

    def __init__(self, trust: Callable[[], TrustList], revocation: StatusSourceLike | None = None) -> None:
        self.trust = trust
        self.revocation = revocation  # signers' certificate status: the exchange's own OCSP, else the CRL

    def signers(
        self,
        kind: DocumentKind,
        document: dict[str, Any],
        signatures: Sequence[SignedPart],
        *,
        named: Mapping[SignatureRole, Party],
        sender: str | None = None,
    ) -> dict[SignatureRole, SignerIdentity]:
        """Verify the signatures on `document` (its canonical bytes) as a document of `kind` whose parties are
        `named`, and, with `sender`, that the facility seal is the sending facility's (its SIAM id). Returns
        the identity each certificate names, by role; raises `ExchangeError` 422 (see the module docstring)."""
        from smartcard.errors import SignatureInvalid
        from smartcard.verify import verify

        try:
            verified = verify(
                kind, canonical_bytes(document), signatures, self.trust(), named=named, revocation=self.revocation
            )
        except SignatureInvalid as exc:
            raise refusal(exc) from None
        found = {role: result.signer for role, result in verified.by_role.items()}
        seal = found.get(SignatureRole.FACILITY)
        if sender is not None and seal is not None and seal.siam_id != sender:
            named_siam = named[SignatureRole.FACILITY].number
            raise ExchangeError(
                422,
                "facility-mismatch",
                f"The facility seal is {seal.siam_id}'s; the document names {named_siam} and "
                f"the sender is {sender}.",
                "مهر سازمانی با مرکز سند یا مرکز فرستنده یکی نیست.",
                seal=seal.siam_id,
                named=named_siam,
                sender=sender,
            )
        return found
