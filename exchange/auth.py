"""How a facility proves who it is: a signed login, then a short-lived bearer token.

    POST /auth/token   body: canonical JSON {"siam": "...", "nonce": "<random>", "issuedAt": "<ISO time>"}
                       header X-Noskhe-Signature: base64 detached CMS over the body, by the facility's
                       organisational certificate (token or PKCS#12), chaining to the exchange's trust list
    → 200 {"access_token": "...", "token_type": "Bearer", "expires_in": 900, "facility": "<SIAM>"}

Every other call (except GET /metadata) carries `Authorization: Bearer <token>`. This is the SMART Backend
Services pattern (a signed assertion buys an access token) with CMS in place of a JWT, because facility
keys live on PKCS#11 tokens that already make CMS. The login is refused when the signature does not verify,
the certificate is not a facility certificate, its SIAM id differs from the one claimed, the facility is
unknown or inactive, the time is more than five minutes off, or the nonce was seen before (replay).
Tokens (as SHA-256 digests) and the nonces seen are kept in the exchange's database, so every worker process
of the server knows every token and refuses every replay. In production the channel is TLS (`noskhe exchange serve --tls-cert/--tls-key`), which keeps tokens secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.signature_policy import DocumentKind, Party
from app.signing import SignatureRole
from exchange.db import ExchangeDB
from exchange.errors import ExchangeError

if TYPE_CHECKING:
    from smartcard.status import StatusSourceLike
    from smartcard.trustlist import TrustList

TOKEN_TTL = 900
SKEW = dt.timedelta(minutes=5)


def _digest(token: str) -> str:
    """What the database keeps of a bearer token: its SHA-256, hex (a copy of the database logs nobody in)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def refused(code: str, en: str, fa: str, status: int = 401) -> ExchangeError:
    return ExchangeError(status, code, en, fa)


class Authenticator:
    def __init__(
        self,
        db: ExchangeDB,
        trust: Callable[[], TrustList],
        *,
        ttl: int = TOKEN_TTL,
        revocation: StatusSourceLike | None = None,
    ) -> None:
        self.db, self.trust, self.ttl = db, trust, ttl
        self.revocation = revocation  # the seal's certificate status: the exchange's own OCSP, else the CRL

    def login(self, body: bytes, signature_b64: str | None) -> dict[str, Any]:
        """A bearer token for the facility whose seal signed `body` (the login claim); the seal is verified
        under the signature policy (kind login: the facility alone, its SIAM id the one claimed). Raises
        `ExchangeError` 401/403 with the codes the module docstring lists."""
        from smartcard.errors import SignatureInvalid
        from smartcard.verify import ClaimedSignature, verify

        if not signature_b64:
            raise refused("unauthenticated", "The login carries no signature.", "درخواست ورود امضا ندارد.")
        try:
            claim = json.loads(body)
            siam, nonce, issued = (
                str(claim["siam"]),
                str(claim["nonce"]),
                dt.datetime.fromisoformat(claim["issuedAt"]),
            )
            cms = base64.b64decode(signature_b64, validate=True)
        except (ValueError, KeyError, TypeError):
            raise refused(
                "unauthenticated", "The login request is malformed.", "درخواست ورود نادرست است."
            ) from None
        seal = ClaimedSignature(SignatureRole.FACILITY, cms)
        named = {SignatureRole.FACILITY: Party(siam)}
        try:
            verify(DocumentKind.LOGIN, body, [seal], self.trust(), named=named, revocation=self.revocation)
        except SignatureInvalid as exc:
            if exc.details.get("reason") in ("wrong-role", "facility-mismatch"):
                raise refused(
                    "wrong-certificate",
                    f"The login is not signed by facility {siam}'s certificate: {exc.en}",
                    f"درخواست ورود با گواهی سازمانی مرکز {siam} امضا نشده است.",
                ) from None
            raise refused(
                "bad-signature",
                f"The login signature is not valid: {exc.en}",
                f"امضای ورود معتبر نیست: {exc.fa}",
            ) from None
        row = self.db.one("SELECT active FROM facilities WHERE siam = ?", (siam,))
        if row is None or not row[0]:
            raise refused(
                "unknown-facility",
                f"Facility {siam} is not registered with the exchange (or is suspended).",
                f"مرکز {siam} در سامانه ثبت نشده یا تعلیق شده است.",
                status=403,
            )
        now = dt.datetime.now(dt.UTC)
        if issued.tzinfo is None or abs(now - issued) > SKEW:
            raise refused(
                "clock-skew",
                "The login's time is more than five minutes off; check the workstation clock.",
                "زمان درخواست ورود بیش از پنج دقیقه اختلاف دارد؛ ساعت رایانه را بررسی کنید.",
            )
        t = time.time()
        token = secrets.token_urlsafe(32)
        try:
            with self.db.write() as c:
                c.execute("DELETE FROM auth_nonces WHERE expires <= ?", (t,))
                c.execute("DELETE FROM auth_tokens WHERE expires <= ?", (t,))
                c.execute(
                    "INSERT INTO auth_nonces (nonce, expires) VALUES (?, ?)",
                    (nonce, t + 2 * SKEW.total_seconds()),
                )
                c.execute(
                    "INSERT INTO auth_tokens (token_hash, facility, expires) VALUES (?, ?, ?)",
                    (_digest(token), siam, t + self.ttl),
                )
        except sqlite3.IntegrityError:
            raise refused(
                "replay", "This login was already used.", "این درخواست ورود پیش‌تر استفاده شده است."
            ) from None
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl, "facility": siam}

    def facility(self, authorization: str | None) -> str:
        """The SIAM id behind a bearer token; 401 when missing, unknown or expired."""
        if not authorization or not authorization.startswith("Bearer "):
            raise refused(
                "unauthenticated",
                "Authentication required: log in with the facility certificate.",
                "ورود با گواهی سازمانی مرکز لازم است.",
            )
        found = self.db.one(
            "SELECT facility, expires FROM auth_tokens WHERE token_hash = ?", (_digest(authorization[7:].strip()),)
        )
        if found is None or found[1] < time.time():
            raise refused(
                "token-expired",
                "The access token is unknown or expired; log in again.",
                "نشانهٔ دسترسی نامعتبر یا منقضی است؛ دوباره وارد شوید.",
            )
        return found[0]
