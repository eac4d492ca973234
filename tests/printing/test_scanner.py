"""A keyboard-wedge scanner types the paper QR as key presses: under a Persian keyboard layout, with Caps Lock,
through a right-to-left text box. Each still reads and verifies; a scan that does not read names the
scanner and the keyboard layout, not a damaged paper."""

import pytest

from app.keyboard import LAYOUTS, latin_keys, typed_under
from printing import payload as P
from printing.codec import BASE45_ALPHABET, scanned_text_variants
from printing.fields import fields_from_prescription
from printing.paper import paper_payload, verify_text
from tests.printing.conftest import COUNCIL, Pki, sample_prescription

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture(scope="module")
def sealed(pki: Pki) -> tuple[str, object]:
    rx = sample_prescription()
    return paper_payload(rx, pki.signer("paper-gp-ec")), rx


def test_the_standard_persian_layout_types_what_isiri_9147_says():
    # Shift+A is ؤ, Shift+H is آ, Shift+B the half-space, Shift+4 the rial sign, Shift+5 the Arabic percent.
    assert typed_under("AHB$%", "isiri-9147") == "ؤآ\u200c\ufdfc\u066a"
    assert typed_under("BB8", "isiri-9147") == "\u200c\u200c۸"
    assert typed_under("M:-./* +", "isiri-9147") == "ء:-./* +"
    assert typed_under("ABM", "windows-persian") == "\u064eإء"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_base45_character_survives_every_layout(layout):
    typed = typed_under(BASE45_ALPHABET, layout)
    assert latin_keys(typed, layout) == BASE45_ALPHABET


def test_persian_digits_from_a_wedge_decode_and_verify(sealed, pki: Pki):
    text, rx = sealed
    scanned = text.translate(PERSIAN_DIGITS)  # the case: only the digits changed
    assert scanned != text
    paper = verify_text(scanned, pki.trust)
    assert paper.fields == fields_from_prescription(rx)
    assert paper.signer.medical_council_number == COUNCIL


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_paper_qr_typed_through_a_persian_layout_decodes_and_verifies(sealed, pki: Pki, layout):
    text, rx = sealed
    scanned = typed_under(text, layout) + "\r\n"
    assert not set(scanned.strip()) <= set(BASE45_ALPHABET)  # really not base45 any more
    assert text in scanned_text_variants(scanned)
    paper = verify_text(scanned, pki.trust)
    assert paper.fields == fields_from_prescription(rx)
    assert paper.signer.medical_council_number == COUNCIL


def test_caps_lock_and_direction_marks_do_not_matter(sealed, pki: Pki):
    text, rx = sealed
    assert verify_text(text.lower(), pki.trust).fields == fields_from_prescription(rx)
    assert verify_text("\u200f" + text + "\u200e", pki.trust).fields == fields_from_prescription(rx)


def test_a_scan_that_does_not_read_blames_the_scanner_or_layout_not_the_paper(sealed, pki: Pki):
    text, _ = sealed
    for bad in (text[: len(text) // 2] + "؟؟" + text[len(text) // 2 :], text[:-1], "HELLO WORLD"):
        with pytest.raises(P.PaperPayloadError) as err:
            verify_text(bad, pki.trust)
        e = err.value
        assert "scanner" in e.en and "keyboard layout" in e.en
        assert "اسکنر" in e.fa and "صفحه‌کلید" in e.fa
        assert "damaged" not in e.en and "نسخه تازه" not in e.fa
        assert "\n" not in e.en + e.fa


def test_a_changed_character_is_still_refused_under_every_reading(sealed, pki: Pki):
    # Reading under other layouts never turns a changed payload into an accepted one.
    text, _ = sealed
    i = len(text) // 3
    changed = typed_under(text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :], "isiri-9147")
    with pytest.raises((P.PaperPayloadError, P.PaperSignatureError)):
        verify_text(changed, pki.trust)
