"""Checking a submission's signatures: valid CMS over the rebuilt document, trusted signer, right role, and
the signer is the person or facility the document names (a GP cannot sign another GP's prescription)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.canonical import canonical_bytes
from app.signing import SignatureRole, SignerIdentity
from exchange.errors import ExchangeError
from sync.fhir.common import WireSignature


def _refuse(code: str, en: str, fa: str, **details: Any) -> ExchangeError:
    return ExchangeError(422, code, en, fa, **details)


class Verifier:
    def __init__(self, trust: Callable[[], Any]) -> None:
        self.trust = trust

    def signers(
        self, document: dict[str, Any], signatures: Sequence[WireSignature], roles: Sequence[SignatureRole]
    ) -> dict[SignatureRole, SignerIdentity]:
        """Verify one signature per role in `roles`; the identity each certificate names, by role."""
        from smartcard.errors import SignatureInvalid

        data = canonical_bytes(document)
        found: dict[SignatureRole, SignerIdentity] = {}
        for sig in signatures:
            if sig.role not in roles or sig.role in found:
                raise _refuse(
                    "unexpected-signature",
                    f"Unexpected {sig.role.value} signature.",
                    f"امضای {sig.role.value} در این سند انتظار نمی‌رود.",
                )
            try:
                result = self.trust().verify(data, sig.cms)
            except SignatureInvalid as exc:
                reason = exc.details.get("reason", "bad-signature")
                raise _refuse(
                    f"signature-{reason}",
                    f"The {sig.role.value}'s signature is refused: {exc.en}",
                    f"امضای {sig.role.value} پذیرفته نشد: {exc.fa}",
                    role=sig.role.value,
                ) from None
            cert_role = result.role or (sig.role if sig.role is not SignatureRole.FACILITY else None)
            if cert_role is not sig.role:
                raise _refuse(
                    "wrong-role",
                    f"The {sig.role.value} signature was made with a "
                    f"{(cert_role.value if cert_role else 'role-less')} certificate.",
                    "امضا با گواهی نقش دیگری انجام شده است.",
                    role=sig.role.value,
                )
            found[sig.role] = result.signer
        missing = [r.value for r in roles if r not in found]
        if missing:
            raise _refuse(
                "missing-signature",
                f"Missing signature(s): {', '.join(missing)}.",
                f"امضای لازم نیست: {', '.join(missing)}.",
                missing=missing,
            )
        return found

    @staticmethod
    def same_person(
        who: SignerIdentity, *, number_field: str, number: str, national_code: str, what: str
    ) -> None:
        """The certificate holder must be the person the document names (registration number, national code)."""
        theirs = getattr(who, number_field)
        if theirs is not None and theirs != number:
            raise _refuse(
                "signer-mismatch",
                f"The {what} is signed by {who.name} ({theirs}), not by {number}.",
                f"امضاکننده ({who.name}) همان کسی نیست که در سند آمده است.",
                signer=theirs,
                named=number,
            )
        if theirs is None and not (
            who.national_code and national_code and who.national_code == national_code
        ):
            raise _refuse(
                "signer-mismatch",
                f"The {what}'s signer {who.name} cannot be matched to {number}.",
                f"امضاکننده ({who.name}) با شخص نام‌برده در سند تطبیق نمی‌کند.",
            )
        if who.national_code and national_code and who.national_code != national_code:
            raise _refuse(
                "signer-mismatch",
                f"The {what}'s signer has another national code.",
                "کد ملی امضاکننده با سند یکی نیست.",
            )

    @staticmethod
    def same_facility(who: SignerIdentity, siam: str, authenticated: str) -> None:
        if who.siam_id != siam or siam != authenticated:
            raise _refuse(
                "facility-mismatch",
                f"The facility seal is {who.siam_id}'s; the document names {siam} and "
                f"the sender is {authenticated}.",
                "مهر سازمانی با مرکز سند یا مرکز فرستنده یکی نیست.",
                seal=who.siam_id,
                named=siam,
                sender=authenticated,
            )
