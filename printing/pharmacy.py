"""Paper at the pharmacy: read a paper prescription's signed QR back, verify it offline, keep it; print receipts.

When the network, the power or the exchange fails, the patient carries the prescription on paper and a
pharmacy dispenses from it (national rules, section 12; bylaw article 16: an outage must never delay care).
The QR holds the prescription's essential fields signed by the prescriber (`printing.payload`): it is
verified against the workstation's trust list before anything is written or any token is asked for a PIN,
then kept so it can be dispensed like a retrieved one; the exchange settles it, or reports a conflict, when
the dispensing reaches it.

    texts = read_qr_image("scan.png")           # or [the QR text a scanner typed]
    check = verify_paper(ws, texts)             # verified, its certificate status and the prescriber's
                                                # licence (`noskhe paper verify`); nothing written
    rx = read_paper(ws, texts)                  # verified; nothing written
    kept = import_paper(ws, texts)              # verified and kept (`noskhe rx import-paper`)
    dispense(ws, paper=lambda: read_paper(ws, texts), all_lines=True)    # `sync.counter.dispense`
    print_receipt(ws, dispensing_id, "receipt.pdf", roll=True)

`read_qr_image` runs `zbarimg` (Debian: zbar-tools).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from app.domain import Prescription
from app.errors import ConfigError, NoskheError
from app.services.dispensing import keep_paper
from printing.paper import print_receipt as render_receipt
from printing.paper import verify_text
from printing.payload import VerifiedPaper, payload_to_prescription
from printing.receipt_pdf import PrintedReceipt

if TYPE_CHECKING:
    from app.certificate_status import CertificateStatus
    from app.services.council import CouncilStatus
    from app.workstation import Workstation
    from smartcard.status import StatusSourceLike
    from smartcard.trustlist import TrustList


@dataclass(frozen=True)
class PaperImport:
    """A paper prescription verified and kept: `prescription` is what this store now holds for it, the copy
    retrieved online (or kept) earlier when there was one (`already_kept`), else the one read from paper."""

    prescription: Prescription
    already_kept: bool
    #: the prescriber certificate's revocation status and its source (OCSP online, the CRL offline)
    certificate_status: CertificateStatus | None = None
    #: the prescriber's licence as the medical council answered (now, or kept from earlier), when known
    council: CouncilStatus | None = None


@dataclass(frozen=True)
class PaperCheck:
    """A paper prescription verified (`paper`; its prescriber certificate's status in
    `paper.result.certificate_status`) and the prescriber's licence status from the medical council
    (asked now, or the answer kept from earlier with its age; None when nothing is known)."""

    paper: VerifiedPaper
    council: CouncilStatus | None = None


def read_qr_image(path: str | Path) -> list[str]:
    """The QR texts `zbarimg` finds in an image (a photo or a scan of the paper; 1-D barcodes ignored), in
    the order it reports them. Raises `ConfigError` when zbarimg is not installed or there is no file at
    `path`, `NoskheError` when no QR code could be read."""
    tool = shutil.which("zbarimg")
    if tool is None:
        raise ConfigError(
            "zbarimg is not installed (Debian: apt install zbar-tools).",
            "برنامه zbarimg نصب نیست (دبیان: zbar-tools).",
        )
    if not Path(path).is_file():
        raise ConfigError(f"No image at {path}.", f"تصویری در {path} نیست.")
    done = subprocess.run(
        [tool, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = [line for line in done.stdout.splitlines() if line.strip()]
    if not found:
        raise NoskheError(
            f"No QR code could be read in {path}; scan it again, flat and in focus.",
            f"در {path} کد QR خوانده نشد؛ دوباره، صاف و واضح اسکن کنید.",
        )
    return found


def verify_first(
    texts: Iterable[str],
    trust: TrustList,
    *,
    certificates: Iterable[bytes] | Mapping[bytes, bytes] = (),
    revocation: StatusSourceLike | None = None,
) -> VerifiedPaper:
    """The first of `texts` that is an intact paper payload signed by a prescriber whose certificate chains
    to `trust` (a photo may hold other QR codes too). `certificates`: DER certificates for payloads that
    carry only a reference to their signer's. Raises the first text's error when none verifies
    (`PaperPayloadError`: damaged, cut, foreign; `PaperSignatureError`: unknown signer, bad signature, not
    the prescriber), `NoskheError` when `texts` is empty. The certificate's revocation is asked of
    `revocation` (OCSP online; default: the trust list's CRL)."""
    certs = certificates if isinstance(certificates, Mapping) else list(certificates)
    error: NoskheError | None = None
    for text in texts:
        try:
            return verify_text(text, trust, certificates=certs, revocation=revocation)
        except NoskheError as exc:
            error = error or exc
    raise error or NoskheError("No QR text was given.", "متن کد QR داده نشد.")


def read_paper(ws: Workstation, texts: Sequence[str]) -> Prescription:
    """The prescription on a paper copy, from its QR text(s) (blanks around each ignored), verified offline
    against the workstation's trust list (section 12); nothing is written and no token is touched. Drug
    names come from the local catalog (the code when unknown); cost, notes and specialty are not on paper.
    Raises as `verify_first` does, and `TrustListError` when the workstation has no trust list. The
    prescriber certificate's revocation is asked as the workstation asks it (OCSP online, the CRL offline)."""
    return _prescription(ws, _verified(ws, texts))


def _verified(ws: Workstation, texts: Sequence[str]) -> VerifiedPaper:
    from app.services.council import kept_bar

    paper = verify_first([t.strip() for t in texts], ws.trust, revocation=ws.certificate_status)
    bar = kept_bar(ws, paper.fields.prescriber_council)
    if bar is not None:  # the council's verdict kept here bars him, as the trust list's suspensions do
        _refuse_barred(paper.fields.prescriber_council, bar.status, bar.since)
    return paper


def _refuse_barred(council: str, status: str, since: str) -> None:
    """Raise `PaperSignatureError` (reason `prescriber-suspended`): the medical council bars the paper's
    prescriber (`status`: suspended, revoked)."""
    from app.services.council import STATUSES
    from printing.payload import PaperSignatureError

    en, fa = STATUSES.get(status, (status, status))
    when = f" since {since[:10]}" if since else ""
    raise PaperSignatureError(
        f"The paper prescription is not accepted: its prescriber (council number {council}) is {en} by "
        f"the medical council{when}; it must not be dispensed.",
        f"نسخه کاغذی پذیرفته نیست: پروانهٔ تجویزگر آن (شماره نظام {council}) «{fa}» است و نباید پیچیده شود.",
        reason="prescriber-suspended",
    )


def _prescription(ws: Workstation, paper: VerifiedPaper) -> Prescription:
    def name(code: str) -> str | None:
        drug = ws.store.catalog.get(code)
        return drug.label_fa if drug else None

    return payload_to_prescription(paper, drug_name=name)


def verify_paper(
    ws: Workstation | None,
    texts: Sequence[str],
    *,
    trust: TrustList | None = None,
    certificates: Iterable[bytes] | Mapping[bytes, bytes] = (),
) -> PaperCheck:
    """What `noskhe paper verify` does: the first of `texts` that verifies (`verify_first`) against `trust`
    (default: the workstation's), the prescriber certificate's revocation asked as the workstation asks it
    (OCSP online, the CRL offline; the CRL alone without a workstation), and the prescriber's licence status
    from the medical council (section 8-12: asked now, or the answer kept earlier; none without a
    workstation). Nothing is written but the council's answer. Raises as `verify_first` does, and
    `PaperSignatureError` (reason `prescriber-suspended`) when the council (now, or its kept answer) bars
    the prescriber."""
    from app.services.council import BARRED, prescriber_status

    if trust is None:
        if ws is None:
            raise NoskheError("No trust list to verify with.", "فهرست مراجع مورد اعتماد نیست.")
        trust = ws.trust
    paper = verify_first(
        [t.strip() for t in texts],
        trust,
        certificates=certificates,
        revocation=ws.certificate_status if ws is not None else None,
    )
    council = prescriber_status(ws, paper.fields.prescriber_council) if ws is not None else None
    if council is not None and council.answer.status in BARRED:  # asked now, or the verdict kept here
        _refuse_barred(paper.fields.prescriber_council, council.answer.status, council.answer.since)
    return PaperCheck(paper, council)


def import_paper(ws: Workstation, texts: Sequence[str]) -> PaperImport:
    """A paper prescription verified offline (`read_paper`) and kept for dispensing without the network
    (`app.services.dispensing.keep_paper`); what `noskhe rx import-paper` does. Nothing is written when
    the paper does not verify (raises as `read_paper`). The result carries the prescriber certificate's
    status and the prescriber's licence status (the council asked now, or its answer kept earlier)."""
    from app.services.council import prescriber_status

    paper = _verified(ws, texts)
    rx = _prescription(ws, paper)
    kept = keep_paper(ws, rx)
    return PaperImport(
        kept,
        already_kept=kept is not rx,
        certificate_status=paper.result.certificate_status,
        council=prescriber_status(ws, paper.fields.prescriber_council),
    )


def print_receipt(
    ws: Workstation, dispensing_id: str, out: str | Path | BinaryIO, *, roll: bool = False
) -> PrintedReceipt:
    """The receipt of a dispensing kept here, rendered to `out` as a PDF: an 80 mm thermal roll (`roll`) or
    A5 (see `printing.receipt_pdf`: the pharmacy, the pharmacist, every item with its packs' TTAC codes,
    the insurer and patient shares in rials, and the dispensing's reference — the tracking code once
    registered, else its own id — as digits and a QR). The print is written to the audit log. Returns the
    page size (points), the page count and the reference. Raises `NotFound`."""
    return render_receipt(ws.store, dispensing_id, out, roll=roll)


#: what a scanned paper comes to at the counter (`paper_verdict`)
PAPER_VERDICTS = (
    "valid",
    "tampered",
    "unreadable",
    "unknown-signer",
    "prescriber-suspended",
    "already-dispensed",
    "refused",
)
_VERDICT_OF_REASON = {
    "unknown-signer": "unknown-signer",
    "untrusted": "unknown-signer",
    "prescriber-suspended": "prescriber-suspended",
    "tampered": "tampered",
    "bad-signature": "tampered",
    "malformed": "unreadable",
    "signer-mismatch": "tampered",
}


@dataclass(frozen=True)
class PaperVerdict:
    """A scanned paper prescription judged offline at the counter (section 12). `verdict` is one of
    `PAPER_VERDICTS`: `valid` (verified and kept, ready to dispense), `tampered` (it reads, but its signature
    fails: changed after signing), `unreadable` (the scan does not decode: incomplete, cut short or changed
    by the scanner or keyboard layout — scan again), `unknown-signer` (a certificate this workstation's
    trust list does not know),
    `prescriber-suspended`, `already-dispensed` (dispensed in full here before: the copy kept says so),
    `refused` (any other reason the signature is not accepted). `kept` is the copy this store holds when
    the paper verified (None otherwise); `en`/`fa` say why it is refused; `council` is the prescriber's
    licence as the medical council answered (now or kept), when known."""

    verdict: str
    kept: PaperImport | None = None
    en: str = ""
    fa: str = ""
    reason: str = ""

    @property
    def prescription(self) -> Prescription | None:
        """The prescription as kept here, when the paper verified."""
        return self.kept.prescription if self.kept is not None else None

    @property
    def dispensable(self) -> bool:
        """True when the counter may go on and dispense from it."""
        return self.verdict == "valid"


def paper_verdict(ws: Workstation, texts: Sequence[str]) -> PaperVerdict:
    """Scan a paper prescription's QR at the counter: verify it offline against the workstation's trust
    list and, when it verifies, keep it (`import_paper`) so it can be dispensed without the network; the
    result says what the pharmacist must know (`PaperVerdict.verdict`). Never raises for a paper that does
    not verify — that is the verdict; raises `TrustListError` when there is no trust list."""
    from app.services.dispensing import NotDispensable, refuse_if_closed
    from printing.payload import PaperPayloadError, PaperSignatureError

    try:
        kept = import_paper(ws, texts)
    except PaperPayloadError as exc:
        return PaperVerdict("unreadable", None, exc.en, exc.fa, str(exc.details.get("reason") or ""))
    except PaperSignatureError as exc:
        reason = str(exc.details.get("reason") or "")
        return PaperVerdict(_VERDICT_OF_REASON.get(reason, "refused"), None, exc.en, exc.fa, reason)
    try:
        refuse_if_closed(kept.prescription)
    except NotDispensable as exc:
        verdict = "already-dispensed" if kept.prescription.fully_dispensed else "refused"
        return PaperVerdict(verdict, kept, exc.en, exc.fa, str(exc.details.get("state") or ""))
    return PaperVerdict("valid", kept)


__all__ = [
    "PAPER_VERDICTS",
    "PaperCheck",
    "PaperImport",
    "PaperVerdict",
    "import_paper",
    "paper_verdict",
    "print_receipt",
    "read_paper",
    "read_qr_image",
    "verify_first",
    "verify_paper",
]
