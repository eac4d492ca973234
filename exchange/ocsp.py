"""The OCSP responder started with the reference exchange (appendix task 7 of the national rules: OCSP and
CRL), for the certificates of the CA whose key it is given (the dev CA: `ca-key.pem` beside the trust list
`noskhe devtoken init` writes, or `exchange serve --ocsp-key FILE`).

    POST /ocsp               application/ocsp-request → application/ocsp-response (RFC 6960, no login)
    GET  /ocsp/{base64}      the same, the request in the URL (RFC 6960 appendix A.1)
    POST /admin/revoke       {"certificate": PEM} or {"serial": hex}, optional "reason" (RFC 5280 name,
                             e.g. key_compromise) and "at" (ISO 8601): revoked here from now on

Answers are real OCSP responses built with `cryptography.x509.ocsp`, signed by a delegated responder: a
certificate the CA issues at start for OCSP signing (extended key usage id-kp-OCSPSigning, id-pkix-ocsp-nocheck),
valid for a day and made again before it ends. A certificate is `revoked` when it was revoked here
(`revocations`, before any CRL knows it) or by a CRL of the published trust list, `good` otherwise; a
request about another CA's certificate is answered `unauthorized`. The nonce of the request is echoed.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from exchange.db import ExchangeDB
from exchange.errors import ExchangeError, malformed
from smartcard.ocsp import key_hash, name_hash

if TYPE_CHECKING:
    from smartcard.trustlist import TrustList

SCHEMA = """
CREATE TABLE IF NOT EXISTS revocations (serial TEXT PRIMARY KEY, issuer TEXT NOT NULL DEFAULT '',
    revoked_at TEXT NOT NULL, reason TEXT NOT NULL DEFAULT 'unspecified', subject TEXT NOT NULL DEFAULT '')
