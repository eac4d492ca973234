"""The trust list: which CAs may issue signing certificates, which of their certificates are revoked.

File format (what `noskhe devtoken init` writes and the exchange will publish), UTF-8 JSON:

    {"format": "noskhe-trust-list/1", "version": "2026-11-22.1", "fetched_at": "2026-11-22T08:00:00+00:00",
     "ca_certificates": ["-----BEGIN CERTIFICATE-----\\n..."], "crls": ["<base64 DER>"],
     "suspended_prescribers": [{"council": "555555", "name": "…", "since": "2026-11-20T09:00:00+00:00"}]}

`suspended_prescribers` (optional) names the prescribers whose medical council licence is suspended, as the
exchange publishes them with the list (refreshed with it): a paper prescription of theirs is refused offline
with that reason, as the exchange refuses their registrations. A CRL revokes a certificate; a suspension
stops a person whatever certificate he signs with.

or a directory of `*.pem`/`*.crt`/`*.cer` CA certificates and `*.crl` files (DER or PEM), with an optional
`VERSION` file. Every CRL must be signed by a CA of the list. Cached in the store as one blob (`BLOB_NAME`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors

from app.signing import VerificationResult
from smartcard._aio import run_sync
from smartcard.config import DEFAULT_TRUST_LIST_MAX_AGE
from smartcard.errors import CertificateRefused, TrustListError
from smartcard.identity import IdentityMapping
from smartcard.verify import verify_detached

if TYPE_CHECKING:
    from smartcard.status import StatusSourceLike

FORMAT = "noskhe-trust-list/1"
BLOB_NAME = "smartcard.trust-list"
DEFAULT_MAX_AGE = DEFAULT_TRUST_LIST_MAX_AGE

# pyHanko logs every failed validation with a traceback; with no handler configured, Python would print it
# on stderr. The records still reach any handler the application installs.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


class BlobStore(Protocol):
    def put_blob(self, name: str, data: bytes) -> None: ...

    def get_blob(self, name: str) -> bytes | None: ...


def _bad(what: str) -> TrustListError:
    return TrustListError(
        f"The trust list is not valid: {what}.", f"فهرست مراجع مورد اعتماد معتبر نیست: {what}."
    )


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


@dataclass(frozen=True)
class Suspension:
    """A prescriber the medical council has suspended: his council number, name and since when (ISO 8601
    text, "" when not known)."""

    council: str
    name: str = ""
    since: str = ""

    def to_dict(self) -> dict[str, str]:
        """`{"council", "name", "since"}`, empty fields left out."""
        return {k: v for k, v in (("council", self.council), ("name", self.name), ("since", self.since)) if v}


@dataclass(frozen=True)
class TrustList:
    ca_certificates: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]
    version: str
    fetched_at: dt.datetime
    suspended: tuple[Suspension, ...] = ()

    def __post_init__(self) -> None:
        if not self.ca_certificates:
            raise _bad("it holds no CA certificate")
        for crl in self.crls:
            if not any(
                ca.subject == crl.issuer and crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
                for ca in self.ca_certificates
            ):
                raise _bad(f"a CRL from {crl.issuer.rfc4514_string()} is not signed by a CA of the list")

    # ---- formats -----------------------------------------------------------------------------------
    def to_json(self) -> bytes:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": self.version,
            "fetched_at": self.fetched_at.isoformat(),
            "ca_certificates": [c.public_bytes(Encoding.PEM).decode("ascii") for c in self.ca_certificates],
            "crls": [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in self.crls],
        }
        if self.suspended:
            doc["suspended_prescribers"] = [s.to_dict() for s in self.suspended]
        return json.dumps(doc, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> TrustList:
        """Parse the JSON format; anything malformed is a `TrustListError`."""
        try:
            doc = json.loads(data)
            if doc.get("format") != FORMAT:
                raise _bad(f"unknown format {doc.get('format')!r}")
            certs = tuple(
                c for pem in doc["ca_certificates"] for c in x509.load_pem_x509_certificates(pem.encode())
            )
            crls = tuple(x509.load_der_x509_crl(base64.b64decode(c)) for c in doc.get("crls", []))
            fetched = dt.datetime.fromisoformat(doc["fetched_at"])
            if fetched.tzinfo is None:
                fetched = fetched.replace(tzinfo=dt.UTC)
            suspended = tuple(
                Suspension(str(s["council"]), str(s.get("name", "")), str(s.get("since", "")))
                for s in doc.get("suspended_prescribers") or ()
            )
            return cls(certs, crls, str(doc["version"]), fetched, suspended)
        except TrustListError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _bad(type(exc).__name__) from None

    @classmethod
    def from_file(cls, path: str | Path) -> TrustList:
        """A JSON trust-list file, or a directory of CA certificates and CRLs."""
        p = Path(path)
        try:
            if not p.is_dir():
                return cls.from_json(p.read_bytes())
            files = sorted(f for f in p.iterdir() if f.is_file())
            certs: list[x509.Certificate] = []
            crls: list[x509.CertificateRevocationList] = []
            digest = hashlib.sha256()
            for f in files:
                raw = f.read_bytes()
                digest.update(raw)
                if f.suffix.lower() in (".pem", ".crt", ".cer"):
                    certs += (
                        x509.load_pem_x509_certificates(raw)
                        if b"-----BEGIN" in raw
                        else [x509.load_der_x509_certificate(raw)]
                    )
                elif f.suffix.lower() == ".crl":
                    crls.append(
                        x509.load_pem_x509_crl(raw) if b"-----BEGIN" in raw else x509.load_der_x509_crl(raw)
                    )
            version_file = p / "VERSION"
            version = (
                version_file.read_text().strip()
                if version_file.exists()
                else "dir-" + digest.hexdigest()[:12]
            )
            newest = max((f.stat().st_mtime for f in files), default=0.0)
            return cls(tuple(certs), tuple(crls), version, dt.datetime.fromtimestamp(newest, dt.UTC))
        except OSError as exc:
            raise TrustListError(
                f"Cannot read the trust list at {p}: {exc.strerror}.",
                f"فهرست مراجع مورد اعتماد در {p} خوانده نشد.",
            ) from None
        except ValueError as exc:
            raise _bad(str(exc)) from None

    def save(self, store: BlobStore) -> None:
        """Cache in the store (replacing the previous list)."""
        store.put_blob(BLOB_NAME, self.to_json())

    @classmethod
    def load(cls, store: BlobStore) -> TrustList | None:
        """The cached list, or None when the store has none yet."""
        data = store.get_blob(BLOB_NAME)
        return None if data is None else cls.from_json(data)

    # ---- questions ---------------------------------------------------------------------------------
    def suspension(self, council: str | None) -> Suspension | None:
        """The suspension of the prescriber with medical council number `council`, or None (not suspended
        as far as this list knows, or no number)."""
        return next((s for s in self.suspended if council and s.council == council), None)

    def with_suspensions(self, suspended: tuple[Suspension, ...]) -> TrustList:
        """The same list carrying `suspended` as its suspended prescribers (what the exchange publishes)."""
        return TrustList(self.ca_certificates, self.crls, self.version, self.fetched_at, tuple(suspended))

    def is_stale(self, now: dt.datetime, max_age: dt.timedelta = DEFAULT_MAX_AGE) -> bool:
        """True when fetched longer than `max_age` ago or a CRL is past its next update."""
        if now - self.fetched_at > max_age:
            return True
        return any(c.next_update_utc is not None and c.next_update_utc < now for c in self.crls)

    def revocation(self, cert: x509.Certificate) -> dt.datetime | None:
        """When `cert` was revoked according to its issuer's CRL here, or None (not listed / no CRL)."""
        dates = [
            entry.revocation_date_utc
            for crl in self.crls
            if crl.issuer == cert.issuer
            and (entry := crl.get_revoked_certificate_by_serial_number(cert.serial_number)) is not None
        ]
        return min(dates, default=None)

    def validation_context(self, moment: dt.datetime) -> ValidationContext:
        """For pyHanko: our CAs as the only roots, nothing fetched; revocation is ours (see `revocation`)."""
        return ValidationContext(
            trust_roots=[_to_asn1(c) for c in self.ca_certificates],
            allow_fetching=False,
            revocation_mode="soft-fail",
            moment=moment,
        )

    def check_chain(self, cert: x509.Certificate, moment: dt.datetime) -> None:
        """`CertificateRefused` (reason untrusted/unreadable) unless `cert` chains to a CA here at `moment`."""
        try:
            validator = CertificateValidator(
                _to_asn1(cert), validation_context=self.validation_context(moment)
            )
            run_sync(validator.async_validate_path())
        except (
            cv_errors.PathBuildingError,
            cv_errors.PathValidationError,
            cv_errors.InvalidCertificateError,
        ) as exc:
            name = cert.subject.rfc4514_string()
            raise CertificateRefused(
                f"The certificate of {name} is not issued by a CA in the trust list ({type(exc).__name__}).",
                f"گواهی {name} از سوی مرجع مورد اعتماد صادر نشده است.",
                reason="untrusted",
            ) from None
        except ValueError:
            raise CertificateRefused(
                "The certificate's names cannot be read.", "نام‌های گواهی خوانا نیست.", reason="unreadable"
            ) from None

    def verify(
        self,
        data: bytes,
        cms_der: bytes,
        *,
        now: dt.datetime | None = None,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
        mapping: IdentityMapping | None = None,
        revocation: StatusSourceLike | None = None,
    ) -> VerificationResult:
        """Verify one detached CMS signature over `data`: `smartcard.verify.verify_detached`, whose result
        and refusals (`SignatureInvalid` subclasses) it returns and raises; revocation is asked of
        `revocation` (OCSP when online; by default this list's CRLs, offline). A signed document of the
        program (prescription, dispensing, paper…) is verified with `smartcard.verify.verify` instead, which
        also applies the signature policy."""
        return verify_detached(
            self, data, cms_der, now=now, max_age=max_age, mapping=mapping, revocation=revocation
        )

    def summary(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "fetched_at": self.fetched_at.isoformat(),
            "cas": [c.subject.rfc4514_string() for c in self.ca_certificates],
            "crls": len(self.crls),
            "suspended_prescribers": [s.council for s in self.suspended],
        }
