"""Paper commands: print a prescription or a receipt, verify a scanned paper prescription offline.

    noskhe rx print ID -o FILE.pdf [--no-qr] [--token LABEL | --p12 FILE] [--trust-list FILE]
    noskhe receipt print DISPENSING_ID -o FILE.pdf [--roll]
    noskhe paper verify PAYLOAD | - | --image FILE.png [--trust-list FILE] [--certs FILE_OR_DIR …] [--json]

`rx print` signs the QR payload with the prescriber's token the first time (PIN from $NOSKHE_PIN, a prompt,
or the reader's PIN pad; with --p12 the key file's passphrase from $NOSKHE_USER_P12_PASSPHRASE or a prompt);
reprints reuse it. `paper verify` exits 0 only for an intact payload signed by a
prescriber whose certificate chains to the trust list; anything else is one line and exit 1.

The `rx`, `receipt` and `paper` groups may be shared with other command modules: `command_group` returns
the group's existing sub-command list when another module created it first, else creates it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.common import ask_pin, command_group, trust_list, workstation_if_any
from app.errors import ConfigError
from app.signature_policy import DocumentKind, required_roles

#: who signs the paper's QR payload, by the signature policy
(PAPER_SIGNER,) = required_roles(DocumentKind.PAPER)

if TYPE_CHECKING:
    from app.certificate_status import CertificateStatus
    from app.cli.context import Context
    from app.services.council import CouncilStatus
    from app.signing import Signer
    from printing.pharmacy import PaperCheck
    from smartcard.status import StatusChecker
    from smartcard.tokens import Pkcs11Module


def register(sub: Any) -> None:
    rx = command_group(sub, "rx", "prescriptions")
    p = rx.add_parser("print", help="the paper prescription (A5 PDF with HID/id barcodes and a signed QR)")
    p.add_argument("id", help="prescription id")
    p.add_argument("-o", "--output", required=True, help="PDF file to write")
    p.add_argument("--no-qr", action="store_true", help="print without the signed QR (no token needed)")
    p.add_argument(
        "--token", help="prescriber's token label (default: $NOSKHE_TOKEN_LABEL or the only token)"
    )
    p.add_argument("--p12", help="sign the QR with this PKCS#12 file instead of a token")
    p.add_argument(
        "--trust-list", help="trust-list file or directory (default: $NOSKHE_TRUST_LIST or the store's)"
    )
    cert = p.add_mutually_exclusive_group()
    cert.add_argument(
        "--embed-cert",
        dest="embed_cert",
        action="store_const",
        const=True,
        help="always carry the signer certificate in the QR",
    )
    cert.add_argument(
        "--cert-ref",
        dest="embed_cert",
        action="store_const",
        const=False,
        help="carry only a reference to the certificate (smaller QR)",
    )
    p.set_defaults(handler=cmd_rx_print, embed_cert=None)

    receipt = command_group(sub, "receipt", "pharmacy receipts")
    p = receipt.add_parser("print", help="the receipt of a dispensing (A5, or an 80 mm roll with --roll)")
    p.add_argument("id", help="dispensing id")
    p.add_argument("-o", "--output", required=True, help="PDF file to write")
    p.add_argument("--roll", action="store_true", help="80 mm thermal roll instead of A5")
    p.set_defaults(handler=cmd_receipt_print)

    paper = command_group(sub, "paper", "paper prescriptions")
    p = paper.add_parser("verify", help="verify a paper prescription's QR payload offline")
    p.add_argument("payload", nargs="?", help="the scanned QR text (quote it), or - to read it from stdin")
    p.add_argument("--image", help="a photo or scan of the paper: the QR is read with zbarimg")
    p.add_argument(
        "--trust-list", help="trust-list file or directory (default: $NOSKHE_TRUST_LIST or the store's)"
    )
    p.add_argument(
        "--certs",
        nargs="*",
        default=[],
        help="signer certificates (PEM/DER files or directories) "
        "for payloads that carry only a certificate reference",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_paper_verify)


# ---- shared helpers ---------------------------------------------------------------------------------


class _PrescriberSigner:
    """Opens the prescriber's token (or key file) only when a new QR signature is needed."""

    def __init__(self, args: Any, ctx: Context) -> None:
        self.args, self.ctx = args, ctx
        self.module: Pkcs11Module | None = None

    def __call__(self) -> Signer:
        if not (self.args.p12 or self.args.token) and self._configured():
            return self.ctx.workstation().signing_user()  # the token or key file `sync config` named
        trust = trust_list(self.args, self.ctx)
        if self.args.p12:
            from smartcard.p12 import P12Signer

            passphrase = self.ctx.prompter.passphrase("user-p12")
            return P12Signer(
                self.args.p12, passphrase, trust, role=PAPER_SIGNER, revocation=self._revocation()
            )
        from smartcard.config import SmartcardConfig
        from smartcard.signer import TokenSigner
        from smartcard.tokens import Pkcs11Module

        config = SmartcardConfig.from_env()
        module = self.module = Pkcs11Module.load(config)
        session = module.session(label=self.args.token or config.token_label)
        session.login(ask_pin(session, self.ctx.prompter))
        return TokenSigner(session, PAPER_SIGNER, trust, revocation=self._revocation())

    def _revocation(self) -> StatusChecker:
        """The workstation's certificate status (OCSP online, the CRL offline): the QR's signer checks his
        own certificate before signing."""
        return self.ctx.workstation().certificate_status

    def _configured(self) -> bool:
        """A clinic workstation whose settings name the prescriber's token or key file."""
        ws = self.ctx.workstation()
        named = ws.setting("signing.user_p12") or ws.setting("signing.user_token", "NOSKHE_TOKEN_LABEL")
        return ws.role == "clinic" and bool(named)

    def close(self) -> None:
        if self.module is not None:
            self.module.close()


