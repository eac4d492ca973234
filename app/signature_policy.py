"""Who must sign what: the one signature policy of the client, the paper verifier and the reference exchange.

| document kind | signed by | national rules |
|---|---|---|
| prescription (and each edited version) | prescriber + facility seal | 9-1 steps 1, 3, 5, 6 |
| dispensing | pharmacist + facility seal | 9-2 steps 1, 2, 6 |
| cancellation of a prescription | prescriber | 9-1 step 6 |
| visit (the service the GP gave) | prescriber + facility seal | 9-1 step 7 |
| outcome of a service (lab result, imaging report) | performing facility's seal | 9-2 step 8 |
| paper QR payload (outage copy) | prescriber | section 12; bylaw art. 16 |
| the facility's login to the exchange | facility seal | 9-1 / 9-2 step 1 |

Each kind needs exactly these signatures, one per role: a missing one, a second one in the same role or one
in a role the kind does not take is refused. Besides a valid CMS from a trusted, unrevoked certificate
(`smartcard.verify.verify`), each signature must belong to the party the document names in that role:

- the certificate may sign in the role it states (its title or registration prefix); a certificate that
  states no role (a national-card certificate) may sign as a person (prescriber, pharmacist) but never as
  the facility (non-repudiation, definitions and section 11);
- the holder is matched on the role's registration number (`HOLDER_NUMBER`: medical council number,
  pharmacist licence, SIAM id). A person's certificate that carries no such number is matched on the
  national code instead, which the document must then carry too; two national codes that differ never match.

Pure Python: no cryptography here. `smartcard.verify.verify` applies it to real signatures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING

from app.signing import SignatureRole, SignerIdentity

if TYPE_CHECKING:
    from app.domain import Dispensing, Prescription


class DocumentKind(str, Enum):
    """What a signature is over; decides the roles that must sign it."""

    PRESCRIPTION = "prescription"
    DISPENSING = "dispensing"
    CANCELLATION = "cancellation"
    PAPER = "paper"
    LOGIN = "login"
    VISIT = "visit"
    OUTCOME = "outcome"

    @property
    def label_en(self) -> str:
        return _LABELS[self][0]

    @property
    def label_fa(self) -> str:
        return _LABELS[self][1]


_LABELS = {
    DocumentKind.PRESCRIPTION: ("prescription", "نسخه"),
    DocumentKind.DISPENSING: ("dispensing", "نسخه‌پیچی"),
    DocumentKind.CANCELLATION: ("cancellation", "ابطال نسخه"),
    DocumentKind.PAPER: ("paper prescription", "نسخه کاغذی"),
    DocumentKind.LOGIN: ("login", "درخواست ورود"),
    DocumentKind.VISIT: ("visit", "ویزیت"),
    DocumentKind.OUTCOME: ("service outcome", "نتیجهٔ خدمت"),
}

P, PH, F = SignatureRole.PRESCRIBER, SignatureRole.PHARMACIST, SignatureRole.FACILITY

#: the roles whose signatures a document of each kind carries, in signing order
REQUIRED_ROLES: Mapping[DocumentKind, tuple[SignatureRole, ...]] = MappingProxyType(
    {
        DocumentKind.PRESCRIPTION: (P, F),
        DocumentKind.DISPENSING: (PH, F),
        DocumentKind.CANCELLATION: (P,),
        DocumentKind.PAPER: (P,),
        DocumentKind.LOGIN: (F,),
        DocumentKind.VISIT: (P, F),
        DocumentKind.OUTCOME: (F,),
    }
)

#: the `SignerIdentity` field that carries a holder's registration number in each role
HOLDER_NUMBER: Mapping[SignatureRole, str] = MappingProxyType(
    {P: "medical_council_number", PH: "pharmacist_licence", F: "siam_id"}
)

#: roles a certificate stating no role (a national-card certificate) may sign in
ROLELESS_MAY_SIGN_AS: frozenset[SignatureRole] = frozenset({P, PH})


def required_roles(kind: DocumentKind) -> tuple[SignatureRole, ...]:
    """The roles that must sign a document of `kind`, in the order they sign (see the module's table)."""
    return REQUIRED_ROLES[kind]


@dataclass(frozen=True)
class Party:
    """Who a document names in one role: the registration number of that role (council number, pharmacist
    licence or SIAM id) and, for a person, the national code when the document carries one."""

    number: str
    national_code: str | None = None


class RoleProblem(str, Enum):
    """Why a set of signature roles does not fit a document kind (an error code of `role_problems`)."""

    MISSING = "missing-signature"
    UNEXPECTED = "unexpected-signature"


def role_problems(
    kind: DocumentKind, roles: Iterable[SignatureRole]
) -> dict[RoleProblem, list[SignatureRole]]:
    """Compare the roles of the signatures on a document with those `kind` requires.

    Returns `{}` when they fit exactly; otherwise the roles missing and the roles unexpected (a role the kind
    does not take, or a second signature in a role: each extra occurrence is listed)."""
    wanted = required_roles(kind)
    seen: list[SignatureRole] = []
    unexpected: list[SignatureRole] = []
    for role in roles:
        (unexpected if role not in wanted or role in seen else seen).append(role)
    missing = [r for r in wanted if r not in seen]
    out: dict[RoleProblem, list[SignatureRole]] = {}
    if missing:
        out[RoleProblem.MISSING] = missing
    if unexpected:
        out[RoleProblem.UNEXPECTED] = unexpected
    return out


def may_sign_as(certificate_role: SignatureRole | None, role: SignatureRole) -> bool:
    """Whether a certificate stating `certificate_role` (None: states none) may sign in `role`."""
    if certificate_role is None:
        return role in ROLELESS_MAY_SIGN_AS
    return certificate_role is role


class HolderProblem(str, Enum):
    """Why a signer is not the party a document names (an error code of `holder_problem`)."""

    OTHER_NUMBER = "other-number"  # the certificate names another registration number
    UNMATCHED = "unmatched"  # no number on the certificate and no national code to match on
    OTHER_NATIONAL_CODE = "other-national-code"


def holder_problem(role: SignatureRole, who: SignerIdentity, named: Party) -> HolderProblem | None:
    """None when `who` (as the certificate names the holder) is the party `named` in `role`; else why not.

    Rule: the certificate's registration number for the role must equal the document's; a person's
    certificate without that number must carry the same national code as the document (both present); two
    national codes, when both are present, must be equal. A facility is matched on its SIAM id only."""
    theirs = getattr(who, HOLDER_NUMBER[role])
    if theirs is not None and theirs != named.number:
        return HolderProblem.OTHER_NUMBER
    if role is F:
        return None if theirs is not None else HolderProblem.UNMATCHED
    if theirs is None and not (who.national_code and named.national_code):
        return HolderProblem.UNMATCHED
    if who.national_code and named.national_code and who.national_code != named.national_code:
        return HolderProblem.OTHER_NATIONAL_CODE
    return None


def parties_of_prescription(rx: Prescription) -> dict[SignatureRole, Party]:
    """The prescriber (council number, national code when recorded) and the facility (SIAM id) of `rx`."""
    return {
        P: Party(rx.prescriber.medical_council_number, rx.prescriber.national_code or None),
        F: Party(rx.facility_siam),
    }


def parties_of_dispensing(d: Dispensing) -> dict[SignatureRole, Party]:
    """The pharmacist (licence, national code when recorded) and the facility (SIAM id) of `d`."""
    return {
        PH: Party(d.pharmacist.licence, d.pharmacist.national_code or None),
        F: Party(d.facility_siam),
    }
