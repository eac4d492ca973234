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
    """A signature did not verify. `details['reason']` is one of: malformed, tampered, bad-signature,
    untrusted, expired, not-yet-valid, revoked, key-usage, future-signing-time, roles."""

    code = "signature-invalid"


class TrustListError(NoskheError):
    code = "trust-list"
