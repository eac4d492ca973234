"""The TEST world the demo and the tests play in: who holds which token, and which facility is which.

Made with `smartcard.devtoken.init(DIR, IDENTITIES)`: every identity is on a SoftHSM2 token (PIN below) and
also in DIR/<label>.p12 (passphrase below), so in-process tests can sign in software and subprocesses
with real tokens. Facility SIAM ids match the facilities the reference exchange seeds (`exchange.seed`).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import Pharmacist, Prescriber
from app.signing import SignatureRole as R
from smartcard.devtoken import DevIdentity, national_code


@dataclass(frozen=True)
class Workstation:
    """One workstation of the demo: its facility, its role, the tokens its user and its seal live on."""

    siam: str
    role: str  # clinic | pharmacy
    name: str
    user_token: str
    facility_token: str


IDENTITIES = (
    DevIdentity(
        "noskhe-gp",
        R.PRESCRIBER,
        "آزمایشی دکتر سارا احمدی",
        "Physician",
        "MC-123456",
        national_code("001234567"),
        pin="111111",
        p12_passphrase="demo-gp",
    ),
    DevIdentity(
        "noskhe-pharmacist",
        R.PHARMACIST,
        "آزمایشی دکتر رضا کریمی",
        "Pharmacist",
        "PL-98765",
        national_code("002345678"),
        pin="222222",
        p12_passphrase="demo-pharmacist",
    ),
    DevIdentity(
        "noskhe-pharmacist-2",
        R.PHARMACIST,
        "آزمایشی دکتر نگار موسوی",
        "Pharmacist",
        "PL-87654",
        national_code("003456789"),
        pin="555555",
        p12_passphrase="demo-pharmacist-2",
    ),
    DevIdentity(
        "noskhe-clinic",
        R.FACILITY,
        "آزمایشی درمانگاه نمونه",
        "Facility",
        "SIAM-10000001",
        pin="333333",
        p12_passphrase="demo-clinic",
    ),
    DevIdentity(
        "noskhe-pharmacy",
        R.FACILITY,
        "آزمایشی داروخانه نمونه",
        "Facility",
        "SIAM-20000002",
        pin="444444",
        p12_passphrase="demo-pharmacy",
    ),
    DevIdentity(
        "noskhe-pharmacy-2",
        R.FACILITY,
        "آزمایشی داروخانه دوم",
        "Facility",
        "SIAM-20000003",
        pin="666666",
        p12_passphrase="demo-pharmacy-2",
    ),
    # a GP whose medical council licence the exchange knows as suspended
    DevIdentity(
        "noskhe-gp-suspended",
        R.PRESCRIBER,
        "آزمایشی دکتر معلق",
        "Physician",
        "MC-555555",
        national_code("004567891"),
        on_token=False,
        p12_passphrase="demo-suspended",
    ),
    # a real certificate for a facility the exchange has never heard of
    DevIdentity(
        "noskhe-stranger",
        R.FACILITY,
        "آزمایشی مرکز ناشناس",
        "Facility",
        "SIAM-30000004",
        on_token=False,
        p12_passphrase="demo-stranger",
    ),
    # a facility certificate from a CA the exchange does not trust
    DevIdentity(
        "noskhe-forger",
        R.FACILITY,
        "آزمایشی درمانگاه جعلی",
        "Facility",
        "SIAM-10000001",
        on_token=False,
        p12_passphrase="demo-forger",
        issuer="other",
    ),
)
PINS = {i.label: i.pin for i in IDENTITIES}
P12_PASSPHRASES = {i.label: i.p12_passphrase for i in IDENTITIES if i.p12_passphrase}

CLINIC = Workstation("10000001", "clinic", "درمانگاه نمونه (آزمایشی)", "noskhe-gp", "noskhe-clinic")
PHARMACY = Workstation(
    "20000002", "pharmacy", "داروخانه نمونه (آزمایشی)", "noskhe-pharmacist", "noskhe-pharmacy"
)
PHARMACY_2 = Workstation(
    "20000003", "pharmacy", "داروخانه دوم (آزمایشی)", "noskhe-pharmacist-2", "noskhe-pharmacy-2"
)

GP = Prescriber("آزمایشی دکتر سارا احمدی", "123456", national_code=national_code("001234567"))
PHARMACISTS = {
    "noskhe-pharmacist": Pharmacist("آزمایشی دکتر رضا کریمی", "98765", national_code("002345678")),
    "noskhe-pharmacist-2": Pharmacist("آزمایشی دکتر نگار موسوی", "87654", national_code("003456789")),
}
