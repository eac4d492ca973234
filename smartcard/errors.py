"""Errors a token, a certificate or a signature can cause, each with a Persian and an English message.

All are `NoskheError`s, so the CLI and the UI show them as one line. None of them ever carries a PIN:
messages are built from counts, labels and certificate fields only.
"""

from __future__ import annotations

from app.errors import NoskheError


class TokenError(NoskheError):
    """Something about the PKCS#11 module or token stops us; `details` says what."""

    code = "token"


class ModuleUnavailable(TokenError):
    code = "pkcs11-module"


class TokenNotFound(TokenError):
    code = "token-not-found"


class PinRequired(TokenError):
    """No PIN was given and the reader has no PIN pad."""

    code = "pin-required"


class WrongPin(TokenError):
    """`details`: tries_left (int or None when nobody knows), failures, limit, token_reports."""

    code = "wrong-pin"


class PinLocked(TokenError):
    """The token is locked, or Noskhe stopped trying it to keep it from locking (`details['by']`)."""

    code = "pin-locked"


class TokenRemoved(TokenError):
    """The token went away; whatever was being signed was not signed."""

    code = "token-removed"


class LoginRequired(TokenError):
    """The session was locked (token removed and back, or logged out): the PIN must be entered again."""

    code = "login-required"


class NoSigningKey(TokenError):
    code = "no-signing-key"


class KeyFileError(TokenError):
    """A PKCS#12 file could not be opened: wrong passphrase or a damaged file."""

    code = "key-file"


class CertificateRefused(NoskheError):
    """We will not sign with this certificate. `details['reason']` is one of: expired, not-yet-valid,
    revoked, untrusted, key-usage, wrong-holder, wrong-role, unreadable."""

    code = "certificate-refused"


class SignatureInvalid(NoskheError):
    """A signature did not verify, or a document does not carry the signatures its kind needs.

    Each cause is its own subclass with its own `reason` (also in `details['reason']`), an English and a
    Persian message: see `REFUSALS`. `details['role']` names the signature's role when one is concerned."""

    code = "signature-invalid"
    reason = "invalid"
    en_text = "The signature is not valid."
    fa_text = "امضا معتبر نیست."

    def __init__(self, en: str | None = None, fa: str | None = None, **details: object) -> None:
        details.setdefault("reason", self.reason)
        super().__init__(en or self.en_text, fa or self.fa_text, **details)

    @classmethod
    def because(cls, extra: str = "", **details: object) -> SignatureInvalid:
        """This refusal with its standard messages; `extra` is appended to the English one in brackets."""
        return cls(cls.en_text[:-1] + f" ({extra})." if extra else cls.en_text, cls.fa_text, **details)


class SignatureMalformed(SignatureInvalid):
    reason = "malformed"
    en_text = "This is not a detached CMS signature Noskhe can read."
    fa_text = "این امضا قالب درستی ندارد."


class WeakDigest(SignatureInvalid):
    """SHA-1, MD5 or another digest algorithm the program no longer accepts, in the signature or the
    signer's certificate."""

    reason = "weak-digest"
    en_text = "The signature uses a weak digest algorithm that is no longer accepted."
    fa_text = "امضا با الگوریتم چکیده‌ساز ضعیفی ساخته شده که دیگر پذیرفته نیست."


class MissingSignedAttributes(SignatureInvalid):
    """The CMS lacks signed attributes CAdES-BES requires (`details['missing']`)."""

    reason = "missing-signed-attributes"
    en_text = "The signature lacks the signed attributes it must carry (CAdES-BES)."
    fa_text = "ویژگی‌های امضاشدهٔ لازم در امضا نیست."


class ContentMismatch(SignatureInvalid):
    reason = "tampered"
    en_text = "The document was changed after it was signed."
    fa_text = "سند پس از امضا تغییر کرده است."


class BadSignatureValue(SignatureInvalid):
    reason = "bad-signature"
    en_text = "The signature value is not valid."
    fa_text = "مقدار امضا معتبر نیست."


class UntrustedChain(SignatureInvalid):
    reason = "untrusted"
    en_text = "The signer's certificate is not issued by a CA in the trust list."
    fa_text = "گواهی امضاکننده از سوی مرجع مورد اعتماد صادر نشده است."


class CertificateExpired(SignatureInvalid):
    reason = "expired"
    en_text = "The signer's certificate had expired at the signing time."
    fa_text = "گواهی امضاکننده در زمان امضا منقضی بوده است."


class CertificateNotYetValid(SignatureInvalid):
    reason = "not-yet-valid"
    en_text = "The signer's certificate was not yet valid at the signing time."
    fa_text = "گواهی امضاکننده در زمان امضا هنوز معتبر نبوده است."


class CertificateRevoked(SignatureInvalid):
    reason = "revoked"
    en_text = "The signer's certificate has been revoked."
    fa_text = "گواهی امضاکننده باطل شده است."


class WrongKeyUsage(SignatureInvalid):
    reason = "key-usage"
    en_text = "The signer's certificate is not for signing."
    fa_text = "گواهی امضاکننده برای امضا نیست."


class FutureSigningTime(SignatureInvalid):
    reason = "future-signing-time"
    en_text = "The signature claims a signing time in the future."
    fa_text = "زمان امضا در آینده است."


class MissingSignature(SignatureInvalid):
    """`details['missing']`: the roles whose signatures the document lacks."""

    reason = "missing-signature"
    en_text = "The document does not carry the signatures it needs."
    fa_text = "امضاهای لازم روی این سند نیست."


class UnexpectedSignature(SignatureInvalid):
    """A signature in a role the document kind does not take, or a second one in the same role."""

    reason = "unexpected-signature"
    en_text = "The document carries a signature it should not."
    fa_text = "امضایی روی سند است که نباید باشد."


class WrongRole(SignatureInvalid):
    """A signature in one role made with a certificate for another (or a role-less one as the facility)."""

    reason = "wrong-role"
    en_text = "The signature was made with a certificate of another role."
    fa_text = "امضا با گواهی نقش دیگری انجام شده است."


class SignerMismatch(SignatureInvalid):
    """The signer is not the person the document names."""

    reason = "signer-mismatch"
    en_text = "The signer is not the person the document names."
    fa_text = "امضاکننده همان کسی نیست که در سند آمده است."


class FacilityMismatch(SignatureInvalid):
    """The facility seal is not that of the facility the document names."""

    reason = "facility-mismatch"
    en_text = "The facility seal is not that of the facility the document names."
    fa_text = "مهر سازمانی با مرکز نام‌برده در سند یکی نیست."


#: every refusal of a signature, by its reason
REFUSALS: dict[str, type[SignatureInvalid]] = {
    cls.reason: cls
    for cls in (
        SignatureMalformed,
        WeakDigest,
        MissingSignedAttributes,
        ContentMismatch,
        BadSignatureValue,
        UntrustedChain,
        CertificateExpired,
        CertificateNotYetValid,
        CertificateRevoked,
        WrongKeyUsage,
        FutureSigningTime,
        MissingSignature,
        UnexpectedSignature,
        WrongRole,
        SignerMismatch,
        FacilityMismatch,
    )
}
#: refusals about which signatures a document carries and whose they are (not about one CMS)
POLICY_REASONS = frozenset(
    {"missing-signature", "unexpected-signature", "wrong-role", "signer-mismatch", "facility-mismatch"}
)


class TrustListError(NoskheError):
    code = "trust-list"
