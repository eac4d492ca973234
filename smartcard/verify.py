"""Offline verification: one detached CMS signature (`verify_detached`), and a whole signed document under
the signature policy (`verify`), which the client, the paper verifier and the reference exchange all call.

Policy for one signature, since CAdES-BES carries no trusted time: the certificate must have been valid at
the signing time it claims, that time may not lie in the future, and a certificate revoked by now fails
whatever date it claims (a thief could backdate). A stale trust list is reported, not fatal: it is the
caller's to show. Each refusal is its own `SignatureInvalid` subclass naming the real cause, checked in this
order: malformed → missing signed attributes → weak digest → future signing time → content mismatch → bad
signature value → key usage → validity at the signing time → untrusted chain → revoked.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import (
    async_validate_detached_cms,
    extract_self_reported_ts,
    validate_sig_integrity,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints

from app.certificate_status import CertificateStatus
from app.signature_policy import (
    HOLDER_NUMBER,
    DocumentKind,
    HolderProblem,
    Party,
    RoleProblem,
    holder_problem,
    may_sign_as,
    required_roles,
    role_problems,
)
from app.signing import SignatureRole, SignerIdentity, VerificationResult
from smartcard._aio import run_sync
from smartcard.config import DEFAULT_TRUST_LIST_MAX_AGE
from smartcard.errors import (
    BadSignatureValue,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    ContentMismatch,
    FacilityMismatch,
    FutureSigningTime,
    MissingSignature,
    MissingSignedAttributes,
    SignatureInvalid,
    SignatureMalformed,
    SignerMismatch,
    UnexpectedSignature,
    UntrustedChain,
    WeakDigest,
    WrongKeyUsage,
    WrongRole,
)
from smartcard.identity import (
    DEFAULT_MAPPING,
    SIGNING_USAGES,
    IdentityMapping,
    extended_usage_allows_signing,
    identity_from_certificate,
    key_usages,
)
from smartcard.status import CRL_ONLY

if TYPE_CHECKING:
    from smartcard.status import StatusSourceLike
    from smartcard.trustlist import TrustList

CLOCK_SKEW = dt.timedelta(minutes=5)
#: digest algorithms accepted in a signature and in the signer certificate's own signature
ACCEPTED_DIGESTS = frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"})
#: the signed attributes of CAdES-BES (ETSI EN 319 122-1), which `smartcard.cms` always writes
REQUIRED_SIGNED_ATTRIBUTES = ("content_type", "message_digest", "signing_time", "signing_certificate_v2")


# ---- validated certificate paths ---------------------------------------------------------------------

#: how many (signer certificate, trust list) paths are remembered (a pharmacy sees a few hundred signers)
PATH_CACHE_SIZE = 4096


class _PathCache:
    """Certificate paths pyHanko has already validated, keyed by the signer certificate's SHA-256 and the
    trust list (its version and its CA certificates' fingerprints), each with the span of time in which
    every certificate of the path is valid. Only a path that validated is kept; a signature whose claimed
    signing time falls outside the span is validated again in full. Revocation is not cached: it is the
    trust list's CRLs, read for every signature (`TrustList.revocation`)."""

    def __init__(self, size: int = PATH_CACHE_SIZE) -> None:
        self.size = size
        self._spans: OrderedDict[tuple[bytes, str, tuple[bytes, ...]], tuple[dt.datetime, dt.datetime]] = (
            OrderedDict()
        )
        self._trust_keys: dict[int, tuple[object, tuple[bytes, ...]]] = {}
        self._lock = threading.Lock()

    def key(self, cert_der: bytes, trust: TrustList) -> tuple[bytes, str, tuple[bytes, ...]]:
        cas = self._trust_keys.get(id(trust))
        if cas is None or cas[0] is not trust:
            fingerprints = tuple(c.fingerprint(hashes.SHA256()) for c in trust.ca_certificates)
            cas = (trust, fingerprints)
            with self._lock:
                if len(self._trust_keys) > 64:
                    self._trust_keys.clear()
                self._trust_keys[id(trust)] = cas
        digest = hashes.Hash(hashes.SHA256())
        digest.update(cert_der)
        return digest.finalize(), trust.version, cas[1]

    def covers(self, key: tuple[bytes, str, tuple[bytes, ...]], moment: dt.datetime) -> bool:
        with self._lock:
            span = self._spans.get(key)
            if span is None:
                return False
            self._spans.move_to_end(key)
        return span[0] <= moment <= span[1]

    def keep(self, key: tuple[bytes, str, tuple[bytes, ...]], path: object) -> None:
        try:
            certs = list(path.iter_certs(include_root=True))  # type: ignore[attr-defined]
            span = (
                max(c.not_valid_before for c in certs),
                min(c.not_valid_after for c in certs),
            )
        except (AttributeError, TypeError, ValueError):
            return
        with self._lock:
            self._spans[key] = span
            self._spans.move_to_end(key)
            while len(self._spans) > self.size:
                self._spans.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self._trust_keys.clear()


PATHS = _PathCache()


def _integrity(
    signed: cms.SignedData, signer: cms.SignerInfo, data: bytes, cert_der: bytes
) -> tuple[bool, bool]:
    """(intact, valid) of the signature alone — digest over `data` and signature value — as pyHanko's full
    validation computes them, for a signer whose certificate path is already known good."""
    algorithm = signer["digest_algorithm"]["algorithm"].native
    h = hashes.Hash(getattr(hashes, algorithm.upper())())
    h.update(data)
    content_type = signed["encap_content_info"]["content_type"].native
    return validate_sig_integrity(signer, asn1_x509.Certificate.load(cert_der), content_type, h.finalize())


# ---- one CMS ------------------------------------------------------------------------------------------


def _parse(cms_der: bytes) -> tuple[cms.SignedData, cms.SignerInfo, set[str]]:
    """The SignedData, its one signer and the types of that signer's signed attributes."""
    try:
        info = cms.ContentInfo.load(cms_der)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed = info["content"]
        signers = signed["signer_infos"]
        if len(signers) != 1 or signed["encap_content_info"]["content"].native is not None:
            raise ValueError("expected one signer and detached content")
        signer = signers[0]
        attrs = signer["signed_attrs"]
        # the types only: `attrs.native` would parse every attribute into Python values and leave them
        # re-encoded on the next dump (the signature check then cost five times as much)
        present = set() if isinstance(attrs, core.Void) else {a["type"].native for a in attrs}
    except (ValueError, KeyError, TypeError, OverflowError):
        raise SignatureMalformed.because() from None
    return signed, signer, present


def _signer_certificate(signed: cms.SignedData, signer: cms.SignerInfo) -> x509.Certificate:
    sid = signer["sid"]
    for choice in signed["certificates"] or []:
        cert = choice.chosen
        if not isinstance(cert, asn1_x509.Certificate):
            continue
        if sid.name == "issuer_and_serial_number":
            issuer = sid.chosen["issuer"]
            found = cert.serial_number == sid.chosen["serial_number"].native and (
                cert.issuer.dump() == issuer.dump() or cert.issuer == issuer  # same bytes: no name folding
            )
        else:
            found = cert.key_identifier == sid.chosen.native
        if found:
            try:
                return x509.load_der_x509_certificate(cert.dump())
            except ValueError:
                break
    raise SignatureMalformed.because("the signer's certificate is not in it")


def _weak_digest(signer: cms.SignerInfo, cert: x509.Certificate) -> str | None:
    """The first digest algorithm below `ACCEPTED_DIGESTS`: the signature's, its signature algorithm's, or
    the one the CA used to sign the signer's certificate. None when all are accepted."""
    used = [signer["digest_algorithm"]["algorithm"].native]
    try:
        used.append(signer["signature_algorithm"].hash_algo)
    except ValueError:
        pass  # plain rsaEncryption / ecdsa: the digest algorithm above is the one
    try:
        if cert.signature_hash_algorithm is not None:
            used.append(cert.signature_hash_algorithm.name.replace("-", "_"))
    except UnsupportedAlgorithm:
        used.append("unsupported")
    return next((d for d in used if d not in ACCEPTED_DIGESTS), None)


def verify_detached(
    trust: TrustList,
    data: bytes,
    cms_der: bytes,
    *,
    now: dt.datetime | None = None,
    max_age: dt.timedelta = DEFAULT_TRUST_LIST_MAX_AGE,
    mapping: IdentityMapping | None = None,
    revocation: StatusSourceLike | None = None,
) -> VerificationResult:
    """Verify one detached CAdES-BES signature `cms_der` (DER) over `data` against `trust`, offline.

    Returns the signer as the certificate names him, the role the certificate states (None for a
    national-card certificate), the signing time it claims and the trust list's version and staleness.
    Raises one `SignatureInvalid` subclass per cause (see the module docstring; `details['reason']` too).
    Checks a signature only: which roles a document needs and whose they must be is `verify`'s work.
    Revocation is asked of `revocation` (`smartcard.status.StatusChecker`: OCSP when online, the CRL offline);
    by default the trust list's CRLs decide and the network is never touched. The result carries the
    verdict and its source (`certificate_status`); a revoked certificate is `CertificateRevoked` naming its
    source (`details['source']`: ocsp or crl)."""
    now = now or dt.datetime.now(dt.UTC)
    signed, signer, present = _parse(cms_der)
    cert = _signer_certificate(signed, signer)
    # The digest first: a SHA-1 signature lacks signing_certificate_v2 too (it carries the SHA-1 v1), and
    # its real cause is the weak digest.
    weak = _weak_digest(signer, cert)
    if weak is not None:
        raise WeakDigest.because(weak, algorithm=weak)
    missing = [a for a in REQUIRED_SIGNED_ATTRIBUTES if a not in present]
    if missing:
        raise MissingSignedAttributes.because(", ".join(missing), missing=missing)
    signed_at = extract_self_reported_ts(signer)
    if signed_at is None:  # pragma: no cover - signing_time is a required attribute, checked above
        raise MissingSignedAttributes.because("signing_time", missing=["signing_time"])
    if signed_at > now + CLOCK_SKEW:
        raise FutureSigningTime.because()
    cert_der = cert.public_bytes(Encoding.DER)
    path_key = PATHS.key(cert_der, trust)
    try:
        if PATHS.covers(path_key, signed_at):
            # the same path validated before under this trust list: only the signature itself is checked
            intact, valid = _integrity(signed, signer, data, cert_der)
            trusted = True
        else:
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
            intact, valid, trusted = status.intact, status.valid, status.trusted
            if intact and valid and trusted and status.validation_path is not None:
                PATHS.keep(path_key, status.validation_path)
    except SignatureValidationError:
        raise BadSignatureValue.because() from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SignatureMalformed.because() from None
    if not intact:
        raise ContentMismatch.because()
    if not valid:
        raise BadSignatureValue.because()
    if not key_usages(cert) & SIGNING_USAGES or not extended_usage_allows_signing(cert):
        raise WrongKeyUsage.because()
    if signed_at < cert.not_valid_before_utc:
        raise CertificateNotYetValid.because()
    if signed_at > cert.not_valid_after_utc:
        raise CertificateExpired.because()
    if not trusted:
        raise UntrustedChain.because()
    verdict = (revocation or CRL_ONLY).status(cert, trust, now)
    if verdict.revoked:
        raise revoked_by(verdict)
    who = identity_from_certificate(cert, mapping or DEFAULT_MAPPING)
    return VerificationResult(
        signer=who,
        role=who.role,
        signed_at=signed_at,
        trust_list_version=trust.version,
        trust_list_stale=trust.is_stale(now, max_age),
        certificate_status=verdict,
    )


def revoked_by(verdict: CertificateStatus) -> CertificateRevoked:
    """The refusal of a signature whose certificate `verdict` says is revoked, naming when and the source
    (OCSP or the CRL) and the time the source said so."""
    from app.timefmt import format_times

    when = f"{verdict.revoked_at:%Y-%m-%d}" if verdict.revoked_at else "date not given"
    said_en, said_fa = format_times(verdict.at)
    source = verdict.source.value.upper()
    return CertificateRevoked(
        f"The signer's certificate has been revoked ({when}; {source} at {said_en}).",
        f"گواهی امضاکننده باطل شده است (به گفتهٔ {source} در {said_fa}).",
        source=verdict.source.value,
        revoked_at=verdict.revoked_at.isoformat() if verdict.revoked_at else None,
        checked_at=verdict.at.isoformat() if verdict.at else None,
    )


# ---- a signed document --------------------------------------------------------------------------------


class SignedPart(Protocol):
    """A signature as a document carries it: the role it is given in, and the CMS (DER).
    `app.signing.Signature` and the wire form `sync.fhir.WireSignature` both are."""

    @property
    def role(self) -> SignatureRole: ...

    @property
    def cms(self) -> bytes: ...


@dataclass(frozen=True)
class ClaimedSignature:
    """The simplest `SignedPart`: a CMS as received, and the role it claims to be in."""

    role: SignatureRole
    cms: bytes


@dataclass(frozen=True)
class VerifiedDocument:
    """A document whose signatures all verified under the policy: one result per signature, in the order
    given, and the same by role."""

    kind: DocumentKind
    results: tuple[VerificationResult, ...]
    by_role: Mapping[SignatureRole, VerificationResult]

    def signer(self, role: SignatureRole) -> SignerIdentity:
        """Who signed in `role`, as the certificate names him."""
        return self.by_role[role].signer


def _role_names(roles: Sequence[SignatureRole]) -> str:
    return ", ".join(r.value for r in roles)


def _check_roles(kind: DocumentKind, roles: Sequence[SignatureRole]) -> None:
    problems = role_problems(kind, roles)
    unexpected = problems.get(RoleProblem.UNEXPECTED)
    if unexpected:
        raise UnexpectedSignature(
            f"Unexpected {_role_names(unexpected)} signature on a {kind.label_en}.",
            f"امضای {_role_names(unexpected)} روی {kind.label_fa} انتظار نمی‌رود.",
            role=unexpected[0].value,
            unexpected=[r.value for r in unexpected],
        )
    missing = problems.get(RoleProblem.MISSING)
    if missing:
        raise MissingSignature(
            f"Missing signature(s) on the {kind.label_en}: {_role_names(missing)}.",
            f"امضای لازم روی {kind.label_fa} نیست: {_role_names(missing)}.",
            missing=[r.value for r in missing],
        )


def _with_role(exc: SignatureInvalid, role: SignatureRole) -> SignatureInvalid:
    return type(exc)(exc.en, exc.fa, **{**exc.details, "role": role.value})


def _check_holder(kind: DocumentKind, role: SignatureRole, who: SignerIdentity, named: Party) -> None:
    problem = holder_problem(role, who, named)
    if problem is None:
        return
    if role is SignatureRole.FACILITY:
        raise FacilityMismatch(
            f"The facility seal is {who.siam_id}'s; the {kind.label_en} names {named.number}.",
            f"مهر سازمانی ({who.siam_id}) با مرکز نام‌برده در {kind.label_fa} ({named.number}) یکی نیست.",
            role=role.value,
            seal=who.siam_id,
            named=named.number,
        )
    theirs = getattr(who, HOLDER_NUMBER[role])
    if problem is HolderProblem.OTHER_NUMBER:
        en = f"The {kind.label_en} is signed by {who.name} ({theirs}), not by {named.number}."
        fa = (
            f"امضاکننده ({who.name}، {theirs}) همان کسی نیست که در {kind.label_fa} آمده است ({named.number})."
        )
    elif problem is HolderProblem.UNMATCHED:
        en = f"The {kind.label_en}'s signer {who.name} cannot be matched to {named.number}."
        fa = f"امضاکننده ({who.name}) با شخص نام‌برده در {kind.label_fa} تطبیق نمی‌کند."
    else:
        en = f"The {kind.label_en}'s signer has another national code."
        fa = f"کد ملی امضاکننده با {kind.label_fa} یکی نیست."
    raise SignerMismatch(
        en,
        fa,
        role=role.value,
        signer=theirs,
        signer_name=who.name,
        named=named.number,
        problem=problem.value,
    )


def verify(
    kind: DocumentKind,
    data: bytes,
    signatures: Sequence[SignedPart],
    trust: TrustList,
    *,
    named: Mapping[SignatureRole, Party] | None,
    now: dt.datetime | None = None,
    max_age: dt.timedelta = DEFAULT_TRUST_LIST_MAX_AGE,
    mapping: IdentityMapping | None = None,
    revocation: StatusSourceLike | None = None,
) -> VerifiedDocument:
    """Verify the signatures of one document of `kind` over its canonical bytes `data`, offline, under the
    signature policy (`app.signature_policy`; national rules 9-1, 9-2, section 12).

    Checks, in order: exactly the roles `kind` requires, one signature each (`UnexpectedSignature`,
    `MissingSignature`); each CMS (`verify_detached`: its refusal, with `details['role']`); each certificate
    may sign in its role (`WrongRole`); each signer is the party the document names in that role
    (`SignerMismatch`, `FacilityMismatch`). `named` maps every required role to that party; `None` skips
    the last check and is for callers that have no document naming anyone (a file given to `token verify`).
    `revocation` decides revocation (see `verify_detached`; default: the trust list's CRLs, offline).
    Returns a `VerifiedDocument`; raises a `SignatureInvalid` subclass on the first failure."""
    roles = [s.role for s in signatures]
    _check_roles(kind, roles)
    if named is not None and (absent := [r for r in required_roles(kind) if r not in named]):
        raise ValueError(f"the {kind.value} names no party for {_role_names(absent)}")
    results: list[VerificationResult] = []
    for sig in signatures:
        try:
            result = verify_detached(
                trust, data, sig.cms, now=now, max_age=max_age, mapping=mapping, revocation=revocation
            )
        except SignatureInvalid as exc:
            raise _with_role(exc, sig.role) from None
        if not may_sign_as(result.role, sig.role):
            stated = result.role.value if result.role else "role-less"
            raise WrongRole(
                f"The {sig.role.value} signature was made with a {stated} certificate.",
                f"امضای {sig.role.value} با گواهی نقش دیگری ({stated}) انجام شده است.",
                role=sig.role.value,
                certificate_role=result.role.value if result.role else None,
            )
        results.append(result)
    by_role = {s.role: r for s, r in zip(signatures, results)}
    if named is not None:  # the people first, then the facility: the order the rules name them in
        for role in required_roles(kind):
            _check_holder(kind, role, by_role[role].signer, named[role])
    return VerifiedDocument(kind, tuple(results), by_role)
