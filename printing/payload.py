"""The signed payload in the paper prescription's QR: what a pharmacy verifies and dispenses from offline.

Text form (what the QR holds, all in the QR alphanumeric set): `base45(MAGIC + VERSION + zlib(CBOR body))`,
zlib with the format's preset dictionary (`printing.zdict`).
Body, a CBOR map: 1 → the prescription's essential fields (`PaperFields`, int-keyed map), 2 → the
prescriber's CMS signature with its certificates removed, 3 → SHA-256 of the signer certificate, first 8
bytes, 4 → (optional) that certificate's DER when it fits.

The signature is a detached CMS over `signed_bytes(fields)`: the RFC 8785 canonical JSON of the fields, so
a verifier needs nothing but the QR, the trust list and the signer's certificate (embedded, or found by its
reference among certificates the pharmacy already holds). Any damage, truncation, foreign text, unknown
signer or bad signature raises a `PaperPayloadError` / `PaperSignatureError` with Persian and English text.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asn1crypto import cms, x509

from app.canonical import canonical_bytes
from app.domain import Coverage, Patient, PatientId, Prescriber, Prescription, PrescriptionItem
from app.errors import NoskheError
from app.lifecycle import RxState
from app.signature_policy import DocumentKind, Party
from app.signing import SignatureRole, Signer, SignerIdentity, VerificationResult
from printing.codec import (
    CodecError,
    b45decode,
    b45encode,
    cbor_dumps,
    cbor_loads,
    scanned_text_variants,
)
from printing.fields import PaperFields, PaperItem, fields_from_cbor, fields_from_prescription, fields_to_cbor
from printing.zdict import ZDICT_V1

if TYPE_CHECKING:
    from smartcard.errors import SignatureInvalid
    from smartcard.status import StatusSourceLike
    from smartcard.trustlist import TrustList

MAGIC = b"NX"
VERSION = 1
CERT_REF_LEN = 8
#: the certificate rides along when the whole payload stays within this many bytes: a QR of version 30
#: or less at level M, 60 mm wide on A5 (0.41 mm modules), so a pharmacy needs only its trust list
EMBED_CERT_LIMIT = 1300

__all__ = [
    "MAGIC",
    "VERSION",
    "PaperFields",
    "PaperItem",
    "PaperPayloadError",
    "PaperSignatureError",
    "Payload",
    "VerifiedPaper",
    "cert_ref",
    "decode",
    "encode",
    "fields_from_prescription",
    "payload_to_prescription",
    "seal",
    "signed_bytes",
    "verify",
]


class PaperPayloadError(NoskheError):
    """The QR text is not a whole, undamaged Noskhe paper payload."""

    code = "paper-payload"


class PaperSignatureError(NoskheError):
    """The payload is readable but its signature is not acceptable; `details['reason']` says why:
    unknown-signer, bad-signature, untrusted, not-prescriber, …"""

    code = "paper-signature"


_RESCAN_EN = "switch the keyboard to English, check the scanner's settings and scan again"
_RESCAN_FA = "صفحه‌کلید را انگلیسی کنید، تنظیمات اسکنر را ببینید و دوباره اسکن کنید"


def _damaged(why: str) -> PaperPayloadError:
    # A scan that does not read is far more often the scanner or the keyboard layout (Persian digits,
    # Persian letters for Latin keys) than a damaged paper: say so, and what to do.
    if why == "no Noskhe marker":
        en = (
            f"This QR text is not a Noskhe paper prescription ({why}), or the scanner or the keyboard "
            "layout changed it"
        )
        fa = "این متن QR نسخه کاغذی این برنامه نیست، یا اسکنر یا زبان صفحه‌کلید آن را تغییر داده است"
    else:
        en = (
            f"The paper prescription's QR text could not be read ({why}): it may be cut short, or the scanner "
            "or the keyboard layout changed it"
        )
        fa = "متن QR نسخه کاغذی خوانده نشد: شاید ناقص خوانده شده یا اسکنر یا زبان صفحه‌کلید آن را تغییر داده است"
    return PaperPayloadError(f"{en}; {_RESCAN_EN}.", f"{fa}؛ {_RESCAN_FA}.", reason=why)


@dataclass(frozen=True)
class Payload:
    """A decoded (or freshly sealed) paper payload. `cms` has no certificates inside; `cert` is the
    signer certificate's DER when the payload carries it, else None (then `cert_ref` finds it)."""

    fields: PaperFields
    cms: bytes
    cert_ref: bytes
    cert: bytes | None = None

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.fields)


