"""Is a certificate revoked? OCSP when online, the trust list's CRL offline (appendix task 7).

    checker = StatusChecker(transport)        # transport: anything with .ocsp(request_der) -> response_der
    st = checker.status(cert, trust)          # CertificateStatus: verdict, source (ocsp|crl|none), at, note
    CRL_ONLY.status(cert, trust)              # offline: the CRL decides (what verification does by default)

The checker asks OCSP first when it has a transport and `online()` does not say the workstation is offline;
an OCSP answer that cannot be believed (`smartcard.ocsp`), an `unknown` verdict, or no answer at all falls
back to the CRL, with a note saying why. A good OCSP verdict is remembered for `remember` (default one
minute) so a batch of signatures asks once; a revoked one is final. Signers check their own certificate this
way before signing, and `smartcard.verify` checks every signer's the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from app.certificate_status import CertificateStatus, RevocationMemory, StatusSource, Verdict
from smartcard.ocsp import OcspInvalid, OcspUnavailable, build_request, read_response

if TYPE_CHECKING:
    from smartcard.trustlist import TrustList


class OcspTransport(Protocol):
    """Carries one DER OCSP request to a responder and returns its DER answer; raises `OcspUnavailable`
    when no answer comes (the HTTP one is `sync.ocsp.OcspClient`; the exchange asks its own responder)."""

    def ocsp(self, request: bytes) -> bytes: ...


class StatusSourceLike(Protocol):
    """What verification and signing ask: the status of `cert` against `trust` at `now`."""

    def status(
        self, cert: x509.Certificate, trust: TrustList, now: dt.datetime | None = None
    ) -> CertificateStatus: ...


def issuer_of(cert: x509.Certificate, trust: TrustList) -> x509.Certificate | None:
    """The CA of `trust` that issued `cert` (name and signature), or None."""
    for ca in trust.ca_certificates:
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return ca
    return None


def crl_status(
    cert: x509.Certificate,
    trust: TrustList,
    now: dt.datetime | None = None,
    *,
    note: str = "",
    note_fa: str = "",
) -> CertificateStatus:
    """The status the trust list's CRLs give `cert` at `now`: revoked (revoked before `now`), good (its CA
    has a CRL here that does not list it), or unknown from no source (no CRL of its CA). `at` is the newest
    such CRL's issue time; `note` says why OCSP was not the source."""
    now = now or dt.datetime.now(dt.UTC)
    serial = format(cert.serial_number, "x")
    crls = [c for c in trust.crls if c.issuer == cert.issuer]
    if not crls:
        return CertificateStatus(
            Verdict.UNKNOWN, StatusSource.NONE, note=note, note_fa=note_fa, serial=serial
        )
    issued = max(c.last_update_utc for c in crls)
    revoked = trust.revocation(cert)
    if revoked is not None and revoked <= now:
        return CertificateStatus(
            Verdict.REVOKED,
            StatusSource.CRL,
            issued,
            revoked_at=revoked,
            note=note,
            note_fa=note_fa,
            serial=serial,
        )
    return CertificateStatus(
        Verdict.GOOD, StatusSource.CRL, issued, note=note, note_fa=note_fa, serial=serial
    )


class CrlOnly:
    """The offline source: the trust list's CRLs and nothing else."""

    def status(
        self, cert: x509.Certificate, trust: TrustList, now: dt.datetime | None = None
    ) -> CertificateStatus:
        """`crl_status(cert, trust, now)`."""
        return crl_status(cert, trust, now)


CRL_ONLY = CrlOnly()


class StatusChecker:
    """OCSP through `transport` when online, the CRL otherwise (see the module docstring). `online` is asked
    before each OCSP request: False skips the network at once (nothing waits for it offline). Thread-safe."""

    def __init__(
        self,
        transport: OcspTransport | None,
        *,
        online: Callable[[], bool] | None = None,
        remember: dt.timedelta = dt.timedelta(minutes=1),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        memory: RevocationMemory | None = None,
    ) -> None:
        self.transport, self.online, self.remember, self.clock = transport, online, remember, clock
        self.memory = memory  # revocations OCSP said, kept (they are permanent): refused offline too
        self._good: dict[tuple[bytes, int], tuple[dt.datetime, CertificateStatus]] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop the remembered good verdicts: the next check asks the responder again."""
        with self._lock:
            self._good.clear()

    def status(
        self, cert: x509.Certificate, trust: TrustList, now: dt.datetime | None = None
    ) -> CertificateStatus:
        """The status of `cert` (OCSP, else the CRL of `trust`) at `now` (default: the clock)."""
        now = now or self.clock()
        issuer = issuer_of(cert, trust)
        if issuer is None:  # not ours to vouch for: the chain check refuses it anyway
            return crl_status(
                cert, trust, now, note="its CA is not in the trust list", note_fa="مرجع صدور آن در فهرست نیست"
            )
        memo = f"{hashlib.sha256(cert.issuer.public_bytes()).hexdigest()[:32]}:{cert.serial_number:x}"
        if self.memory is not None:
            kept_revoked = self.memory.recall(memo)
            if kept_revoked is not None:
                return kept_revoked
        if self.transport is None:
            return crl_status(
                cert,
                trust,
                now,
                note="no OCSP responder is configured",
                note_fa="پاسخ‌گوی OCSP تنظیم نشده است",
            )
        if self.online is not None and not self.online():
            return crl_status(cert, trust, now, note="offline", note_fa="بدون شبکه")
        key = (cert.issuer.public_bytes(), cert.serial_number)
        with self._lock:
            kept = self._good.get(key)
        if kept is not None and now - kept[0] < self.remember:
            return kept[1]
        request, nonce = build_request(cert, issuer)
        try:
            answer = read_response(self.transport.ocsp(request), cert, issuer, nonce=nonce, now=now)
        except OcspUnavailable:
            return crl_status(
                cert,
                trust,
                now,
                note="the OCSP responder did not answer (offline)",
                note_fa="پاسخ‌گوی OCSP پاسخ نداد (بدون شبکه)",
            )
        except OcspInvalid as exc:
            problem = str(exc.details.get("problem", "invalid"))
            return crl_status(
                cert,
                trust,
                now,
                note=f"the OCSP answer was not believed ({problem})",
                note_fa="پاسخ OCSP پذیرفتنی نبود",
            )
        if answer.verdict is Verdict.UNKNOWN:
            return crl_status(
                cert,
                trust,
                now,
                note="the OCSP responder does not know it",
                note_fa="پاسخ‌گوی OCSP آن را نمی‌شناسد",
            )
        if answer.verdict is Verdict.GOOD:
            with self._lock:
                self._good[key] = (now, answer)
        elif answer.verdict is Verdict.REVOKED and self.memory is not None:
            self.memory.keep(memo, answer)
        return answer


__all__ = [
    "CRL_ONLY",
    "CrlOnly",
    "OcspTransport",
    "StatusChecker",
    "StatusSourceLike",
    "crl_status",
    "issuer_of",
]
