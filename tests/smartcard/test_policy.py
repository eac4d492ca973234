"""One signature policy, the same verdict at every door: the client's verifier (`smartcard.verify.verify`), the
paper verifier (`printing.payload.verify`) and the reference exchange (`exchange.verify.Verifier`).

Before there was one policy the four verifiers disagreed; each case below is one of those differences, now
decided the strictest way:
- the client's retrieval accepted a pharmacist's (or any) certificate in the prescriber's place, a seal of
  another facility, and a second signature in the same role;
- the client's retrieval accepted a national-card certificate (no council number) without matching the
  national code; the exchange matched it on the national code; the paper refused it;
- `verify_document` checked roles only, never whose the signatures were.
"""

from __future__ import annotations

import dataclasses

import pytest

from app.canonical import canonical_bytes
from app.domain import Prescriber
from app.signature_policy import DocumentKind, Party, parties_of_prescription
from app.signing import SignatureRole as R
from exchange.errors import ExchangeError
from exchange.verify import Verifier
from printing import payload as P
from printing.fields import fields_from_prescription
from smartcard.errors import SignatureInvalid
from smartcard.verify import ClaimedSignature, verify
from tests.conftest import SIAM, make_prescription
from tests.smartcard.cms_factory import Pki, sign

GP_CODE = "0012345679"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def people(pki: Pki) -> dict[str, object]:
    return {
        "gp": pki.holder(R.PRESCRIBER, registration="MC-123456", national_code=GP_CODE),
        "other-gp": pki.holder(R.PRESCRIBER, registration="MC-654321"),
        "card": pki.holder(R.PRESCRIBER, title="", registration=None, national_code=GP_CODE),
        "pharmacist": pki.holder(R.PHARMACIST, registration="PL-98765"),
        "seal": pki.holder(R.FACILITY, registration=f"SIAM-{SIAM}"),
        "other-seal": pki.holder(R.FACILITY, registration="SIAM-99999999"),
    }


def _rx(national_code: str = ""):
    rx = make_prescription()
    return dataclasses.replace(
        rx, prescriber=Prescriber("دکتر سارا رضایی", "123456", national_code=national_code)
    )


def _signed(people, rx, *who: tuple[R, str]) -> list[ClaimedSignature]:
    data = canonical_bytes(rx.document())
    return [ClaimedSignature(role, sign(people[label], data)) for role, label in who]


# (case, the prescription's prescriber national code, signatures as (role, holder), reason or None)
PRESCRIPTION_CASES = [
    ("prescriber and seal", "", [(R.PRESCRIBER, "gp"), (R.FACILITY, "seal")], None),
    (
        "a pharmacist in the prescriber's place",
        "",
        [(R.PRESCRIBER, "pharmacist"), (R.FACILITY, "seal")],
        "wrong-role",
    ),
    ("a national card as the seal", GP_CODE, [(R.PRESCRIBER, "gp"), (R.FACILITY, "card")], "wrong-role"),
    ("a national card matched on the code", GP_CODE, [(R.PRESCRIBER, "card"), (R.FACILITY, "seal")], None),
    (
        "a national card, no code to match",
        "",
        [(R.PRESCRIBER, "card"), (R.FACILITY, "seal")],
        "signer-mismatch",
    ),
    (
        "a national card, another code",
        "0000000000",
        [(R.PRESCRIBER, "card"), (R.FACILITY, "seal")],
        "signer-mismatch",
    ),
    ("another GP", "", [(R.PRESCRIBER, "other-gp"), (R.FACILITY, "seal")], "signer-mismatch"),
    ("another facility's seal", "", [(R.PRESCRIBER, "gp"), (R.FACILITY, "other-seal")], "facility-mismatch"),
    ("no seal", "", [(R.PRESCRIBER, "gp")], "missing-signature"),
    (
        "two prescriber signatures",
        "",
        [(R.PRESCRIBER, "gp"), (R.PRESCRIBER, "gp"), (R.FACILITY, "seal")],
        "unexpected-signature",
    ),
    (
        "a pharmacist too",
        "",
        [(R.PRESCRIBER, "gp"), (R.FACILITY, "seal"), (R.PHARMACIST, "pharmacist")],
        "unexpected-signature",
    ),
]


