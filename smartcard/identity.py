"""Who a certificate belongs to, and whether we may sign with it.

Subject attributes read by default (override any of them with `IdentityMapping.from_dict`):

| field | attribute | example |
|---|---|---|
| full name | CN (2.5.4.3); O when there is no CN | `سارا احمدی` |
| national code | serialNumber (2.5.4.5) | `0012345679` |
| role | title, T (2.5.4.12) | `Physician`, `Pharmacist`, `Facility` (Persian forms also understood) |
| registration | OU (2.5.4.11), by prefix | `MC-123456` medical council number, `PL-98765` pharmacist licence, `SIAM-...` facility SIAM id |

When a certificate states no role (a national-card certificate), the registration prefix decides; when it
states neither, it may still sign as prescriber or pharmacist if its national code is the logged-in user's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from app.signing import SignatureRole, SignerIdentity
from app.timefmt import format_times
from smartcard.errors import CertificateRefused
from smartcard.status import CRL_ONLY

if TYPE_CHECKING:
    from smartcard.status import StatusSourceLike
    from smartcard.trustlist import TrustList

_SHORT_NAMES = {
    "CN": NameOID.COMMON_NAME.dotted_string,
    "serialNumber": NameOID.SERIAL_NUMBER.dotted_string,
    "T": NameOID.TITLE.dotted_string,
    "title": NameOID.TITLE.dotted_string,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string,
    "O": NameOID.ORGANIZATION_NAME.dotted_string,
    "GN": NameOID.GIVEN_NAME.dotted_string,
    "SN": NameOID.SURNAME.dotted_string,
    "UID": NameOID.USER_ID.dotted_string,
}
_ROLE_OF_NUMBER = {
    "medical_council_number": SignatureRole.PRESCRIBER,
    "pharmacist_licence": SignatureRole.PHARMACIST,
    "siam_id": SignatureRole.FACILITY,
}
SIGNING_USAGES = frozenset({"non_repudiation", "digital_signature"})
#: extended key usages that allow signing documents, when a certificate carries an EKU at all (the dev CA's
#: and the national cards' signing certificates carry none): S/MIME emailProtection, document signing
#: (RFC 9336, Microsoft's, Adobe's Authentic Documents) and anyExtendedKeyUsage
SIGNING_EXTENDED_USAGES = frozenset(
    {
        "1.3.6.1.5.5.7.3.4",  # id-kp-emailProtection
        "1.3.6.1.5.5.7.3.36",  # id-kp-documentSigning (RFC 9336)
        "1.3.6.1.4.1.311.10.3.12",  # Microsoft document signing
        "1.2.840.113583.1.1.5",  # Adobe Authentic Documents Trust
        "2.5.29.37.0",  # anyExtendedKeyUsage
    }
)


@dataclass(frozen=True)
class IdentityMapping:
    """Which subject attributes carry what. Attribute values are short names (CN, OU, T…) or dotted OIDs."""

    attributes: dict[str, str] = field(
        default_factory=lambda: {
            "name": "CN",
            "national_code": "serialNumber",
            "title": "T",
            "registration": "OU",
        }
    )
    prefixes: dict[str, str] = field(
        default_factory=lambda: {
            "MC-": "medical_council_number",
            "PL-": "pharmacist_licence",
            "SIAM-": "siam_id",
        }
    )
    titles: dict[str, SignatureRole] = field(
        default_factory=lambda: {
            "physician": SignatureRole.PRESCRIBER,
            "پزشک": SignatureRole.PRESCRIBER,
            "pharmacist": SignatureRole.PHARMACIST,
            "داروساز": SignatureRole.PHARMACIST,
            "facility": SignatureRole.FACILITY,
            "مرکز": SignatureRole.FACILITY,
        }
    )

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> IdentityMapping:
        """Defaults overridden key by key from `{"attributes": {...}, "prefixes": {...}, "titles": {...}}`."""
        base = cls()
        titles = dict(base.titles)
        titles.update({k.lower(): SignatureRole(v) for k, v in config.get("titles", {}).items()})
        return cls(
            attributes={**base.attributes, **config.get("attributes", {})},
            prefixes={**base.prefixes, **config.get("prefixes", {})},
            titles=titles,
        )

    def oid(self, what: str) -> ObjectIdentifier:
        name = self.attributes[what]
        return ObjectIdentifier(_SHORT_NAMES.get(name, name))


DEFAULT_MAPPING = IdentityMapping()


def key_usages(cert: x509.Certificate) -> frozenset[str]:
    """Key usages named as in RFC 5280 (`non_repudiation` for contentCommitment); empty when absent."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return frozenset()
    names = {
        "digital_signature": ku.digital_signature,
        "non_repudiation": ku.content_commitment,
        "key_encipherment": ku.key_encipherment,
        "data_encipherment": ku.data_encipherment,
        "key_agreement": ku.key_agreement,
        "key_cert_sign": ku.key_cert_sign,
        "crl_sign": ku.crl_sign,
    }
    return frozenset(n for n, on in names.items() if on)


def extended_usage_allows_signing(cert: x509.Certificate) -> bool:
    """False when `cert` carries an extended key usage that names none of `SIGNING_EXTENDED_USAGES` (a TLS
    server's certificate, serverAuth only); True when it has none (no restriction) or names one."""
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return any(oid.dotted_string in SIGNING_EXTENDED_USAGES for oid in eku)


