"""`TokenSigner`: the core's `Signer`, backed by a certificate and key on a logged-in PKCS#11 token.

The CMS structure is assembled on the caller's thread (`smartcard.cms.build_detached`, the bytes pyHanko
would make); only the raw signature goes to the token thread. The mechanism follows what the token offers (`slot.get_mechanisms()`): the combined hash-and-sign
mechanism when listed, otherwise the raw one over a digest computed here (SoftHSM2, for one, offers only
raw CKM_ECDSA).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pkcs11 import Mechanism
from pyhanko.sign.pkcs11 import (
    ECDSA_MECH_MAP,
    RSA_MECH_MAP,
    RSASSA_PSS_MECH_MAP,
    PKCS11SignatureOperationSpec,
    select_pkcs11_signing_params,
)
from pyhanko.sign.signers import Signer as CmsSigner

from app.signing import Signature, SignatureRole, SignerIdentity
from smartcard.cms import SignerCertificate, build_detached, pss_sha256
from smartcard.errors import CertificateRefused, NoSigningKey
from smartcard.identity import DEFAULT_MAPPING, IdentityMapping
from smartcard.session import Credential, TokenSession
from smartcard.signing_checks import CertificateChecks
from smartcard.status import StatusSourceLike
from smartcard.trustlist import TrustList

_COMBINED = {"rsassa_pkcs1v15": RSA_MECH_MAP, "rsassa_pss": RSASSA_PSS_MECH_MAP, "ecdsa": ECDSA_MECH_MAP}
_RAW = {"rsassa_pkcs1v15": Mechanism.RSA_PKCS, "rsassa_pss": Mechanism.RSA_PKCS_PSS, "ecdsa": Mechanism.ECDSA}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def choose_operation(
    algorithm: algos.SignedDigestAlgorithm, available: frozenset[Any], digest: str = "sha256"
) -> PKCS11SignatureOperationSpec:
    """How to call C_Sign for `algorithm` on a token offering `available` mechanisms (empty = unknown)."""
    name = algorithm.signature_algo
    if name not in _COMBINED:
        raise NoSigningKey(
            f"Signature algorithm {name} is not supported.", f"الگوریتم امضای {name} پشتیبانی نمی‌شود."
        )
    if not available or _COMBINED[name][digest] in available:
        return select_pkcs11_signing_params(algorithm, digest, use_raw_mechanism=False, sign_kwargs={})
    if _RAW[name] not in available:
        raise NoSigningKey(
            f"The token offers no mechanism for {name} with {digest}.",
            f"توکن سازوکاری برای امضای {name} با {digest} ندارد.",
        )
    if name != "rsassa_pss":
        return select_pkcs11_signing_params(algorithm, digest, use_raw_mechanism=True, sign_kwargs={})
    # pyHanko has no raw PSS: CKM_RSA_PKCS_PSS takes the digest with the same parameters as the combined one
    spec = select_pkcs11_signing_params(algorithm, digest, use_raw_mechanism=False, sign_kwargs={})
    return PKCS11SignatureOperationSpec(
        sign_kwargs={**spec.sign_kwargs, "mechanism": Mechanism.RSA_PKCS_PSS},
        pre_sign_transform=lambda data: hashlib.new(digest, data).digest(),
        post_sign_transform=None,
    )


class _TokenCmsSigner(CmsSigner):
    """pyHanko's view of one credential: the raw signature is queued on the token thread."""

    def __init__(self, session: TokenSession, credential: Credential, *, rsa_pss: bool) -> None:
        cert = asn1_x509.Certificate.load(credential.certificate.public_bytes(Encoding.DER))
        mechanism = pss_sha256() if rsa_pss and credential.key_type == "rsa" else None
        super().__init__(signing_cert=cert, embed_roots=False, signature_mechanism=mechanism)
        self._session = session
        self._credential = credential

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(512)
        spec = choose_operation(
            self.get_signature_mechanism_for_digest(digest_algorithm),
            self._session.mechanisms,
            digest_algorithm,
        )
        if spec.pre_sign_transform is not None:
            data = spec.pre_sign_transform(data)
        raw = await asyncio.wrap_future(self._session.submit_sign(self._credential, data, spec.sign_kwargs))
        return spec.post_sign_transform(raw) if spec.post_sign_transform is not None else raw