@dataclass(frozen=True)
class VerifiedPaper:
    """A payload whose signature verified: who signed, when, and against which trust list."""

    payload: Payload
    signer: SignerIdentity
    result: VerificationResult

    @property
    def fields(self) -> PaperFields:
        return self.payload.fields


def signed_bytes(fields: PaperFields) -> bytes:
    """The exact bytes the prescriber signs for the paper copy (RFC 8785 JSON of the field set)."""
    return canonical_bytes(fields.to_signed_dict())


def cert_ref(cert_der: bytes) -> bytes:
    """The short certificate reference kept in the QR: the first 8 bytes of its SHA-256."""
    return hashlib.sha256(cert_der).digest()[:CERT_REF_LEN]


# -- CMS: certificates out for the QR, back in for verification ---------------------------------------


def _signer_cert(sd: cms.SignedData) -> x509.Certificate:
    sid = sd["signer_infos"][0]["sid"]
    for choice in sd["certificates"] or []:
        cert = choice.chosen
        if not isinstance(cert, x509.Certificate):
            continue
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if cert.issuer == ias["issuer"] and cert.serial_number == ias["serial_number"].native:
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    raise ValueError("the signature does not carry its signer's certificate")


def strip_certificates(cms_der: bytes) -> tuple[bytes, bytes]:
    """(CMS without its certificates, the signer certificate's DER). The signature stays valid: the
    certificate set is outside what is signed."""
    info = cms.ContentInfo.load(cms_der)
    sd = info["content"]
    cert = _signer_cert(sd).dump()
    sd["certificates"] = None
    out = cms.ContentInfo({"content_type": "signed_data", "content": sd})
    return out.dump(force=False), cert


def _with_certificate(cms_der: bytes, cert_der: bytes) -> bytes:
    info = cms.ContentInfo.load(cms_der)
    sd = info["content"]
    sd["certificates"] = [cms.CertificateChoices(name="certificate", value=x509.Certificate.load(cert_der))]
    return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


# -- sealing and the text form ------------------------------------------------------------------------


def seal(fields: PaperFields, signer: Signer) -> Payload:
    """Sign `fields` with the prescriber's signer (one token operation) and build the payload. A signer
    who is not the prescriber the fields name is refused (`PaperSignatureError`, reason not-prescriber)."""
    signature = signer.sign(signed_bytes(fields))
    who = signature.signer
    if who.medical_council_number != fields.prescriber_council:
        raise PaperSignatureError(
            f"The token belongs to {who.name} (council number {who.medical_council_number or 'none'}), not to "
            f"the prescriber of this prescription ({fields.prescriber_council}).",
            f"توکن متعلق به {who.name} است، نه تجویزگر این نسخه؛ نسخه را باید خود تجویزگر امضا کند.",
            reason="not-prescriber",
        )
    return from_signature(fields, signature.cms)


def from_signature(fields: PaperFields, cms_der: bytes, cert_der: bytes | None = None) -> Payload:
    """A payload from a CMS signature made elsewhere over `signed_bytes(fields)`. The signer
    certificate comes from the CMS or, if the CMS has none, from `cert_der`."""
    try:
        stripped, embedded = strip_certificates(cms_der)
    except ValueError:
        if cert_der is None:
            raise
        stripped, embedded = _strip_without_cert(cms_der), cert_der
    return Payload(fields=fields, cms=stripped, cert_ref=cert_ref(embedded), cert=embedded)


def _strip_without_cert(cms_der: bytes) -> bytes:
    info = cms.ContentInfo.load(cms_der)
    info["content"]["certificates"] = None
    return cms.ContentInfo({"content_type": "signed_data", "content": info["content"]}).dump()


def _binary(payload: Payload, with_cert: bool) -> bytes:
    body: dict[int, Any] = {1: fields_to_cbor(payload.fields), 2: payload.cms, 3: payload.cert_ref}
    if with_cert and payload.cert is not None:
        body[4] = payload.cert
    deflater = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT_V1)
    return MAGIC + bytes([VERSION]) + deflater.compress(cbor_dumps(body)) + deflater.flush()


def encode(payload: Payload, *, embed_cert: bool | None = None) -> str:
    """The QR text. `embed_cert`: True always carries the certificate, False never, None (default) carries
    it when the payload stays within `EMBED_CERT_LIMIT` bytes."""
    if embed_cert is None:
        full = _binary(payload, True)
        data = full if len(full) <= EMBED_CERT_LIMIT else _binary(payload, False)
    else:
        data = _binary(payload, embed_cert)
    return b45encode(data)