@pytest.mark.parametrize(
    "case, code, who, reason", PRESCRIPTION_CASES, ids=[c[0] for c in PRESCRIPTION_CASES]
)
def test_the_client_and_the_exchange_decide_alike(pki, people, case, code, who, reason) -> None:
    trust = pki.trust()
    rx = _rx(code)
    sigs = _signed(people, rx, *who)
    named = parties_of_prescription(rx)
    data = canonical_bytes(rx.document())
    exchange = Verifier(lambda: trust)
    if reason is None:
        verified = verify(DocumentKind.PRESCRIPTION, data, sigs, trust, named=named)
        assert set(verified.by_role) == {R.PRESCRIBER, R.FACILITY}
        found = exchange.signers(DocumentKind.PRESCRIPTION, rx.document(), sigs, named=named, sender=SIAM)
        assert found[R.FACILITY].siam_id == SIAM
        return
    with pytest.raises(SignatureInvalid) as err:
        verify(DocumentKind.PRESCRIPTION, data, sigs, trust, named=named)
    assert err.value.details["reason"] == reason
    assert err.value.en and err.value.fa
    with pytest.raises(ExchangeError) as refused:
        exchange.signers(DocumentKind.PRESCRIPTION, rx.document(), sigs, named=named, sender=SIAM)
    assert refused.value.status == 422 and refused.value.code == reason


def test_a_signature_that_does_not_verify_is_signature_reason_at_the_exchange(pki, people) -> None:
    trust = pki.trust()
    rx = _rx()
    data = canonical_bytes(rx.document())
    sigs = [
        ClaimedSignature(R.PRESCRIBER, sign(people["gp"], data, digest="sha1")),
        ClaimedSignature(R.FACILITY, sign(people["seal"], data)),
    ]
    with pytest.raises(SignatureInvalid) as err:
        verify(DocumentKind.PRESCRIPTION, data, sigs, trust, named=parties_of_prescription(rx))
    assert err.value.details == {**err.value.details, "reason": "weak-digest", "role": "prescriber"}
    with pytest.raises(ExchangeError) as refused:
        Verifier(lambda: trust).signers(
            DocumentKind.PRESCRIPTION, rx.document(), sigs, named=parties_of_prescription(rx)
        )
    assert refused.value.code == "signature-weak-digest" and "prescriber" in refused.value.en


def test_the_exchange_also_wants_the_sender_s_own_seal(pki, people) -> None:
    trust = pki.trust()
    rx = _rx()
    sigs = _signed(people, rx, (R.PRESCRIBER, "gp"), (R.FACILITY, "seal"))
    with pytest.raises(ExchangeError) as refused:
        Verifier(lambda: trust).signers(
            DocumentKind.PRESCRIPTION,
            rx.document(),
            sigs,
            named=parties_of_prescription(rx),
            sender="20000002",
        )
    assert refused.value.code == "facility-mismatch" and refused.value.details["sender"] == "20000002"


def test_a_cancellation_is_the_prescriber_s_alone(pki, people) -> None:
    trust = pki.trust()
    doc = {"resourceType": "NoskheCancellation", "prescription": "rx-1"}
    data = canonical_bytes(doc)
    named = {R.PRESCRIBER: Party("123456")}
    alone = [ClaimedSignature(R.PRESCRIBER, sign(people["gp"], data))]
    assert verify(DocumentKind.CANCELLATION, data, alone, trust, named=named).signer(R.PRESCRIBER).name
    sealed = [*alone, ClaimedSignature(R.FACILITY, sign(people["seal"], data))]
    with pytest.raises(SignatureInvalid) as err:
        verify(DocumentKind.CANCELLATION, data, sealed, trust, named={**named, R.FACILITY: Party(SIAM)})
    assert err.value.details["reason"] == "unexpected-signature"
    with pytest.raises(ExchangeError) as refused:
        Verifier(lambda: trust).signers(DocumentKind.CANCELLATION, doc, sealed, named=named)
    assert refused.value.code == "unexpected-signature"


@pytest.mark.parametrize(
    "label, reason",
    [
        ("gp", None),
        ("other-gp", "not-prescriber"),
        ("pharmacist", "not-prescriber"),
        ("card", "not-prescriber"),  # the paper names no national code to match a national card on
        ("seal", "not-prescriber"),
    ],
)
def test_the_paper_verifier_applies_the_same_policy(pki, people, label, reason) -> None:
    fields = fields_from_prescription(_rx())
    payload = P.from_signature(fields, sign(people[label], P.signed_bytes(fields)))
    if reason is None:
        assert P.verify(payload, pki.trust()).signer.medical_council_number == "123456"
        return
    with pytest.raises(P.PaperSignatureError) as err:
        P.verify(payload, pki.trust())
    assert err.value.details["reason"] == reason and err.value.en and err.value.fa


def test_the_paper_verifier_names_the_cause_too(pki, people) -> None:
    fields = fields_from_prescription(_rx())
    weak = P.from_signature(fields, sign(people["gp"], P.signed_bytes(fields), digest="sha1"))
    with pytest.raises(P.PaperSignatureError) as err:
        P.verify(weak, pki.trust())
    assert err.value.details["reason"] == "weak-digest" and "weak digest" in err.value.en
    revoked = P.from_signature(fields, sign(people["gp"], P.signed_bytes(fields)))
    with pytest.raises(P.PaperSignatureError) as err:
        P.verify(revoked, pki.trust(revoked=(people["gp"].cert,)))
    assert err.value.details["reason"] == "revoked"