# ---- rx print, receipt print ------------------------------------------------------------------------


def cmd_rx_print(args: Any, ctx: Context) -> int:
    from printing.paper import print_prescription

    signer = _PrescriberSigner(args, ctx)
    try:
        info = print_prescription(
            ctx.open_store(),
            args.id,
            args.output,
            signer=signer,
            qr=not args.no_qr,
            embed_cert=args.embed_cert,
        )
    finally:
        signer.close()
    hid = f"HID {info.hid_barcode}" if not info.hid_pending else f"HID pending, barcode {info.hid_barcode}"
    qr = f", QR v{info.qr.version}-{info.qr.error} ({info.payload_bytes} bytes)" if info.qr else ", no QR"
    print(f"{args.output}: {info.pages} page(s), {hid}, id {info.id_barcode}{qr} | نسخه کاغذی آماده شد")
    return 0


def cmd_receipt_print(args: Any, ctx: Context) -> int:
    from printing.pharmacy import print_receipt

    info = print_receipt(ctx.workstation(), args.id, args.output, roll=args.roll)
    size = f"80 mm × {info.height / 72 * 25.4:.0f} mm" if args.roll else "A5"
    print(f"{args.output}: {size}, reference {info.reference} | رسید آماده شد")
    return 0


# ---- paper verify -----------------------------------------------------------------------------------


def qr_texts(payload: str) -> list[str]:
    """The QR text given on the command line, or read from standard input for `-`."""
    return [sys.stdin.read() if payload == "-" else payload]


