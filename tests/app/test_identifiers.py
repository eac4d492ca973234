import sys
import unicodedata

import pytest
from hypothesis import given, strategies as st

from app.domain import PatientId
from app.errors import InvalidIdentifier, UnsupportedCharacters
from app.identifiers import (
    KINDS, AuthenticityCode, FidaId, Gtin, Hid, MedicalCouncilNumber, NationalCode, NewbornId,
    SiamId, TrackingCode, UniqueId, gs1_check_digit, guess_patient_id, luhn_check_digit,
    national_code_check_digit, parse_identifier,
)
from app.text import ARABIC_INDIC_DIGITS, PERSIAN_DIGITS

digits9 = st.text("0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)


def to_persian(s: str) -> str:
    return s.translate(str.maketrans("0123456789", PERSIAN_DIGITS))


def to_arabic(s: str) -> str:
    return s.translate(str.maketrans("0123456789", ARABIC_INDIC_DIGITS))


def valid_national_code(first9: str) -> str:
    return first9 + str(national_code_check_digit(first9))


@given(digits9)
def test_valid_national_codes_parse_in_every_script(first9):
    code = valid_national_code(first9)
    if len(set(code)) == 1:
        return
    assert NationalCode.parse(code).value == code
    assert NationalCode.parse(to_persian(code)).value == code
    assert NationalCode.parse(to_arabic(code)).value == code
    assert NationalCode.parse(f" {code[:3]}-{code[3:9]}-{code[9]} ").value == code
    assert NationalCode.parse("\u200f" + to_persian(code[:3]) + " " + code[3:] + "\u200e").value == code


@given(digits9, st.integers(1, 9))
def test_a_wrong_check_digit_is_refused(first9, delta):
    code = valid_national_code(first9)
    wrong = code[:9] + str((int(code[9]) + delta) % 10)
    with pytest.raises(InvalidIdentifier) as exc:
        NationalCode.parse(wrong)
    assert "check digit" in exc.value.en and "رقم کنترل" in exc.value.fa


@pytest.mark.parametrize("d", "0123456789")
def test_all_same_digit_codes_are_refused(d):
    # 0000000000 and 1111111111… pass the mod-11 rule but are not real people.
    with pytest.raises(InvalidIdentifier, match="all digits the same"):
        NationalCode.parse(d * 10)


def test_known_national_codes():
    assert NationalCode.parse("0012345679").value == "0012345679"
    assert NationalCode.parse("۰۰۱۲۳۴۵۶۷۹").value == "0012345679"
    assert NationalCode.parse("12345679").value == "0012345679"  # leading zeros lost in a spreadsheet
    for bad in ("", "abc", "00123456789", "001234567", "0012345678", "۰۰۱۲۳۴۵۶۷۸", "12-34"):
        with pytest.raises(InvalidIdentifier):
            NationalCode.parse(bad)


@given(st.text("0123456789", min_size=15, max_size=15), st.integers(0, 15), st.integers(1, 9))
def test_luhn_codes_catch_any_single_digit_error(payload, pos, delta):
    hid = payload + str(luhn_check_digit(payload))
    assert Hid.parse(to_persian(hid)).value == hid
    wrong = hid[:pos] + str((int(hid[pos]) + delta) % 10) + hid[pos + 1 :]
    assert not Hid.is_valid(wrong)


@given(st.integers(0, 10**11 - 1))
def test_issued_tracking_codes_round_trip(serial):
    code = TrackingCode.from_serial(serial)
    assert TrackingCode.parse(code.value) == code
    assert len(code.value) == 12


@given(st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_gtin_check_digit(payload):
    gtin = payload + str(gs1_check_digit(payload))
    assert Gtin.parse(to_arabic(gtin)).value == gtin
    wrong = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    assert not Gtin.is_valid(wrong)


def test_gtin_agrees_with_gs1_examples():
    assert Gtin.parse("4006381333931").value == "4006381333931"  # GS1's own example
    assert Gtin.parse("96385074").gtin14 == "00000096385074"
    assert not Gtin.is_valid("4006381333932")


def test_newborn_under_mother():
    nb = NewbornId.parse("۰۰۱۲۳۴۵۶۷۹-۱")
    assert nb.value == "0012345679-1" and nb.mother.value == "0012345679" and nb.order == 1
    assert NewbornId.parse("0012345679 - 2").order == 2
    assert NewbornId.parse("00123456792").value == "0012345679-2"
    with pytest.raises(InvalidIdentifier, match="mother"):
        NewbornId.parse("0012345678-1")


def test_other_kinds():
    assert FidaId.parse("۱۲۳۴۵۶۷۸۹۰۱۲").value == "123456789012"
    assert not FidaId.is_valid("12345")
    assert UniqueId.parse("ab-12 34 56").value == "AB123456"
    assert not UniqueId.is_valid("ab!")
    assert MedicalCouncilNumber.parse("۰۱۲۳۴۵").value == "12345"
    assert not MedicalCouncilNumber.is_valid("12345678")
    assert SiamId.parse("۱۲۳۴-۵۶۷۸").value == "12345678"
    assert not SiamId.is_valid("1234")
    assert AuthenticityCode.parse("۱۲۳۴ ۵۶۷۸ ۹۰۱۲ ۳۴۵۶").value == "1234567890123456"
    assert not AuthenticityCode.is_valid("123456789012345")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_refuses_garbage_with_both_languages(kind):
    with pytest.raises(InvalidIdentifier) as exc:
        parse_identifier(kind, "؟؟-not an id-؟؟")
    assert exc.value.en and exc.value.fa and exc.value.en != exc.value.fa


def test_unknown_kind():
    with pytest.raises(InvalidIdentifier, match="Unknown identifier kind"):
        parse_identifier("passport", "X1")


# ---- issue 10: input as the field sends it -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("0012345679", "national-code", "0012345679"),
        ("۰۰۱-۲۳۴۵۶۷-۹", "national-code", "0012345679"),
        ("12345679", "national-code", "0012345679"),  # zeros lost in a spreadsheet
        ("0012345679-1", "newborn", "0012345679-1"),
        ("۰۰۱۲۳۴۵۶۷۹ - ۲", "newborn", "0012345679-2"),
        ("0012345679/3", "newborn", "0012345679-3"),
        ("123456789012", "fida", "123456789012"),
        ("unique-id:1231231231", "unique-id", "1231231231"),
        ("unique-id:ab-123456", "unique-id", "AB123456"),
        ("newborn:0012345679-1", "newborn", "0012345679-1"),
        ("fida:۱۲۳۴۵۶۷۸۹۰۱۲", "fida", "123456789012"),
    ],
)
def test_a_patient_id_is_read_by_its_shape(typed, kind, value):
    found = guess_patient_id(typed)
    assert (found.kind, found.value) == (kind, value)
    assert PatientId.guess(typed) == PatientId(kind, value)


