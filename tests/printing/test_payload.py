"""The QR payload: round trip, size, offline verification with the real trust list, and every refusal."""

import zlib

import pytest

from app.signing import SignatureRole as R
from printing import payload as P
from printing.codec import b45decode, b45encode, cbor_dumps, cbor_loads
from printing.fields import fields_from_prescription
from printing.paper import paper_payload, verify_text
from printing.zdict import ZDICT_V1
from tests.printing.conftest import COUNCIL, HID, NATIONAL_CODE, Pki, sample_prescription


@pytest.fixture(scope="module")
def sealed(pki: Pki) -> tuple[str, object]:
    rx = sample_prescription()
    return paper_payload(rx, pki.signer("paper-gp-ec")), rx


def _body(text: str) -> dict:
    data = b45decode(text)
    return cbor_loads(zlib.decompressobj(15, ZDICT_V1).decompress(data[3:]))


def _rebuild(body: dict) -> str:
    deflater = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT_V1)
    return b45encode(P.MAGIC + bytes([P.VERSION]) + deflater.compress(cbor_dumps(body)) + deflater.flush())


def test_round_trip_verifies_offline(sealed, pki: Pki) -> None:
    text, rx = sealed
    paper = verify_text(text, pki.trust)
    assert paper.fields == fields_from_prescription(rx)
    assert paper.signer.medical_council_number == COUNCIL
    assert paper.result.role is R.PRESCRIBER and paper.result.signed_at is not None
    assert paper.payload.cert is not None  # an EC certificate fits: the QR is self-contained
    assert paper.fields.hid == HID and paper.fields.patient_id == NATIONAL_CODE


def test_text_is_qr_alphanumeric_and_small(sealed) -> None:
    text, _ = sealed
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert P.payload_bytes(text) <= 850  # EC P-256, certificate embedded: measured 797 (QR 23-M)


def test_rsa_certificate_embedded_by_default_or_by_reference(pki: Pki) -> None:
    rx = sample_prescription()
    full = paper_payload(rx, pki.signer("paper-gp-rsa"))
    assert P.payload_bytes(full) <= P.EMBED_CERT_LIMIT  # measured 1228 (QR 30-M)
    assert verify_text(full, pki.trust).payload.cert is not None
    text = paper_payload(rx, pki.signer("paper-gp-rsa"), embed_cert=False)
    assert P.payload_bytes(text) <= 760  # RSA-2048: a 256-byte signature; measured 733 (QR 22-M)
    with pytest.raises(P.PaperSignatureError) as err:
        verify_text(text, pki.trust)
    assert err.value.details["reason"] == "unknown-signer" and "گواهی" in err.value.fa
    ok = verify_text(
        text, pki.trust, certificates=[pki.cert_der("paper-other-gp"), pki.cert_der("paper-gp-rsa")]
    )
    assert ok.payload.cert is None and ok.signer.medical_council_number == COUNCIL


def test_one_changed_character_is_refused(sealed, pki: Pki) -> None:
    text, _ = sealed
    refused = 0
    for i in range(0, len(text), max(1, len(text) // 40)):
        changed = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
        with pytest.raises((P.PaperPayloadError, P.PaperSignatureError)):
            verify_text(changed, pki.trust)
        refused += 1
    assert refused >= 40


def test_one_changed_byte_in_the_fields_breaks_the_signature(sealed, pki: Pki) -> None:
    text, _ = sealed
    body = _body(text)
    body[1][6][0][2] = 200  # quantity 20 → 200, then a well-formed payload around it
    with pytest.raises(P.PaperSignatureError) as err:
        verify_text(_rebuild(body), pki.trust)
    assert err.value.details["reason"] in ("tampered", "bad-signature")
    assert "نسخه کاغذی پذیرفته نیست" in err.value.fa


def test_truncated_payload_is_refused_clearly(sealed, pki: Pki) -> None:
    text, _ = sealed
    for cut in (1, 2, 3, 30, len(text) // 2, len(text) - 3):
        with pytest.raises(P.PaperPayloadError) as err:
            verify_text(text[:-cut], pki.trust)
        assert "cut short" in err.value.en and "ناقص" in err.value.fa


def test_untrusted_signer_is_refused(pki: Pki) -> None:
    rx = sample_prescription()
    text = paper_payload(rx, pki.rogue_signer())  # a CA that only copies the trusted CA's name
    assert P.decode(text).fields.prescriber_council == COUNCIL
    with pytest.raises(P.PaperSignatureError) as err:
        verify_text(text, pki.trust)
    assert err.value.details["reason"] in ("untrusted", "bad-signature")


def test_signer_must_be_the_prescriber_named(pki: Pki) -> None:
    rx = sample_prescription()
    with pytest.raises(P.PaperSignatureError) as err:
        paper_payload(rx, pki.signer("paper-other-gp"))
    assert err.value.details["reason"] == "not-prescriber"
    # and a verifier checks it too, whoever built the payload
    fields = fields_from_prescription(rx)
    sig = pki.signer("paper-other-gp").sign(P.signed_bytes(fields))
    with pytest.raises(P.PaperSignatureError) as err:
        P.verify(P.from_signature(fields, sig.cms), pki.trust)
    assert err.value.details["reason"] == "not-prescriber"
    pharmacist = pki.signer("paper-pharmacist", R.PHARMACIST).sign(P.signed_bytes(fields))
    with pytest.raises(P.PaperSignatureError):
        P.verify(P.from_signature(fields, pharmacist.cms), pki.trust)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "HELLO WORLD",
        "https://example.org/rx/1",
        b45encode(b"NX\x01" + b"\x00" * 10),
        b45encode(b"ZZ\x01abc"),
    ],
)
def test_foreign_or_broken_text_is_refused(text: str, pki: Pki) -> None:
    with pytest.raises(P.PaperPayloadError):
        verify_text(text, pki.trust)


def test_newer_format_asks_for_an_update(sealed) -> None:
    text, _ = sealed
    data = bytearray(b45decode(text))
    data[2] = 2
    with pytest.raises(P.PaperPayloadError) as err:
        P.decode(b45encode(bytes(data)))
    assert err.value.details["reason"] == "version" and "Update" in err.value.en


def test_hid_pending_and_other_ids(pki: Pki) -> None:
    rx = sample_prescription(hid=None)
    paper = verify_text(paper_payload(rx, pki.signer("paper-gp-ec")), pki.trust)
    assert paper.fields.hid is None


def test_payload_to_prescription(sealed, pki: Pki) -> None:
    text, rx = sealed
    back = P.payload_to_prescription(verify_text(text, pki.trust), drug_name={"1234567": "آموکسی‌سیلین"}.get)
    assert back.id == rx.id and back.version == rx.version and back.hid == rx.hid
    assert back.patient.id == rx.patient.id and back.patient.full_name == rx.patient.full_name
    assert back.prescriber.medical_council_number == COUNCIL
    assert [(i.line, i.drug_code, i.quantity) for i in back.items] == [
        (i.line, i.drug_code, i.quantity) for i in rx.items
    ]
    assert back.items[0].drug_name == "آموکسی‌سیلین" and back.items[1].drug_name == "2345678"
    assert back.prescribed_at == rx.prescribed_at.replace(microsecond=0)
    assert back.state.value == "signed"