def _certificates(paths: list[str]) -> list[bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    out: list[bytes] = []
    for name in paths:
        p = Path(name)
        for f in sorted(p.iterdir()) if p.is_dir() else [p]:
            if f.suffix.lower() not in (".pem", ".crt", ".cer", ".der"):
                continue
            raw = f.read_bytes()
            certs = (
                x509.load_pem_x509_certificates(raw)
                if b"-----BEGIN" in raw
                else [x509.load_der_x509_certificate(raw)]
            )
            out += [c.public_bytes(Encoding.DER) for c in certs]
    return out


def cmd_paper_verify(args: Any, ctx: Context) -> int:
    """Verify a scanned paper QR: the signature, its certificate's status (OCSP online, the CRL offline) and
    the prescriber's licence (the medical council, or its kept answer) when a workstation is here."""
    from printing.pharmacy import read_qr_image, verify_paper

    if args.image:
        texts = read_qr_image(args.image)
    elif args.payload:
        texts = qr_texts(args.payload)
    else:
        raise ConfigError(
            "Give the QR text, - for stdin, or --image FILE.", "متن کد QR یا ‎--image FILE‎ را بدهید."
        )
    ws = workstation_if_any(ctx)
    check = verify_paper(ws, texts, trust=trust_list(args, ctx), certificates=_certificates(args.certs))
    _show(check, args.json, ctx.lang)
    return 0


def _show(check: PaperCheck, as_json: bool, lang: str = "fa") -> None:
    from app.timefmt import format_time_for

    v = check.paper
    f = v.fields
    status = v.result.certificate_status
    info = {
        "valid": True,
        "prescription_id": f.prescription_id,
        "version": f.version,
        "patient": {"name": f.patient_name, "id_kind": f.patient_id_kind, "id": f.patient_id},
        "prescriber": {"name": f.prescriber_name, "medical_council_number": f.prescriber_council},
        "facility_siam": f.facility_siam,
        "prescribed_at": f.prescribed_at.isoformat(),
        "hid": f.hid,
        "items": [
            {
                "line": i.line,
                "drug_code": i.drug_code,
                "quantity": i.quantity,
                "repeats": i.repeats,
                "instructions": i.instructions,
            }
            for i in f.items
        ],
        "signer": v.signer.name,
        "signed_at": v.result.signed_at.isoformat() if v.result.signed_at else None,
        "trust_list_version": v.result.trust_list_version,
        "trust_list_stale": v.result.trust_list_stale,
        "certificate": "embedded" if v.payload.cert is not None else "by reference",
        "certificate_status": status.to_dict() if status else None,
        "council": check.council.to_dict() if check.council else None,
    }
    if as_json:
        print(json.dumps(info, ensure_ascii=False, indent=1))
        return
    print("valid paper prescription | نسخه کاغذی معتبر است")
    prescribed = format_time_for(f.prescribed_at, lang, seconds=True)
    print(f"  prescription {f.prescription_id} v{f.version}, {prescribed}")
    print(f"  patient: {f.patient_name} ({f.patient_id_kind} {f.patient_id})")
    print(
        f"  prescriber: {f.prescriber_name} (council {f.prescriber_council}), facility SIAM {f.facility_siam}"
    )
    print(f"  HID: {f.hid or 'pending | در انتظار'}")
    for i in f.items:
        repeats = f", repeats {i.repeats}" if i.repeats else ""
        print(f"  {i.line}. {i.drug_code} × {i.quantity}{repeats} — {i.instructions}")
    signed = v.result.signed_at
    when = format_time_for(signed, lang)
    print(f"  signed by {v.signer.name} at {when}; trust list {info['trust_list_version']}")
    if v.result.trust_list_stale:
        print("  warning: the trust list is stale; update it | هشدار: فهرست مراجع مورد اعتماد کهنه است")
    print_status_lines(status, check.council, lang)


def print_status_lines(status: CertificateStatus | None, council: CouncilStatus | None, lang: str) -> None:
    """The prescriber certificate's status and source, and his licence as the council answered (or
    "not known"), each on its own line."""
    if status is not None:
        print(f"  {status.describe(lang)}")
    if council is not None:
        print(f"  {council.describe(lang)}")
    else:
        print(
            "  prescriber's licence: not known (the medical council could not be asked and nothing is kept)"
            if lang != "fa"
            else "  پروانهٔ تجویزگر: نامعلوم (از نظام پزشکی پرسیده نشد و پاسخی نگه داشته نشده است)"
        )