def test_ten_digits_with_a_wrong_check_digit_are_refused_not_taken_for_a_unique_id():
    with pytest.raises(InvalidIdentifier) as exc:
        PatientId.guess("1231231231")
    assert "check digit" in exc.value.en and "رقم کنترل" in exc.value.fa
    assert exc.value.details["kind"] == "national-code"
    # Asked for explicitly, the same digits are a unique id.
    assert PatientId.guess("unique-id:1231231231") == PatientId("unique-id", "1231231231")


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("00123456791", "must have 10 digits"),  # one digit too many: a mistyped national code
        ("0012345678-1", "check digit"),  # a newborn whose mother's code is wrong
        ("1234567890123", "not a national code"),
        ("AB123456", "unique-id:"),  # letters: only ever a unique id, and only when asked for
        ("hid:1234567890123452", "does not identify a patient"),
        ("   ", "empty"),
    ],
)
def test_shapes_that_are_no_patient_id_are_refused_with_the_reason(typed, why):
    with pytest.raises(InvalidIdentifier) as exc:
        guess_patient_id(typed)
    assert why in exc.value.en and exc.value.fa


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u061c", "\u200e", "\u200f", "\ufeff", "\u00ad", "\u202b"]


@pytest.mark.parametrize("mark", INVISIBLE, ids=[f"U+{ord(m):04X}" for m in INVISIBLE])
def test_invisible_format_characters_are_stripped_from_every_identifier(mark):
    assert NationalCode.parse(mark + "0012345679").value == "0012345679"
    assert NationalCode.parse("0012345679" + mark).value == "0012345679"
    assert NationalCode.parse("00123" + mark + "45679").value == "0012345679"
    assert PatientId.guess(mark + "۰۰۱۲۳۴۵۶۷۹" + mark) == PatientId("national-code", "0012345679")
    assert Hid.parse(mark + "1234567890123452").value == "1234567890123452"
    assert NewbornId.parse("0012345679" + mark + "-2").value == "0012345679-2"


