"""Paper tests: TEST identities from `smartcard.devtoken` (key files, no token state), a rogue CA, sample data.

Signers are the real `smartcard.p12.P12Signer` and verification the real `TrustList`; the SoftHSM2 token
path is exercised once, through the CLI in its own process (`test_cli.py`).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from app.domain import (
    CostSplit,
    Coverage,
    DispensedPack,
    Dispensing,
    DispensingItem,
    Patient,
    PatientId,
    Pharmacist,
    Prescriber,
    Prescription,
    PrescriptionItem,
    Sex,
)
from app.signing import SignatureRole as R
from smartcard import devtoken
from smartcard.devtoken import DevIdentity, national_code
from smartcard.p12 import P12Signer
from smartcard.trustlist import TrustList
from tests.conftest import SIAM

P12_PASS = "paper-test"
COUNCIL = "123456"
GP_NAME = "آزمایشی دکتر سارا رضایی"
HID = "1234567890123452"  # Luhn-valid
NATIONAL_CODE = "0012345679"

IDENTITIES = (
    DevIdentity(
        "paper-gp-ec",
        R.PRESCRIBER,
        GP_NAME,
        "Physician",
        f"MC-{COUNCIL}",
        national_code("001234567"),
        on_token=False,
        p12_passphrase=P12_PASS,
    ),
    DevIdentity(
        "paper-gp-rsa",
        R.PRESCRIBER,
        GP_NAME,
        "Physician",
        f"MC-{COUNCIL}",
        national_code("001234567"),
        key_type="rsa",
        on_token=False,
        p12_passphrase=P12_PASS,
    ),
    DevIdentity(
        "paper-other-gp",
        R.PRESCRIBER,
        "آزمایشی دکتر علی نوری",
        "Physician",
        "MC-654321",
        national_code("003456789"),
        on_token=False,
        p12_passphrase=P12_PASS,
    ),
    DevIdentity(
        "paper-clinic",
        R.FACILITY,
        "آزمایشی درمانگاه شبانه‌روزی امید",
        "Facility",
        f"SIAM-{SIAM}",
        on_token=False,
        p12_passphrase=P12_PASS,
    ),
    DevIdentity(
        "paper-pharmacist",
        R.PHARMACIST,
        "آزمایشی دکتر رضا کریمی",
        "Pharmacist",
        "PL-98765",
        national_code("002345678"),
        on_token=False,
        p12_passphrase=P12_PASS,
    ),
)


@dataclass
class Pki:
    tokens: devtoken.DevTokens
    trust: TrustList
    rogue_p12: Path  # a prescriber certificate from a CA that copies the real CA's name…
    rogue_ca: x509.Certificate  # …which is this one

    def signer(self, label: str, role: R = R.PRESCRIBER) -> P12Signer:
        return P12Signer(self.tokens.p12(label), P12_PASS, self.trust, role=role)

    def rogue_signer(self) -> P12Signer:
        own_trust = TrustList((self.rogue_ca,), (), "rogue", dt.datetime.now(dt.UTC))
        return P12Signer(self.rogue_p12, P12_PASS, own_trust, role=R.PRESCRIBER)

    def cert_der(self, label: str) -> bytes:
        return self.tokens.certificates[label].public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("paper-pki")
    tokens = devtoken.init(d, IDENTITIES)
    now = dt.datetime.now(dt.UTC)
    assert tokens.ca_cert is not None
    ca_name = tokens.ca_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    rogue_ca_key, rogue_ca = devtoken.make_ca(str(ca_name), now)  # same name as the trusted CA
    ident = IDENTITIES[0]
    key = ec.generate_private_key(ec.SECP256R1())
    cert = devtoken.issue(ident, key, rogue_ca_key, rogue_ca, now)
    rogue = d / "rogue.p12"
    rogue.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"rogue", key, cert, None, serialization.BestAvailableEncryption(P12_PASS.encode())
        )
    )
    return Pki(tokens, TrustList.from_file(tokens.trust_list), rogue, rogue_ca)


def need(*tools: str) -> None:
    """Skip when a Debian tool the read-back needs is missing (poppler-utils, zbar-tools)."""
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt install poppler-utils zbar-tools)")


def sample_prescription(
    *, hid: str | None = HID, items: int = 3, tracking: str | None = None
) -> Prescription:
    catalog = [
        (
            "1234567",
            "آموکسی‌سیلین ۵۰۰ کپسول",
            20,
            "هر ۸ ساعت یک کپسول، تا پایان دوره",
            CostSplit(70_000, 30_000),
        ),
        ("2345678", "Acetaminophen 500 mg", 10, "در صورت درد یا تب، هر ۶ ساعت یک قرص", CostSplit(0, 25_000)),
        ("3456789", "لوراتادین ۱۰ قرص", 10, "روزی یک قرص، شب‌ها", CostSplit(14_000, 6_000)),
    ]
    rows = [catalog[i % len(catalog)] for i in range(items)]
    rx = Prescription(
        patient=Patient(
            PatientId("national-code", NATIONAL_CODE),
            "علی",
            "رضایی",
            dt.date(1985, 3, 1),
            Sex.MALE,
            coverage=Coverage("TAMIN", insurer_percent=70),
        ),
        prescriber=Prescriber(GP_NAME, COUNCIL, "پزشک عمومی"),
        facility_siam=SIAM,
        items=[PrescriptionItem(code, name, qty, sig, cost=cost) for code, name, qty, sig, cost in rows],
        hid=hid,
    )
    if tracking:
        rx.tracking_code = tracking
    return rx


def sample_dispensing(rx: Prescription, *, tracking: str | None = None) -> Dispensing:
    return Dispensing(
        prescription_id=rx.id,
        pharmacist=Pharmacist("آزمایشی دکتر رضا کریمی", "98765"),
        facility_siam="20000002",
        items=[
            DispensingItem(
                1,
                "1234567",
                20,
                (DispensedPack("6260001234567891"), DispensedPack("6260001234567892")),
                CostSplit(70_000, 30_000),
            ),
            DispensingItem(2, "2345678", 10, (DispensedPack("6260009876543210"),), CostSplit(0, 25_000)),
        ],
        hid=rx.hid,
        tracking_code=tracking,
        payment_id="PAY778899",
        pos_terminal_id="POS-1001",
    )


def zbar(png: Path, *symbologies: str) -> list[str]:
    """What zbarimg reads in `png`, restricted to `symbologies` (e.g. "code128", "qrcode")."""
    opts = ["-Sdisable", *(f"-S{s}.enable" for s in symbologies)] if symbologies else []
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", *opts, str(png)], capture_output=True, text=True, timeout=60, check=False
    )
    return [line for line in done.stdout.splitlines() if line]


def render_png(pdf: Path, dpi: int = 300, page: int = 1) -> Path:
    prefix = pdf.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
        timeout=60,
    )
    return prefix.with_suffix(".png")


def pdf_text(pdf: Path) -> str:
    """pdftotext's reading, made comparable: NFKC (presentation forms → letters), no direction marks or
    half-spaces, ASCII digits, single spaces."""
    import re
    import unicodedata

    from app.text import to_ascii_digits

    raw = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    text = unicodedata.normalize("NFKC", raw)
    text = re.sub("[\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    return " ".join(to_ascii_digits(text).split())


__all__ = [
    "HID",
    "NATIONAL_CODE",
    "Pki",
    "need",
    "pdf_text",
    "render_png",
    "sample_dispensing",
    "sample_prescription",
    "zbar",
]
