"""The signature policy as data and pure rules (app.signature_policy): no cryptography here."""

from __future__ import annotations

import pytest

from app.signature_policy import (
    REQUIRED_ROLES,
    DocumentKind,
    HolderProblem,
    Party,
    RoleProblem,
    holder_problem,
    may_sign_as,
    parties_of_prescription,
    required_roles,
    role_problems,
)
from app.signing import SignatureRole as R
from app.signing import SignerIdentity
from tests.conftest import SIAM, make_prescription

GP = "0012345679"


def test_which_roles_sign_which_document() -> None:
    assert {k: required_roles(k) for k in DocumentKind} == {
        DocumentKind.PRESCRIPTION: (R.PRESCRIBER, R.FACILITY),
        DocumentKind.DISPENSING: (R.PHARMACIST, R.FACILITY),
        DocumentKind.CANCELLATION: (R.PRESCRIBER,),
        DocumentKind.PAPER: (R.PRESCRIBER,),
        DocumentKind.LOGIN: (R.FACILITY,),
        DocumentKind.VISIT: (R.PRESCRIBER, R.FACILITY),
        DocumentKind.OUTCOME: (R.FACILITY,),
    }
    with pytest.raises(TypeError):
        REQUIRED_ROLES[DocumentKind.PAPER] = (R.FACILITY,)  # type: ignore[index]
    assert all(k.label_en and k.label_fa for k in DocumentKind)


@pytest.mark.parametrize(
    "roles, problems",
    [
        ([R.PRESCRIBER, R.FACILITY], {}),
        ([R.FACILITY, R.PRESCRIBER], {}),  # order does not matter
        ([R.PRESCRIBER], {RoleProblem.MISSING: [R.FACILITY]}),
        ([], {RoleProblem.MISSING: [R.PRESCRIBER, R.FACILITY]}),
        ([R.PRESCRIBER, R.PRESCRIBER, R.FACILITY], {RoleProblem.UNEXPECTED: [R.PRESCRIBER]}),
        ([R.PRESCRIBER, R.FACILITY, R.PHARMACIST], {RoleProblem.UNEXPECTED: [R.PHARMACIST]}),
        (
            [R.PHARMACIST],
            {RoleProblem.MISSING: [R.PRESCRIBER, R.FACILITY], RoleProblem.UNEXPECTED: [R.PHARMACIST]},
        ),
    ],
)
def test_role_problems_of_a_prescription(roles, problems) -> None:
    assert role_problems(DocumentKind.PRESCRIPTION, roles) == problems


def test_a_certificate_signs_in_its_own_role_and_a_national_card_never_as_a_facility() -> None:
    for role in R:
        assert may_sign_as(role, role)
        assert not any(may_sign_as(other, role) for other in R if other is not role)
    assert may_sign_as(None, R.PRESCRIBER) and may_sign_as(None, R.PHARMACIST)
    assert not may_sign_as(None, R.FACILITY)


@pytest.mark.parametrize(
    "role, who, named, problem",
    [
        (R.PRESCRIBER, SignerIdentity("a", GP, medical_council_number="123456"), Party("123456"), None),
        (R.PRESCRIBER, SignerIdentity("a", GP, medical_council_number="123456"), Party("123456", GP), None),
        (
            R.PRESCRIBER,
            SignerIdentity("a", medical_council_number="654321"),
            Party("123456"),
            HolderProblem.OTHER_NUMBER,
        ),
        # a national-card certificate (no council number): matched on the national code, which both must carry
        (R.PRESCRIBER, SignerIdentity("a", GP), Party("123456", GP), None),
        (R.PRESCRIBER, SignerIdentity("a", GP), Party("123456"), HolderProblem.UNMATCHED),
        (R.PRESCRIBER, SignerIdentity("a"), Party("123456", GP), HolderProblem.UNMATCHED),
        (
            R.PRESCRIBER,
            SignerIdentity("a", "0000000000"),
            Party("123456", GP),
            HolderProblem.OTHER_NATIONAL_CODE,
        ),
        # the right number with another national code is still someone else
        (
            R.PRESCRIBER,
            SignerIdentity("a", "0000000000", medical_council_number="123456"),
            Party("123456", GP),
            HolderProblem.OTHER_NATIONAL_CODE,
        ),
        (R.PHARMACIST, SignerIdentity("a", pharmacist_licence="98765"), Party("98765"), None),
        (
            R.PHARMACIST,
            SignerIdentity("a", medical_council_number="98765"),
            Party("98765"),
            HolderProblem.UNMATCHED,
        ),
        (R.FACILITY, SignerIdentity("c", siam_id=SIAM), Party(SIAM), None),
        (R.FACILITY, SignerIdentity("c", siam_id="99999999"), Party(SIAM), HolderProblem.OTHER_NUMBER),
        (
            R.FACILITY,
            SignerIdentity("c", GP),
            Party(SIAM, GP),
            HolderProblem.UNMATCHED,
        ),  # never by national code
    ],
)
def test_the_signer_must_be_the_party_the_document_names(role, who, named, problem) -> None:
    assert holder_problem(role, who, named) is problem


def test_parties_of_a_prescription() -> None:
    rx = make_prescription()
    assert parties_of_prescription(rx) == {R.PRESCRIBER: Party("123456", None), R.FACILITY: Party(SIAM)}