def test_digits_of_other_scripts():
    # NFKC makes full-width (and mathematical, superscript) digits ASCII; the stored value is ASCII.
    assert NationalCode.parse("００１２３４５６７９").value == "0012345679"
    assert Hid.parse("１２３４５６７８９０１２３４５２").value == "1234567890123452"
    # 001234567² reads as 0012345672, whose check digit is wrong: refused as such, not a crash.
    with pytest.raises(InvalidIdentifier, match="check digit"):
        NationalCode.parse("001234567²")
    # Bengali and Devanagari digits never become ASCII: refused, naming the characters.
    for foreign in ("০০১২৩৪৫৬৭৯", "००१२३४५६७९", "001234567৯"):
        with pytest.raises(UnsupportedCharacters) as exc:
            NationalCode.parse(foreign)
        assert "U+09" in exc.value.en or "U+096" in exc.value.en
        assert "رقم ۰ تا ۹" in exc.value.fa


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_refuses_foreign_digits_with_the_typed_error(kind):
    with pytest.raises(UnsupportedCharacters) as exc:
        parse_identifier(kind, "১২৩৪৫৬৭৮")
    assert exc.value.code == "identifier-characters" and exc.value.en and exc.value.fa


def test_unique_id_typed_with_the_persian_layout_on():
    # "AB123456" typed on the letter keys with the Persian layout: ش ذ and Persian digits.
    assert UniqueId.parse("شذ۱۲۳۴۵۶").value == "AB123456"
    assert not UniqueId.is_valid("straße12")  # ß would upper-case to SS: refused, not rewritten


def test_cli_refuses_a_superscript_in_one_line(tmp_path):
    from tests.app.test_cli import assert_user_error, run

    r = run(["validate-id", "national-code", "001234567²"], tmp_path)
    assert r.returncode == 1
    assert_user_error(r, "check digit")
    r = run(["validate-id", "national-code", "০০১২৩৪৫৬৭৯"], tmp_path)
    assert r.returncode == 1
    assert_user_error(r, "U+09E6")
    r = run(["validate-id", "national-code", "\u200b۰۰۱۲۳۴۵۶۷۹\u061c"], tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "0012345679"


# -- the property: random mixtures of digit scripts, format characters and separators -------------------

FORMAT_CHARS = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
# Scripts whose digits NFKC or the Persian/Arabic-Indic mapping make ASCII …
ACCEPTED_ZEROS = [ord("0"), 0x06F0, 0x0660, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6]
# … and scripts whose digits stay what they are.
REFUSED_ZEROS = [0x09E6, 0x0966, 0x0AE6, 0x0E50, 0x1040, 0x17E0, 0x0BE6]
SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SEPARATORS = [" ", "-", "\u2013", "\u2212", "\u00a0", "\u3000", "  "]


def _render(digit: str, zero: int) -> str:
    return chr(zero + int(digit))


def _valid(kind: str, data: st.DataObject) -> str:
    def d(n: int) -> str:
        return data.draw(st.text("0123456789", min_size=n, max_size=n))

    if kind in ("national-code", "newborn"):
        first9 = data.draw(digits9)
        code = valid_national_code(first9)
        return code if kind == "national-code" else f"{code}-{data.draw(st.integers(1, 9))}"
    if kind == "fida":
        return data.draw(st.text("0123456789", min_size=12, max_size=12).filter(lambda s: len(set(s)) > 1))
    if kind == "unique-id":
        return data.draw(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=20))
    if kind in ("medical-council", "pharmacist-licence"):
        return str(data.draw(st.integers(1, 9_999_999)))
    if kind == "siam":
        return data.draw(st.text("0123456789", min_size=8, max_size=8).filter(lambda s: len(set(s)) > 1))
    if kind in ("hid", "tracking-code"):
        n = 16 if kind == "hid" else 12
        payload = d(n - 1)
        return payload + str(luhn_check_digit(payload))
    if kind == "ttac":
        return data.draw(st.text("0123456789", min_size=16, max_size=16).filter(lambda s: len(set(s)) > 1))
    if kind == "armed-forces-newborn":
        return data.draw(st.text("0123456789", min_size=6, max_size=16).filter(lambda s: len(set(s)) > 1))
    if kind == "provider-national-id":
        return valid_national_code(data.draw(digits9))
    if kind == "phone":
        return "09" + d(9)
    if kind in ("payment-id", "pos-terminal"):
        return data.draw(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=16))
    assert kind == "gtin"
    payload = d(data.draw(st.sampled_from([7, 11, 12, 13])))
    return payload + str(gs1_check_digit(payload))