def payload_bytes(text: str) -> int:
    """How many bytes the payload behind a QR text holds (for measurements)."""
    return len(b45decode(text))


def decode(text: str) -> Payload:
    """Parse the QR text as scanned: line breaks around it are ignored, and what a keyboard-wedge scanner
    types under a Persian keyboard layout or Caps Lock is read back (`codec.scanned_text_variants`).
    Raises `PaperPayloadError` for anything that is not a complete payload of a version this program
    reads; the signature is not checked here."""
    first: PaperPayloadError | None = None
    for candidate in scanned_text_variants(text):
        try:
            return _decode_base45(candidate)
        except PaperPayloadError as exc:
            if exc.details.get("reason") == "version":
                raise
            first = first or exc
    assert first is not None
    raise first


def _decode_base45(text: str) -> Payload:
    try:
        data = b45decode(text)
    except CodecError as exc:
        raise _damaged(str(exc)) from None
    if len(data) < 3 and MAGIC.startswith(data[:2]):
        raise _damaged("too short")
    if data[:2] != MAGIC:
        raise _damaged("no Noskhe marker")
    if data[2] > VERSION + 8:  # no such format will exist soon: a misread byte, not a newer paper
        raise _damaged(f"format byte {data[2]}")
    if data[2] != VERSION:
        raise PaperPayloadError(
            f"This paper prescription uses payload format {data[2]}; this program reads format {VERSION}. "
            "Update Noskhe.",
            f"این نسخه کاغذی با قالب {data[2]} ساخته شده و این برنامه قالب {VERSION} را می‌خواند؛ "
            "برنامه را به‌روز کنید.",
            reason="version",
        )
    try:
        inflater = zlib.decompressobj(15, ZDICT_V1)
        raw = inflater.decompress(data[3:], 1 << 16)
        if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
            raise _damaged("compressed data incomplete")
        body = cbor_loads(raw)
        if not isinstance(body, dict):
            raise CodecError("body is not a map")
        fields = fields_from_cbor(body[1])
        cms_der, ref, cert = body[2], body[3], body.get(4)
        if not isinstance(cms_der, bytes) or not isinstance(ref, bytes) or len(ref) != CERT_REF_LEN:
            raise CodecError("signature part malformed")
        if cert is not None and (not isinstance(cert, bytes) or cert_ref(cert) != ref):
            raise CodecError("embedded certificate does not match its reference")
    except zlib.error:
        raise _damaged("compressed data corrupted") from None
    except (CodecError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise _damaged(str(exc) or type(exc).__name__) from None
    return Payload(fields=fields, cms=cms_der, cert_ref=ref, cert=cert)


# -- verification -------------------------------------------------------------------------------------


def _refused(reason: str, en: str, fa: str) -> PaperSignatureError:
    return PaperSignatureError(
        f"The paper prescription is not accepted: {en}", f"نسخه کاغذی پذیرفته نیست: {fa}", reason=reason
    )


def _find_cert(payload: Payload, certificates: Iterable[bytes] | Mapping[bytes, bytes]) -> bytes:
    if payload.cert is not None:
        return payload.cert
    if isinstance(certificates, Mapping):
        found = certificates.get(payload.cert_ref)
        if found is not None:
            return found
    else:
        for der in certificates:
            if cert_ref(der) == payload.cert_ref:
                return der
    raise _refused(
        "unknown-signer",
        f"its signer's certificate ({payload.cert_ref.hex()}) is not known on this computer.",
        f"گواهی امضاکننده ({payload.cert_ref.hex()}) در این رایانه شناخته نیست.",
    )


def _not_prescriber(exc: SignatureInvalid, council: str) -> PaperSignatureError:
    if exc.details.get("reason") == "wrong-role":
        role = exc.details.get("certificate_role") or "role-less"
        return _refused(
            "not-prescriber", f"it was signed by a {role}, not a prescriber.", "امضاکننده آن تجویزگر نیست."
        )
    name, number = exc.details.get("signer_name", ""), exc.details.get("signer") or "none"
    return _refused(
        "not-prescriber",
        f"it names prescriber {council} but was signed by {name} (council number {number}).",
        f"نام تجویزگر با شماره نظام {council} آمده ولی امضاکننده {name} است.",
    )


def verify(
    payload: Payload,
    trust: TrustList,
    *,
    certificates: Iterable[bytes] | Mapping[bytes, bytes] = (),
    revocation: StatusSourceLike | None = None,
) -> VerifiedPaper:
    """Verify a paper payload offline (national rules, section 12: dispensing from paper in an outage).
    The prescriber certificate's revocation is asked of `revocation` (OCSP when online; by default the trust
    list's CRL, offline); the verdict and its source are in the result (`result.certificate_status`).

    Takes the decoded payload, the trust list and certificates this computer already holds (DER, or DER by
    `cert_ref`) for payloads that do not carry theirs. The signature is checked by the one verifier,
    `smartcard.verify.verify`, as a document of kind `paper`: signed by the prescriber alone, with a valid
    CAdES-BES signature from a trusted, unrevoked certificate, whose holder is the prescriber the payload
    names (council number), and who is not suspended by the medical council as far as the trust list
    knows. Returns the `VerifiedPaper`; raises `PaperSignatureError` whose `details['reason']` is
    unknown-signer, not-prescriber (wrong role or another prescriber), prescriber-suspended, or the
    verifier's own reason (weak-digest, tampered, untrusted, revoked, expired, …)."""
    from smartcard.errors import SignatureInvalid
    from smartcard.verify import ClaimedSignature
    from smartcard.verify import verify as verify_signatures

    cert = _find_cert(payload, certificates)
    council = payload.fields.prescriber_council
    try:
        signed = ClaimedSignature(SignatureRole.PRESCRIBER, _with_certificate(payload.cms, cert))
        verified = verify_signatures(
            DocumentKind.PAPER,
            payload.signed_bytes(),
            [signed],
            trust,
            named={SignatureRole.PRESCRIBER: Party(council)},
            revocation=revocation,
        )
    except SignatureInvalid as exc:
        if exc.details.get("reason") in ("wrong-role", "signer-mismatch"):
            raise _not_prescriber(exc, council) from exc
        raise _refused(str(exc.details.get("reason") or exc.code), exc.en, exc.fa) from exc
    except (ValueError, TypeError) as exc:
        raise _refused(
            "bad-signature", f"its signature cannot be read ({exc}).", "امضای آن خوانا نیست."
        ) from exc
    result = verified.by_role[SignatureRole.PRESCRIBER]
    suspended = trust.suspension(council)
    if suspended is not None:  # the trust list carries the medical council's suspensions, refreshed with it
        since = f" since {suspended.since[:10]}" if suspended.since else ""
        raise _refused(
            "prescriber-suspended",
            f"its prescriber (council number {council}) is suspended by the medical council{since}; "
            "it must not be dispensed.",
            f"پروانهٔ تجویزگر آن (شماره نظام {council}) تعلیق شده است و نباید پیچیده شود.",
        )
    return VerifiedPaper(payload=payload, signer=result.signer, result=result)


def payload_to_prescription(
    paper: VerifiedPaper | Payload, *, drug_name: Callable[[str], str | None] | None = None
) -> Prescription:
    """A `Prescription` (state signed) rebuilt from a paper payload, for dispensing from paper. Fields the
    paper does not carry (cost, notes, specialty) are left empty; `drug_name(code)` may fill drug names
    from the local catalog (the code is used when it gives None)."""
    from app.catalog import service

    f = paper.fields
    # a line whose code is a service of the catalog (lab, imaging, physiotherapy) is a service line again
    ordered = {it.line: service(it.drug_code) for it in f.items}
    items = [
        PrescriptionItem(
            drug_code=it.drug_code,
            drug_name=(drug_name(it.drug_code) if drug_name else None)
            or (svc.name_fa if svc is not None else None)
            or it.drug_code,
            quantity=it.quantity,
            instructions=it.instructions,
            repeats=it.repeats,
            line=it.line,
            service=svc.kind if svc is not None and svc.kind != "visit" else None,
        )
        for it in f.items
        for svc in (ordered[it.line],)
    ]
    patient = Patient(
        id=PatientId(f.patient_id_kind, f.patient_id),
        first_name=f.patient_first_name,
        last_name=f.patient_last_name,
        birth_date=f.birth_date,
        sex=f.sex,
        # the plans printed on the paper, so the pharmacy's offline estimate is priced as the exchange prices
        coverage=Coverage(f.insurer) if f.insurer else None,
        supplementary=Coverage(f.supplementary) if f.supplementary else None,
    )
    prescriber = Prescriber(name=f.prescriber_name, medical_council_number=f.prescriber_council, specialty="")
    return Prescription(
        patient=patient,
        prescriber=prescriber,
        facility_siam=f.facility_siam,
        items=items,
        id=f.prescription_id,
        version=f.version,
        state=RxState.SIGNED,
        prescribed_at=f.prescribed_at,
        hid=f.hid,
    )
