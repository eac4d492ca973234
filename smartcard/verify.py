"""Offline verification of a detached CMS signature against a trust list.

Policy, since CAdES-BES carries no trusted time: the certificate must have been valid at the signing time
it claims, that time may not lie in the future, and a certificate revoked by now fails whatever date it
claims (a thief could backdate). A stale trust list is reported, not fatal: it is the caller's to show.
"""

from __future__ import annotations

import datetime as dt

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms, extract_self_reported_ts
from pyhanko.sign.validation.settings import KeyUsageConstraints

from app.signing import VerificationResult
from smartcard._aio import run_sync
from smartcard.errors import SignatureInvalid
from smartcard.identity import (
    DEFAULT_MAPPING,
    SIGNING_USAGES,
    IdentityMapping,
    identity_from_certificate,
    key_usages,
)
from smartcard.trustlist import DEFAULT_MAX_AGE, TrustList

CLOCK_SKEW = dt.timedelta(minutes=5)

_MESSAGES = {
    "malformed": ("This is not a detached CMS signature Noskhe can read.", "این امضا قالب درستی ندارد."),
    "tampered": ("The document was changed after it was signed.", "سند پس از امضا تغییر کرده است."),
    "bad-signature": ("The signature value is not valid.", "مقدار امضا معتبر نیست."),
    "untrusted": (
        "The signer's certificate is not issued by a CA in the trust list.",
        "گواهی امضاکننده از سوی مرجع مورد اعتماد صادر نشده است.",
    ),
    "expired": (
        "The signer's certificate had expired at the signing time.",
        "گواهی امضاکننده در زمان امضا منقضی بوده است.",
    ),
    "not-yet-valid": (
        "The signer's certificate was not yet valid at the signing time.",
        "گواهی امضاکننده در زمان امضا هنوز معتبر نبوده است.",
    ),
    "revoked": ("The signer's certificate has been revoked.", "گواهی امضاکننده باطل شده است."),
    "key-usage": ("The signer's certificate is not for signing.", "گواهی امضاکننده برای امضا نیست."),
    "future-signing-time": ("The signature claims a signing time in the future.", "زمان امضا در آینده است."),
}


def _invalid(reason: str, extra: str = "") -> SignatureInvalid:
    en, fa = _MESSAGES[reason]
    return SignatureInvalid(en + (f" ({extra})" if extra else ""), fa, reason=reason)


def _parse(cms_der: bytes) -> tuple[cms.SignedData, dt.datetime]:
    try:
        info = cms.ContentInfo.load(cms_der)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed = info["content"]
        signers = signed["signer_infos"]
        if len(signers) != 1 or signed["encap_content_info"]["content"].native is not None:
            raise ValueError("expected one signer and detached content")
        when = extract_self_reported_ts(signers[0])
    except (ValueError, KeyError, TypeError):
        raise _invalid("malformed") from None
    if when is None:
        raise _invalid("malformed", "no signing time")
    return signed, when


def verify_detached(
    trust: TrustList,
    data: bytes,
    cms_der: bytes,
    *,
    now: dt.datetime | None = None,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
    mapping: IdentityMapping | None = None,
) -> VerificationResult:
    """The signer, role (from the certificate) and signing time of a valid signature over `data`;
    `SignatureInvalid` with `details['reason']` otherwise. Never touches the network."""
    now = now or dt.datetime.now(dt.UTC)
    signed, signed_at = _parse(cms_der)
    if signed_at > now + CLOCK_SKEW:
        raise _invalid("future-signing-time")
    try:
        status = run_sync(
            async_validate_detached_cms(
                data,
                signed,
                signer_validation_context=trust.validation_context(signed_at),
                key_usage_settings=KeyUsageConstraints(
                    key_usage=set(SIGNING_USAGES), match_all_key_usages=False
                ),
            )
        )
        cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    except SignatureValidationError:
        raise _invalid("bad-signature") from None
    except (ValueError, KeyError, TypeError):
        raise _invalid("malformed") from None
    if not status.intact:
        raise _invalid("tampered")
    if not status.valid:
        raise _invalid("bad-signature")
    if not status.trusted:
        if not key_usages(cert) & SIGNING_USAGES:
            raise _invalid("key-usage")
        if signed_at < cert.not_valid_before_utc:
            raise _invalid("not-yet-valid")
        if signed_at > cert.not_valid_after_utc:
            raise _invalid("expired")
        raise _invalid("untrusted")
    revoked = trust.revocation(cert)
    if revoked is not None and revoked <= now:
        raise _invalid("revoked", f"{revoked:%Y-%m-%d}")
    who = identity_from_certificate(cert, mapping or DEFAULT_MAPPING)
    return VerificationResult(
        signer=who,
        role=who.role,
        signed_at=signed_at,
        trust_list_version=trust.version,
        trust_list_stale=trust.is_stale(now, max_age),
    )