@given(st.sampled_from(sorted(KINDS)), st.data())
def test_any_mixture_is_normalised_to_ascii_or_refused_never_a_crash(kind, data):
    value = _valid(kind, data)
    digit_positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    foreign_at = data.draw(st.sampled_from(digit_positions)) if data.draw(st.booleans()) and digit_positions else None
    foreign = foreign_at is not None
    out: list[str] = []
    if data.draw(st.booleans()):
        out.append(data.draw(st.sampled_from(FORMAT_CHARS)))
    for i, ch in enumerate(value):
        if ch.isdigit():
            if i == foreign_at:
                ch = _render(ch, data.draw(st.sampled_from(REFUSED_ZEROS)))
            else:
                ch = _render(ch, data.draw(st.sampled_from(ACCEPTED_ZEROS)))
        out.append(ch)
        # Separators and invisible marks between characters, never between a newborn's "-" and its order.
        if i < len(value) - 1 and value[i + 1] != "-" and ch != "-":
            out.extend(data.draw(st.lists(st.sampled_from(SEPARATORS + FORMAT_CHARS[:40]), max_size=2)))
    if data.draw(st.booleans()):
        out.append(data.draw(st.sampled_from(FORMAT_CHARS)))
    text = "".join(out)
    try:
        parsed = parse_identifier(kind, text)
    except InvalidIdentifier as exc:
        assert foreign, f"{text!r} refused: {exc}"
        assert isinstance(exc, UnsupportedCharacters)
        assert exc.en and exc.fa and "\n" not in exc.en
        return
    assert not foreign, f"{text!r} accepted as {parsed.value!r}"
    assert parsed.value.isascii()
    assert parsed.value == value, text


@given(st.lists(st.sampled_from(list("0123456789۰۱۲۳৪٤१²①-/ :A") + SEPARATORS + FORMAT_CHARS[:60])).map("".join))
def test_any_text_is_a_patient_id_or_a_one_line_refusal(text):
    for kind in [*KINDS, None]:
        try:
            found = guess_patient_id(text) if kind is None else parse_identifier(kind, text)
        except InvalidIdentifier as exc:
            assert exc.en and exc.fa and "\n" not in exc.en + exc.fa
        else:
            assert found.value.isascii()


@given(st.text(alphabet=st.sampled_from(SUPERSCRIPT)), st.sampled_from(sorted(KINDS)))
def test_superscripts_never_crash(text, kind):
    try:
        parse_identifier(kind, "001" + text)
    except InvalidIdentifier:
        pass


@pytest.mark.parametrize("layout", ["isiri-9147", "windows-persian"])
def test_scanned_codes_under_a_persian_keyboard_layout(layout):
    from app.keyboard import typed_under

    for kind, value in (
        ("national-code", "0012345679"),
        ("hid", "1234567890123452"),
        ("tracking-code", str(TrackingCode.from_serial(4242))),
        ("ttac", "6260001234567891"),
        ("gtin", "4006381333931"),
    ):
        scanned = typed_under(value, layout)
        assert scanned != value
        assert parse_identifier(kind, scanned).value == value


@pytest.mark.parametrize("typed", ["0012345679-", "0012345679 - ", "۰۰۱۲۳۴۵۶۷۹/", "0012345679:", "0012345679"])
def test_a_newborn_without_its_birth_order_is_refused_never_the_first_child(typed):
    with pytest.raises(InvalidIdentifier) as exc:
        NewbornId.parse(typed)
    assert "no birth order" in exc.value.en and "ترتیب تولد ندارد" in exc.value.fa
    assert "\n" not in exc.value.en + exc.value.fa
    with pytest.raises(InvalidIdentifier, match="no birth order"):
        parse_identifier("newborn", typed)
    with pytest.raises(InvalidIdentifier, match="no birth order"):
        guess_patient_id(f"newborn:{typed}")


@pytest.mark.parametrize("typed", ["0012345679-", "0012345679 -", "0012345679/", "۰۰۱۲۳۴۵۶۷۹-"])
def test_a_guessed_patient_id_with_an_open_birth_order_is_not_the_mother(typed):
    with pytest.raises(InvalidIdentifier, match="no birth order"):
        guess_patient_id(typed)
    assert guess_patient_id("0012345679-2").value == "0012345679-2"
    assert guess_patient_id("0012345679").kind == "national-code"


@pytest.mark.parametrize("trail", ["/", ".", "_", "\\", "٫", "٬", "ـ", "A"])
def test_a_national_code_with_a_trailing_symbol_is_refused(trail):
    with pytest.raises(InvalidIdentifier):
        parse_identifier("national-code", "0012345679" + trail)
    with pytest.raises(InvalidIdentifier):
        guess_patient_id("0012345679" + trail)
    # the documented separators stay accepted
    assert parse_identifier("national-code", " 001-234567 9 ").value == "0012345679"
    assert parse_identifier("national-code", "001\u2013234567\u22129").value == "0012345679"
