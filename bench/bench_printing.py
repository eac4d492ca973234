"""Paper figures: the QR payload's size in bytes and QR version (EC and RSA prescribers, certificate embedded
or by reference), paper prescriptions and receipts rendered per second, paper verifications per second.

    python bench/bench_printing.py [--seconds 1.5] [--picture docs/paper-prescription.png]

`--picture` also writes a 100 dpi picture of a rendered page (pdftoppm), the one in the README.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import figure, rate

from app.domain import Facility
from app.signing import SignatureRole
from printing.barcodes import forget_qr_symbols, qr_info
from printing.paper import paper_payload, verify_text
from printing.payload import payload_bytes
from printing.prescription_pdf import render_prescription
from printing.receipt_pdf import render_receipt
from smartcard import devtoken
from smartcard.devtoken import DevIdentity, national_code
from smartcard.p12 import P12Signer
from smartcard.trustlist import TrustList
from tests.printing.conftest import GP_NAME, sample_dispensing, sample_prescription

PASS = "bench"
FIRST_PRINT_GOAL_MS = 50.0  # the goal: a new prescription's paper, QR built from scratch
FACILITY = Facility("12345678", "آزمایشی درمانگاه شبانه‌روزی امید", "clinic", phone="02112345678")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    parser.add_argument("--picture", help="write a 100 dpi PNG of a rendered paper prescription here")
    args = parser.parse_args()
    identities = tuple(
        DevIdentity(
            f"bench-{kind}",
            SignatureRole.PRESCRIBER,
            GP_NAME,
            "Physician",
            "MC-123456",
            national_code("001234567"),
            key_type=kind,
            on_token=False,
            p12_passphrase=PASS,
        )
        for kind in ("ec", "rsa")
    )
    with tempfile.TemporaryDirectory(prefix="noskhe-bench-") as tmp:
        tokens = devtoken.init(tmp, identities)
        trust = TrustList.from_file(tokens.trust_list)
        signers = {
            k: P12Signer(tokens.p12(f"bench-{k}"), PASS, trust, role=SignatureRole.PRESCRIBER)
            for k in ("ec", "rsa")
        }

        print("QR payload (3-item prescription, HID issued; level M, alphanumeric mode)")
        print(f"{'prescriber key':<16}{'certificate':<13}{'bytes':>7}{'QR chars':>10}{'QR version':>12}")
        for kind, name in (("ec", "EC P-256"), ("rsa", "RSA-2048")):
            for embed, how in ((None, "default"), (True, "embedded"), (False, "reference")):
                text = paper_payload(sample_prescription(), signers[kind], embed_cert=embed)
                if embed is None:
                    how = "embedded*" if verify_text(text, trust).payload.cert else "reference*"
                info = qr_info(text)
                print(
                    f"{name:<16}{how:<13}{payload_bytes(text):>7}{len(text):>10}{f'{info.version}-{info.error}':>12}"
                )
        print("  * what `rx print` chooses: the certificate rides along while the QR stays ≤ version 30")

        rx = sample_prescription()
        text = paper_payload(rx, signers["ec"])
        signature = signers["ec"].sign(b"document")
        d = sample_dispensing(rx)

        def prescription() -> None:
            forget_qr_symbols()  # a new prescription: its QR symbol is built from scratch
            render_prescription(rx, io.BytesIO(), facility=FACILITY, payload=text, signature=signature)

        def reprint() -> None:
            render_prescription(rx, io.BytesIO(), facility=FACILITY, payload=text, signature=signature)

        def prescription_signed() -> None:
            render_prescription(
                rx,
                io.BytesIO(),
                facility=FACILITY,
                payload=paper_payload(rx, signers["ec"]),
                signature=signature,
            )

        figures = [
            ("paper prescriptions (A5, QR + 2 barcodes)", prescription, "PDF/s"),
            ("… reprints (QR symbol already built)", reprint, "PDF/s"),
            ("… signing a new QR payload each time (EC)", prescription_signed, "PDF/s"),
            (
                "receipts (80 mm roll)",
                lambda: render_receipt(d, io.BytesIO(), prescription=rx, roll=True),
                "PDF/s",
            ),
            ("receipts (A5)", lambda: render_receipt(d, io.BytesIO(), prescription=rx), "PDF/s"),
            ("paper verifications (decode + CMS + chain)", lambda: verify_text(text, trust), "/s"),
        ]
        print(f"\nrendering, in process, {args.seconds:.1f} s per figure")
        rates = {}
        for label, fn, unit in figures:
            rates[label] = rate(fn, args.seconds)
            print(f"  {label:<44}{rates[label]:7.1f} {unit}")
        print()
        figure("first print of a paper prescription (new QR)", 1000 / rates[figures[0][0]], FIRST_PRINT_GOAL_MS, "ms")

        if args.picture:
            pdf = Path(tmp) / "paper.pdf"
            render_prescription(
                rx, pdf, facility=FACILITY, payload=text, signature=signature, insurer_name="تأمین اجتماعی"
            )
            out = Path(args.picture)
            subprocess.run(
                ["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(out.with_suffix(""))],
                check=True,
            )
            print(f"\npicture: {out} ({out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
