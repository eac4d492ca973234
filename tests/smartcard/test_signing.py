"""Signing on real SoftHSM2 tokens and verifying: our verifier, OpenSSL's, and many threads at once."""

from __future__ import annotations

import concurrent.futures
import shutil
import subprocess

import pytest
from asn1crypto import cms as asn1_cms
from pkcs11 import Mechanism

from app.signature_policy import Party
from app.signing import SignatureRole as R
from smartcard.cms import pss_sha256, signed_attribute_types
from smartcard.documents import DocumentKind, sign_document, verify_document
from smartcard.errors import SignatureInvalid
from smartcard.p12 import P12Signer
from smartcard.signer import TokenSigner, choose_operation
from tests.smartcard.conftest import GP_CODE

DOC = '{"resourceType":"Bundle","note":"نسخهٔ آزمایشی"}'.encode()
CADES_BES = {"content_type", "message_digest", "signing_time", "signing_certificate_v2"}


def _algorithm(der: bytes) -> str:
    return asn1_cms.ContentInfo.load(der)["content"]["signer_infos"][0]["signature_algorithm"][
        "algorithm"
    ].native


@pytest.mark.parametrize(
    "label,role,pss,algorithm",
    [
        ("noskhe-gp", R.PRESCRIBER, False, "sha256_rsa"),
        ("noskhe-gp", R.PRESCRIBER, True, "rsassa_pss"),
        ("noskhe-pharmacist", R.PHARMACIST, False, "sha256_ecdsa"),
        ("noskhe-clinic", R.FACILITY, False, "sha256_ecdsa"),
    ],
)
def test_round_trip(session_of, trust, label, role, pss, algorithm):
    sig = TokenSigner(session_of(label), role, trust, rsa_pss=pss).sign(DOC)
    assert sig.role is role and _algorithm(sig.cms) == algorithm
    assert CADES_BES <= set(signed_attribute_types(sig.cms))
    result = trust.verify(DOC, sig.cms)
    assert result.role is role and result.signer == sig.signer and result.signed_at == sig.signed_at
    assert result.trust_list_version == trust.version and not result.trust_list_stale
    with pytest.raises(SignatureInvalid) as err:
        trust.verify(DOC + b" ", sig.cms)
    assert err.value.details["reason"] == "tampered"


def test_identity_read_from_the_certificate(session_of, trust):
    who = TokenSigner(session_of("noskhe-gp"), R.PRESCRIBER, trust).identity()
    assert who.name == "آزمایشی دکتر سارا احمدی" and who.national_code == GP_CODE
    assert who.medical_council_number == "123456" and who.role is R.PRESCRIBER
    pharmacist = TokenSigner(session_of("noskhe-pharmacist"), R.PHARMACIST, trust).identity()
    assert pharmacist.pharmacist_licence == "98765"
    facility = TokenSigner(session_of("noskhe-pharmacy"), R.FACILITY, trust).identity()
    assert facility.siam_id == "22334455"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
@pytest.mark.parametrize(
    "label,role,pss",
    [
        ("noskhe-gp", R.PRESCRIBER, False),
        ("noskhe-gp", R.PRESCRIBER, True),
        ("noskhe-pharmacist", R.PHARMACIST, False),
    ],
)
def test_openssl_verifies_our_signatures(session_of, trust, devtokens, tmp_path, label, role, pss):
    sig = TokenSigner(session_of(label), role, trust, rsa_pss=pss).sign(DOC)
    (tmp_path / "doc").write_bytes(DOC)
    (tmp_path / "doc.p7s").write_bytes(sig.cms)
    done = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "doc.p7s"),
            "-content",
            str(tmp_path / "doc"),
            "-CAfile",
            str(devtokens.ca_pem),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Verification successful" in done.stderr, done.stderr


def test_facility_seal_from_pkcs12(devtokens, trust):
    signer = P12Signer(devtokens.p12("noskhe-clinic"), "demo-clinic", trust)
    sig = signer.sign(DOC)
    assert trust.verify(DOC, sig.cms).signer.siam_id == "11223344"
    assert "demo-clinic" not in repr(signer)