def _values(cert: x509.Certificate, oid: ObjectIdentifier) -> list[str]:
    return [str(a.value).strip() for a in cert.subject.get_attributes_for_oid(oid)]


def identity_from_certificate(
    cert: x509.Certificate, mapping: IdentityMapping = DEFAULT_MAPPING
) -> SignerIdentity:
    """The holder as the subject names them; `role` is None when the certificate states none."""
    names = _values(cert, mapping.oid("name")) or _values(cert, NameOID.ORGANIZATION_NAME)
    national = _values(cert, mapping.oid("national_code"))
    numbers: dict[str, str] = {}
    for value in _values(cert, mapping.oid("registration")):
        for prefix, what in mapping.prefixes.items():
            if value.upper().startswith(prefix.upper()) and what not in numbers:
                numbers[what] = value[len(prefix) :].strip()
    role = next(
        (
            mapping.titles[t.lower()]
            for t in _values(cert, mapping.oid("title"))
            if t.lower() in mapping.titles
        ),
        None,
    )
    if role is None and numbers:
        role = _ROLE_OF_NUMBER.get(next(iter(numbers)))
    return SignerIdentity(
        name=names[0] if names else cert.subject.rfc4514_string(),
        national_code=national[0] if national else None,
        role=role,
        **{k: v for k, v in numbers.items() if k in _ROLE_OF_NUMBER},
    )


def _refuse(reason: str, en: str, fa: str) -> CertificateRefused:
    return CertificateRefused(en, fa, reason=reason)


def check_certificate(
    cert: x509.Certificate,
    *,
    role: SignatureRole,
    trust: TrustList,
    now: dt.datetime,
    expected: SignerIdentity | None = None,
    mapping: IdentityMapping = DEFAULT_MAPPING,
    revocation: StatusSourceLike | None = None,
) -> SignerIdentity:
    """The signer identity if `cert` may sign as `role` at `now`; otherwise `CertificateRefused`, whose
    `details['reason']` names the first failed check (key-usage, not-yet-valid, expired, untrusted,
    revoked, wrong-role, wrong-holder). Revocation is asked of `revocation` (`smartcard.status`: OCSP when
    online, the CRL offline; by default the trust list's CRL); a revoked certificate's refusal names its
    source (`details['source']`)."""
    who = identity_from_certificate(cert, mapping)
    if not key_usages(cert) & SIGNING_USAGES or not extended_usage_allows_signing(cert):
        raise _refuse(
            "key-usage",
            f"The certificate of {who.name} is not for signing (no non-repudiation or "
            "digital-signature key usage).",
            f"گواهی {who.name} برای امضا صادر نشده است.",
        )
    if now < cert.not_valid_before_utc:
        start_en, start_fa = format_times(cert.not_valid_before_utc)
        raise _refuse(
            "not-yet-valid",
            f"The certificate of {who.name} is valid only from {start_en}.",
            f"گواهی {who.name} هنوز معتبر نشده است (از {start_fa}).",
        )
    if now > cert.not_valid_after_utc:
        end_en, end_fa = format_times(cert.not_valid_after_utc)
        raise _refuse(
            "expired",
            f"The certificate of {who.name} expired on {end_en}.",
            f"گواهی {who.name} منقضی شده است ({end_fa}).",
        )
    trust.check_chain(cert, now)
    verdict = (revocation or CRL_ONLY).status(cert, trust, now)
    if verdict.revoked:
        when_en, when_fa = format_times(verdict.revoked_at)
        source = verdict.source.value.upper()
        raise CertificateRefused(
            f"The certificate of {who.name} was revoked on {when_en} ({source}); it cannot sign.",
            f"گواهی {who.name} باطل شده است ({when_fa}، به گفتهٔ {source}) و با آن امضا نمی‌شود.",
            reason="revoked",
            source=verdict.source.value,
        )
    if who.role is None and role is SignatureRole.FACILITY:
        raise _refuse(
            "wrong-role",
            f"The certificate of {who.name} is not a facility certificate.",
            f"گواهی {who.name} گواهی سازمانی مرکز نیست.",
        )
    if who.role is not None and who.role is not role:
        raise _refuse(
            "wrong-role",
            f"The certificate of {who.name} is for a {who.role.value}, not a {role.value}.",
            f"گواهی {who.name} برای نقش دیگری است و برای این امضا پذیرفته نیست.",
        )
    if expected is not None or who.role is None:
        _check_holder(who, expected)
    return replace(who, role=role)


def _check_holder(who: SignerIdentity, expected: SignerIdentity | None) -> None:
    fields = ("national_code", "medical_council_number", "pharmacist_licence", "siam_id")
    pairs = [(getattr(who, f), getattr(expected, f)) for f in fields] if expected else []
    compared = [(a, b) for a, b in pairs if a is not None and b is not None]
    if not compared or any(a != b for a, b in compared):
        raise _refuse(
            "wrong-holder",
            f"The certificate on this token belongs to {who.name}, not to the user logged in to Noskhe.",
            f"گواهی روی این توکن متعلق به {who.name} است، نه کاربر واردشده.",
        )
