"""A certificate's revocation status and where it comes from (appendix task 7 of the national rules: OCSP and
CRL): the verdict every verification shows beside its result, and the one a signer checks before signing.

| source | when                                                              | `at`                          |
|--------|-------------------------------------------------------------------|-------------------------------|
| `ocsp` | online: the responder answered and its answer checked out          | when the responder said so    |
| `crl`  | offline (or the responder failed): the trust list's CRL of the CA   | the CRL's own issue time      |
| `none` | neither: no CRL of the certificate's CA and no responder            | —                             |

Pure Python: `smartcard.status` asks OCSP and reads CRLs; this module only holds and words the answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    """What the source says about the certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class StatusSource(str, Enum):
    """Where the verdict comes from (see the module's table)."""

    OCSP = "ocsp"
    CRL = "crl"
    NONE = "none"


_VERDICT = {
    Verdict.GOOD: ("good", "معتبر"),
    Verdict.REVOKED: ("revoked", "باطل‌شده"),
    Verdict.UNKNOWN: ("not known", "نامعلوم"),
}
_SOURCE = {
    StatusSource.OCSP: ("OCSP", "OCSP"),
    StatusSource.CRL: ("CRL", "فهرست ابطال (CRL)"),
    StatusSource.NONE: ("no source", "بدون منبع"),
}


@dataclass(frozen=True)
class CertificateStatus:
    """A certificate's status: the `verdict`, its `source`, when the source said so (`at`, UTC; None for
    `none`), the revocation's time and reason when revoked, and `note`: why OCSP was not the source when it
    was not (offline, the responder failed…; one line, English and `note_fa` Persian), "" otherwise. `serial`
    is the certificate's serial number in hex."""

    verdict: Verdict
    source: StatusSource
    at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    reason: str = ""
    note: str = ""
    note_fa: str = ""
    serial: str = ""
    #: True when this is a revocation kept from an earlier OCSP answer (`RevocationMemory`), not asked now
    kept: bool = False

    @property
    def revoked(self) -> bool:
        """True when the source says the certificate is revoked."""
        return self.verdict is Verdict.REVOKED

    def to_dict(self) -> dict[str, Any]:
        """`{"verdict", "source", "at", "revoked_at", "reason", "note", "serial"}`, times ISO 8601 (the
        shape `--json` outputs print under `certificate_status`)."""
        return {
            "verdict": self.verdict.value,
            "source": self.source.value,
            "at": self.at.isoformat() if self.at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason or None,
            "note": self.note or None,
            "serial": self.serial or None,
            "kept": self.kept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CertificateStatus:
        """The status `to_dict` wrote (a missing time is None)."""

        def when(key: str) -> dt.datetime | None:
            return dt.datetime.fromisoformat(data[key]) if data.get(key) else None

        return cls(
            Verdict(data["verdict"]),
            StatusSource(data["source"]),
            when("at"),
            when("revoked_at"),
            data.get("reason") or "",
            data.get("note") or "",
            "",
            data.get("serial") or "",
            bool(data.get("kept")),
        )

    def describe(self, lang: str = "fa") -> str:
        """One line people read: `certificate good — OCSP, 2026-11-30 05:10` or, in Persian,
        `گواهی معتبر — OCSP، ۱۴۰۵/۰۹/۰۹ ۰۵:۱۰`, with the revocation time and the note when there is one."""
        from app.timefmt import format_time

        en, fa = _VERDICT[self.verdict]
        src_en, src_fa = _SOURCE[self.source]
        when = f", {format_time(self.at, lang)}" if self.at else ""
        if lang == "fa":
            revoked = f" از {format_time(self.revoked_at, lang)}" if self.revoked_at else ""
            note = f" ({self.note_fa or self.note})" if self.note else ""
            if self.kept:
                note = " (پاسخ پیشین، نگه‌داشته در این رایانه؛ ابطال دائمی است)"
            return f"گواهی {fa}{revoked} — {src_fa}{when.replace(',', '،')}{note}"
        revoked = f" since {format_time(self.revoked_at, lang)}" if self.revoked_at else ""
        note = f" (OCSP not used: {self.note})" if self.note else ""
        if self.kept:
            note = " (an earlier answer kept on this workstation; revocation is permanent)"
        return f"certificate {en}{revoked} — {src_en}{when}{note}"


class RevocationMemory:
    """Revocations learned through OCSP, kept in the store (`store.results`, subject `cert:<key>`, kind
    `revocation`): a revocation is permanent, so once the responder said so the certificate is refused
    offline too (the CRL may not list it yet), with the OCSP answer's source and time. `results` is the
    store's `ExchangeResults` (anything with `keep(subject, kind, data)` and `get(subject, kind)`)."""

    KIND = "revocation"

    def __init__(self, results: Any) -> None:
        self.results = results

    def recall(self, key: str) -> CertificateStatus | None:
        """The kept revocation of the certificate `key` (issuer and serial), marked `kept`, or None."""
        data = self.results.get(f"cert:{key}", self.KIND)
        if not data:
            return None
        from dataclasses import replace

        return replace(CertificateStatus.from_dict(data), kept=True)

    def keep(self, key: str, status: CertificateStatus) -> None:
        """Remember a revoked `status` of the certificate `key` (other verdicts are not kept)."""
        if status.revoked:
            self.results.keep(f"cert:{key}", self.KIND, status.to_dict())


__all__ = ["CertificateStatus", "RevocationMemory", "StatusSource", "Verdict"]
