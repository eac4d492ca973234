"""OCSP answers the client believes and those it does not (`smartcard.ocsp.read_response`), and the checker's
fall-backs (`smartcard.status.StatusChecker`): real RFC 6960 responses built with `cryptography`, bent one
way at a time — signed by a stranger, by a responder without id-kp-OCSPSigning, about another certificate,
stale, with another nonce, unsuccessful — each refused with its own problem, the CRL deciding instead."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.certificate_status import StatusSource, Verdict
from app.signing import SignatureRole
from smartcard import devtoken
from smartcard.ocsp import OcspInvalid, OcspUnavailable, build_request, read_response
from smartcard.status import StatusChecker, crl_status
from smartcard.trustlist import TrustList

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


class Pki:
    def __init__(self) -> None:
        self.ca_key, self.ca = devtoken.make_ca("OCSP test CA", NOW)
        self.other_key, self.other = devtoken.make_ca("OCSP stranger CA", NOW)
        ident = devtoken.DevIdentity("gp", SignatureRole.PRESCRIBER, "دکتر آزمایشی", "Physician", "MC-1")
        self.gp = devtoken.issue(ident, devtoken._new_key("ec"), self.ca_key, self.ca, NOW)
        self.nurse = devtoken.issue(ident, devtoken._new_key("ec"), self.ca_key, self.ca, NOW)

    def trust(self, revoked: tuple[x509.Certificate, ...] = ()) -> TrustList:
        crl = devtoken.make_crl(self.ca_key, self.ca, list(revoked), NOW)
        return TrustList((self.ca,), (crl,), "t", NOW)

    def responder(
        self, *, eku: bool = True, issuer_key=None
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "responder")]))
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(hours=1))
            .not_valid_after(NOW + dt.timedelta(days=1))
        )
        if eku:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True)
        return b.sign(issuer_key or self.ca_key, hashes.SHA256()), key

    def answer(
        self,
        cert: x509.Certificate,
        *,
        status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
        nonce: bytes | None = None,
        this_update: dt.datetime | None = None,
        signer: tuple[x509.Certificate, object] | None = None,
    ) -> bytes:
        responder, key = signer or self.responder()
        this = this_update or NOW
        b = ocsp.OCSPResponseBuilder().add_response(
            cert=cert,
            issuer=self.ca,
            algorithm=hashes.SHA256(),
            cert_status=status,
            this_update=this,
            next_update=this + dt.timedelta(minutes=5),
            revocation_time=NOW - dt.timedelta(minutes=1) if status is ocsp.OCSPCertStatus.REVOKED else None,
            revocation_reason=x509.ReasonFlags.key_compromise
            if status is ocsp.OCSPCertStatus.REVOKED
            else None,
        )
        b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, responder).certificates([responder])
        if nonce is not None:
            b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
        return b.sign(key, hashes.SHA256()).public_bytes(devtoken.serialization.Encoding.DER)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def test_a_good_and_a_revoked_answer_are_believed(pki: Pki) -> None:
    _, nonce = build_request(pki.gp, pki.ca)
    good = read_response(pki.answer(pki.gp, nonce=nonce), pki.gp, pki.ca, nonce=nonce, now=NOW)
    assert (good.verdict, good.source) == (Verdict.GOOD, StatusSource.OCSP)
    assert good.at is not None and abs(good.at - dt.datetime.now(dt.UTC)) < dt.timedelta(
        minutes=1
    )  # produced
    revoked = read_response(
        pki.answer(pki.gp, status=ocsp.OCSPCertStatus.REVOKED, nonce=nonce),
        pki.gp,
        pki.ca,
        nonce=nonce,
        now=NOW,
    )
    assert revoked.revoked and revoked.reason == "keyCompromise" and revoked.revoked_at is not None
    by_ca = pki.answer(pki.gp, nonce=nonce, signer=(pki.ca, pki.ca_key))  # the CA may sign itself
    assert read_response(by_ca, pki.gp, pki.ca, nonce=nonce, now=NOW).verdict is Verdict.GOOD


@pytest.mark.parametrize(
    "case, problem",
    [
        ("stranger", "responder-not-issued"),
        ("no-eku", "responder-not-authorised"),
        ("other-certificate", "other-certificate"),
        ("stale", "stale"),
        ("nonce", "nonce"),
        ("unsuccessful", "unsuccessful"),
        ("garbage", "malformed"),
    ],
)
def test_an_answer_that_cannot_be_believed_is_refused_with_its_problem(
    pki: Pki, case: str, problem: str
) -> None:
    _, nonce = build_request(pki.gp, pki.ca)
    der = {
        "stranger": lambda: pki.answer(pki.gp, nonce=nonce, signer=pki.responder(issuer_key=pki.other_key)),
        "no-eku": lambda: pki.answer(pki.gp, nonce=nonce, signer=pki.responder(eku=False)),
        "other-certificate": lambda: pki.answer(pki.nurse, nonce=nonce),
        "stale": lambda: pki.answer(pki.gp, nonce=nonce, this_update=NOW - dt.timedelta(hours=2)),
        "nonce": lambda: pki.answer(pki.gp, nonce=b"another request's"),
        "unsuccessful": lambda: ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.TRY_LATER
        ).public_bytes(devtoken.serialization.Encoding.DER),
        "garbage": lambda: b"\x30\x03\x0a\x01\x00garbage",
    }[case]()
    with pytest.raises(OcspInvalid) as exc:
        read_response(der, pki.gp, pki.ca, nonce=nonce, now=NOW)
    assert exc.value.details["problem"] == problem


class Responder:
    """A transport answering every request the way `answer(request)` says, counting the requests."""

    def __init__(self, answer) -> None:  # type: ignore[no-untyped-def]
        self.answer, self.asked = answer, 0

    def ocsp(self, request: bytes) -> bytes:
        self.asked += 1
        return self.answer(request)


def _nonce(request: bytes) -> bytes:
    return ocsp.load_der_ocsp_request(request).extensions.get_extension_for_class(x509.OCSPNonce).value.nonce


def test_the_checker_asks_ocsp_online_and_falls_back_to_the_crl_naming_why(pki: Pki) -> None:
    trust = pki.trust(revoked=(pki.nurse,))
    online = Responder(lambda req: pki.answer(pki.gp, nonce=_nonce(req)))
    checker = StatusChecker(online, clock=lambda: NOW)
    first = checker.status(pki.gp, trust)
    assert (first.verdict, first.source) == (Verdict.GOOD, StatusSource.OCSP)
    assert checker.status(pki.gp, trust) == first and online.asked == 1  # remembered for a minute
    checker.forget()
    checker.status(pki.gp, trust)
    assert online.asked == 2

    def down(request: bytes) -> bytes:
        raise OcspUnavailable("down", "قطع")

    offline = StatusChecker(Responder(down), clock=lambda: NOW).status(pki.nurse, trust)
    assert (offline.verdict, offline.source) == (
        Verdict.REVOKED,
        StatusSource.CRL,
    ) and "offline" in offline.note
    lying = StatusChecker(Responder(lambda req: b"not ocsp"), clock=lambda: NOW).status(pki.gp, trust)
    assert lying.source is StatusSource.CRL and "not believed (malformed)" in lying.note
    asked = Responder(down)
    skipped = StatusChecker(asked, online=lambda: False, clock=lambda: NOW).status(pki.gp, trust)
    assert skipped.source is StatusSource.CRL and skipped.note == "offline" and asked.asked == 0
    no_crl = TrustList((pki.ca,), (), "t", NOW)
    assert crl_status(pki.gp, no_crl, NOW).source is StatusSource.NONE
    assert "no source" in crl_status(pki.gp, no_crl, NOW).describe("en")