@dataclass(frozen=True)
class _Prepared:
    """What signing with one credential repeats, worked out once per login: the certificate's DER pieces,
    the signature algorithm and how the token is asked for it."""

    credential: Credential
    parts: SignerCertificate
    algorithm: algos.SignedDigestAlgorithm
    operation: PKCS11SignatureOperationSpec


class TokenSigner:
    """Signs as `role` with the token's certificate, after refusing any certificate that is expired,
    not yet valid, revoked or untrusted per `trust`, not for signing, of another role, or not `expected`'s.
    Every check runs before the first signature of a login and again when the trust list changes; the
    validity and the revocation — asked of `revocation`: OCSP online, the CRL offline; default the CRL —
    before every signature (`smartcard.signing_checks`).

    Thread-safe: many threads may call `sign()`; their raw signatures queue on the token thread.
    A removal mid-signature raises TokenRemoved/LoginRequired and returns nothing.
    """

    def __init__(
        self,
        session: TokenSession,
        role: SignatureRole,
        trust: TrustList,
        *,
        expected: SignerIdentity | None = None,
        mapping: IdentityMapping = DEFAULT_MAPPING,
        rsa_pss: bool = False,
        clock: Callable[[], dt.datetime] = utc_now,
        revocation: StatusSourceLike | None = None,
    ) -> None:
        self.role = role
        self.session = session
        self.trust = trust
        self.expected = expected
        self.mapping = mapping
        self.rsa_pss = rsa_pss
        self.clock = clock
        self.revocation = revocation  # revocation: OCSP when online, the CRL offline (checked before each signature)
        self._checks = CertificateChecks()
        self._prepared: dict[int, _Prepared] = {}

    def __repr__(self) -> str:
        return f"<TokenSigner {self.role.value} on {self.session.label!r}>"

    def _select(self, now: dt.datetime) -> tuple[Credential, SignerIdentity]:
        refusal: CertificateRefused | None = None
        for credential in self.session.credentials():
            try:
                who = self._checks.check(
                    credential.certificate,
                    role=self.role,
                    trust=self.trust,
                    now=now,
                    expected=self.expected,
                    mapping=self.mapping,
                    revocation=self.revocation,
                )
                return credential, who
            except CertificateRefused as exc:
                refusal = refusal or exc
        assert refusal is not None  # credentials() is never empty
        raise refusal

    def identity(self) -> SignerIdentity:
        """The holder this signer would sign as now (raises what `sign` would raise for the certificate)."""
        return self._select(self.clock())[1]

    def _prepare(self, credential: Credential) -> _Prepared:
        kept = self._prepared.get(id(credential))
        if kept is not None and kept.credential is credential:
            return kept
        algorithm = _TokenCmsSigner(
            self.session, credential, rsa_pss=self.rsa_pss
        ).get_signature_mechanism_for_digest("sha256")
        kept = _Prepared(
            credential,
            SignerCertificate.of(credential.certificate.public_bytes(Encoding.DER)),
            algorithm,
            choose_operation(algorithm, self.session.mechanisms, "sha256"),
        )
        if len(self._prepared) >= 8:  # a login brings new credentials: forget the old ones
            self._prepared = {}
        self._prepared[id(credential)] = kept
        return kept

    def sign(self, data: bytes) -> Signature:
        """A detached CAdES-BES signature over `data` (`smartcard.cms.build_detached`), its raw signature
        made on the token thread; raises `CertificateRefused` when the certificate may not sign now,
        TokenRemoved/LoginRequired when the token went away (then nothing was signed)."""
        now = self.clock().replace(microsecond=0)  # the CMS signing-time has whole seconds
        credential, who = self._select(now)
        prepared = self._prepare(credential)
        op = prepared.operation

        def sign_raw(to_be_signed: bytes) -> bytes:
            if op.pre_sign_transform is not None:
                to_be_signed = op.pre_sign_transform(to_be_signed)
            raw = self.session.submit_sign(credential, to_be_signed, op.sign_kwargs).result()
            return op.post_sign_transform(raw) if op.post_sign_transform is not None else raw

        cms = build_detached(prepared.parts, prepared.algorithm, sign_raw, data, signing_time=now)
        return Signature(role=self.role, cms=cms, signer=who, signed_at=now)