"""
#: how long an answer may be relied on (its nextUpdate)
ANSWER_VALID = dt.timedelta(minutes=5)
RESPONDER_VALID = dt.timedelta(days=1)
CONTENT_TYPE = "application/ocsp-response"


def dev_ca_key(trust_list: Path | str | None) -> Path | None:
    """The dev CA's key that `noskhe devtoken init` writes beside its trust list (`ca-key.pem`), when it is
    there: what the reference exchange answers OCSP with by default."""
    if trust_list is None:
        return None
    p = Path(trust_list)
    found = (p if p.is_dir() else p.parent) / "ca-key.pem"
    return found if found.is_file() else None


def _reason(text: str) -> x509.ReasonFlags:
    """A revocation reason by its RFC 5280 name (`keyCompromise`) or its Python one (`key_compromise`)."""
    try:
        return x509.ReasonFlags[text]
    except KeyError:
        return x509.ReasonFlags(text)


class OcspResponder:
    """Answers OCSP requests about the certificates of the CA whose private key is at `ca_key` (PEM), among
    the CAs of the trust list `trust()` gives; keeps the revocations made here in `db`."""

    def __init__(self, db: ExchangeDB, trust: Callable[[], TrustList], ca_key: Path | str | None) -> None:
        self.db, self.trust = db, trust
        self._key = (
            serialization.load_pem_private_key(Path(ca_key).read_bytes(), password=None) if ca_key else None
        )
        self._responder: tuple[x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate] | None = None
        self._lock = threading.Lock()
        with db.write() as c:
            c.execute(SCHEMA)

    # ---- revoking ---------------------------------------------------------------------------------------

    def revoke(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /admin/revoke: revoke a certificate (its PEM, or its serial in hex) here, from `at` (default
        now), for `reason`; returns what was recorded. Raises `ExchangeError` 400 for a malformed body."""
        try:
            reason = _reason(str(body.get("reason") or "unspecified")).value
            if body.get("certificate"):
                cert = x509.load_pem_x509_certificate(str(body["certificate"]).encode())
                serial, issuer, subject = (
                    cert.serial_number,
                    cert.issuer.rfc4514_string(),
                    cert.subject.rfc4514_string(),
                )
            else:
                serial, issuer, subject = int(str(body["serial"]), 16), "", ""
            at = dt.datetime.fromisoformat(str(body["at"])) if body.get("at") else dt.datetime.now(dt.UTC)
        except (KeyError, ValueError, TypeError):
            raise malformed(
                "revoke: a certificate (PEM) or serial (hex), a known reason, at (ISO 8601)"
            ) from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        row = {"serial": format(serial, "x"), "issuer": issuer, "subject": subject, "reason": reason}
        with self.db.write() as c:
            c.execute(
                "INSERT OR REPLACE INTO revocations (serial, issuer, revoked_at, reason, subject) VALUES (?,?,?,?,?)",
                (row["serial"], issuer, at.isoformat(), reason, subject),
            )
            ExchangeDB.event(c, "admin", "certificate-revoked", row["serial"], subject)
        return {**row, "revoked_at": at.isoformat()}

    def revoked(self, ca: x509.Certificate, serial: int) -> tuple[dt.datetime, x509.ReasonFlags] | None:
        """When and why certificate `serial` of `ca` is revoked (here first, else by a published CRL), or
        None."""
        row = self.db.one(
            "SELECT revoked_at, reason FROM revocations WHERE serial = ?", (format(serial, "x"),)
        )
        if row is not None:
            return dt.datetime.fromisoformat(row[0]), x509.ReasonFlags(row[1])
        for crl in self.trust().crls:
            if crl.issuer != ca.subject:
                continue
            entry = crl.get_revoked_certificate_by_serial_number(serial)
            if entry is not None:
                return entry.revocation_date_utc, x509.ReasonFlags.unspecified
        return None

    # ---- answering ----------------------------------------------------------------------------------------

    def _signer(self, ca: x509.Certificate) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
        """The delegated responder for `ca` (made, or made again when it is about to end), or None when the
        key given is not this CA's."""
        if self._key is None:
            return None
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        der = serialization.Encoding.DER
        if ca.public_key().public_bytes(der, spki) != self._key.public_key().public_bytes(der, spki):
            return None
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            held = self._responder
            if held is None or held[0] != ca or held[2].not_valid_after_utc - now < dt.timedelta(hours=1):
                key = ec.generate_private_key(ec.SECP256R1())
                cert = (
                    x509.CertificateBuilder()
                    .subject_name(
                        x509.Name(
                            [
                                x509.NameAttribute(NameOID.COMMON_NAME, "Noskhe TEST OCSP responder"),
                                x509.NameAttribute(
                                    NameOID.ORGANIZATION_NAME, "Noskhe TEST — not for clinical use"
                                ),
                            ]
                        )
                    )
                    .issuer_name(ca.subject)
                    .public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - dt.timedelta(minutes=5))
                    .not_valid_after(now + RESPONDER_VALID)
                    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True)
                    .add_extension(x509.OCSPNoCheck(), critical=False)
                    .sign(self._key, hashes.SHA256())  # type: ignore[arg-type]
                )
                held = self._responder = (ca, key, cert)
        return held[2], held[1]

    def respond(self, request: bytes) -> bytes:
        """The DER OCSP response to the DER `request` (see the module docstring); never raises."""
        unsuccessful = ocsp.OCSPResponseBuilder.build_unsuccessful
        try:
            req = ocsp.load_der_ocsp_request(request)
        except ValueError:
            return unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
                serialization.Encoding.DER
            )
        algorithm = req.hash_algorithm
        try:
            ca = next(
                c
                for c in self.trust().ca_certificates
                if name_hash(c.subject, algorithm) == req.issuer_name_hash
                and key_hash(c, algorithm) == req.issuer_key_hash
            )
        except (StopIteration, ExchangeError):
            ca = None
        signer = self._signer(ca) if ca is not None else None
        if ca is None or signer is None:
            return unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
        responder, key = signer
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        revoked = self.revoked(ca, req.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=req.issuer_name_hash,
            issuer_key_hash=req.issuer_key_hash,
            serial_number=req.serial_number,
            algorithm=algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + ANSWER_VALID,
            revocation_time=revoked[0] if revoked else None,
            revocation_reason=revoked[1] if revoked else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder).certificates([responder])
        try:
            nonce = req.extensions.get_extension_for_class(x509.OCSPNonce).value
            builder = builder.add_extension(nonce, critical=False)
        except x509.ExtensionNotFound:
            pass
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def respond_http(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """The HTTP answer to `POST /ocsp` (DER body) or `GET /ocsp/{base64 DER}`: `(status, DER)`."""
        if method == "POST":
            return 200, self.respond(body)
        try:
            raw = base64.b64decode(
                path.removeprefix("/ocsp/").replace("%2B", "+").replace("%2F", "/").replace("%3D", "=")
            )
        except ValueError:
            raw = b""
        return 200, self.respond(raw)


class ResponderStatus:
    """The exchange's own certificate status source for the signatures and logins it checks: the verdict its
    OCSP responder would give (`OcspResponder.revoked`: revoked here first, else by a published CRL), read
    directly — no OCSP request built, signed and parsed again for every signature — with the source `ocsp`,
    as `smartcard.status.StatusChecker` over `LocalOcsp` gave it. A certificate of a CA the responder does not
    answer for gets the CRL's verdict with the note StatusChecker writes. Revocation is read for every
    signature: nothing is remembered, so a certificate revoked in any worker is refused by all at once."""

    def __init__(self, responder: OcspResponder) -> None:
        self.responder = responder
        self._issuers: dict[tuple[bytes, bytes], x509.Certificate | None] = {}

    def _issuer(self, cert: x509.Certificate, trust: TrustList) -> x509.Certificate | None:
        """`smartcard.status.issuer_of`, remembered per (certificate, trust list version)."""
        from smartcard.status import issuer_of

        key = (cert.fingerprint(hashes.SHA256()), str(trust.version).encode())
        if key not in self._issuers:
            if len(self._issuers) > 4096:
                self._issuers.clear()
            self._issuers[key] = issuer_of(cert, trust)
        return self._issuers[key]

    def status(self, cert: x509.Certificate, trust: TrustList, now: dt.datetime | None = None) -> Any:
        """The `CertificateStatus` of `cert` at `now` (see the class docstring)."""
        from app.certificate_status import CertificateStatus, StatusSource, Verdict
        from smartcard.status import crl_status

        now = now or dt.datetime.now(dt.UTC)
        issuer = self._issuer(cert, trust)
        if issuer is None:
            return crl_status(
                cert, trust, now, note="its CA is not in the trust list", note_fa="مرجع صدور آن در فهرست نیست"
            )
        if self.responder._signer(issuer) is None:
            return crl_status(
                cert,
                trust,
                now,
                note="the OCSP answer was not believed (unsuccessful)",
                note_fa="پاسخ OCSP پذیرفتنی نبود",
            )
        at = now.replace(microsecond=0)
        serial = format(cert.serial_number, "x")
        revoked = self.responder.revoked(issuer, cert.serial_number)
        if revoked is None:
            return CertificateStatus(Verdict.GOOD, StatusSource.OCSP, at, serial=serial)
        when = revoked[0] if revoked[0].tzinfo else revoked[0].replace(tzinfo=dt.UTC)
        return CertificateStatus(
            Verdict.REVOKED,
            StatusSource.OCSP,
            at,
            revoked_at=when.replace(microsecond=0),
            reason=revoked[1].value,
            serial=serial,
        )


class LocalOcsp:
    """The exchange asking its own responder, in process (how it checks the signatures it receives)."""

    def __init__(self, responder: OcspResponder) -> None:
        self.responder = responder

    def ocsp(self, request: bytes) -> bytes:
        """The responder's DER answer to `request`."""
        return self.responder.respond(request)


__all__ = ["CONTENT_TYPE", "LocalOcsp", "OcspResponder", "ResponderStatus", "dev_ca_key"]