def test_eight_threads_signing_at_once(session_of, trust):
    signers = [
        TokenSigner(session_of("noskhe-gp"), R.PRESCRIBER, trust),
        TokenSigner(session_of("noskhe-pharmacist"), R.PHARMACIST, trust),
    ]
    docs = [DOC + str(i).encode() for i in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        sigs = list(pool.map(lambda i: signers[i % 2].sign(docs[i]), range(8)))
    for doc, sig in zip(docs, sigs):
        assert trust.verify(doc, sig.cms).role is sig.role


def test_prescription_is_signed_by_prescriber_and_facility(session_of, trust, devtokens):
    prescription = {"id": "rx-1", "items": [{"drug": "آموکسی‌سیلین", "qty": 20}]}
    prescriber = TokenSigner(session_of("noskhe-gp"), R.PRESCRIBER, trust)
    facility = P12Signer(devtokens.p12("noskhe-clinic"), "demo-clinic", trust)
    sigs = sign_document(prescription, [prescriber, facility], DocumentKind.PRESCRIPTION)
    assert [s.role for s in sigs] == [R.PRESCRIBER, R.FACILITY]
    named = {R.PRESCRIBER: Party("123456", GP_CODE), R.FACILITY: Party("11223344")}
    kind = DocumentKind.PRESCRIPTION
    assert [r.role for r in verify_document(prescription, sigs, trust, kind, named=named)] == [
        R.PRESCRIBER,
        R.FACILITY,
    ]
    with pytest.raises(SignatureInvalid) as err:
        verify_document(prescription, sigs[:1], trust, kind, named=named)
    assert err.value.details["reason"] == "missing-signature"
    with pytest.raises(SignatureInvalid) as err:
        verify_document({**prescription, "id": "rx-2"}, sigs, trust, kind, named=named)
    assert err.value.details["reason"] == "tampered" and err.value.details["role"] == "prescriber"
    with pytest.raises(SignatureInvalid) as err:
        verify_document(prescription, sigs, trust, kind, named={**named, R.PRESCRIBER: Party("654321")})
    assert err.value.details["reason"] == "signer-mismatch"
    with pytest.raises(SignatureInvalid) as err:
        verify_document(prescription, sigs, trust, kind, named={**named, R.FACILITY: Party("99999999")})
    assert err.value.details["reason"] == "facility-mismatch"
    with pytest.raises(ValueError):
        sign_document(prescription, [prescriber, facility], DocumentKind.DISPENSING)


def test_dispensing_is_signed_by_pharmacist_and_facility(session_of, trust):
    dispensing = {"id": "dx-1", "prescription": "rx-1"}
    sigs = sign_document(
        dispensing,
        [
            TokenSigner(session_of("noskhe-pharmacist"), R.PHARMACIST, trust),
            TokenSigner(session_of("noskhe-pharmacy"), R.FACILITY, trust),
        ],
        DocumentKind.DISPENSING,
    )
    named = {R.PHARMACIST: Party("98765"), R.FACILITY: Party("22334455")}
    verify_document(dispensing, sigs, trust, DocumentKind.DISPENSING, named=named)


def test_mechanisms_follow_what_the_token_offers():
    from asn1crypto import algos

    ecdsa = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    raw = choose_operation(ecdsa, frozenset({Mechanism.ECDSA}))  # SoftHSM2: no combined ECDSA_SHA256
    assert raw.sign_kwargs["mechanism"] == Mechanism.ECDSA and raw.pre_sign_transform is not None
    combined = choose_operation(ecdsa, frozenset({Mechanism.ECDSA, Mechanism.ECDSA_SHA256}))
    assert combined.sign_kwargs["mechanism"] == Mechanism.ECDSA_SHA256 and combined.pre_sign_transform is None
    pss_raw = choose_operation(pss_sha256(), frozenset({Mechanism.RSA_PKCS_PSS}))
    assert (
        pss_raw.sign_kwargs["mechanism"] == Mechanism.RSA_PKCS_PSS
        and len(pss_raw.pre_sign_transform(b"x")) == 32
    )
    rsa = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})
    assert (
        choose_operation(rsa, frozenset({Mechanism.RSA_PKCS})).sign_kwargs["mechanism"] == Mechanism.RSA_PKCS
    )
    from smartcard.errors import NoSigningKey

    with pytest.raises(NoSigningKey):
        choose_operation(rsa, frozenset({Mechanism.ECDSA}))
