"""Identifiers of the national program, each a small value type with `parse()`.

`parse()` accepts what people type or scanners send — Persian or Arabic-Indic digits, full-width digits,
spaces, dashes, direction marks and every other invisible format character — normalises it (NFKC, then
Persian/Arabic-Indic digits to ASCII) and validates it, or raises `InvalidIdentifier` with a Persian and an
English message. Characters that do not become ASCII digits (Bengali or Devanagari digits, letters in a
digits-only code, symbols) are refused with `UnsupportedCharacters`. The value kept is the canonical ASCII
form.

`guess_patient_id()` reads a patient id typed without its kind, by its shape: ten digits are a national
code (refused for a wrong check digit, never taken for something else), twelve a FIDA id, a national code
and a birth order (`0012345679-1`) a newborn of that mother — never a unique id, even when written
`unique-id:0012345679-1`; a unique id only when written `unique-id:…`, an armed-forces newborn's insurance
number only as `armed-forces-newborn:…`.

Formats the program does not publish are documented where they are defined; the reference exchange issues
HIDs and tracking codes in those formats (with a Luhn check digit so a mistyped paper code is caught).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from app.errors import InvalidIdentifier, UnsupportedCharacters
from app.keyboard import latin_letters
from app.text import (
    describe_character,
    foreign_characters,
    normalize_code,
    strip_format_chars,
    to_persian_digits,
)

# Spaces and dashes (and the minus sign): what people put between groups of digits (README,
# "Identifiers"). Anything else — a dot, slash or underscore left over at the end of a code — is refused.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_DIGITS = "0123456789"
_LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _clean(text: object) -> str:
    value = _SEPARATORS.sub("", normalize_code(text if isinstance(text, str) else str(text)))
    # Only ASCII is upper-cased: "ß".upper() is "SS", which would smuggle a foreign letter in.
    return value.upper() if value.isascii() else value


def _shown(raw: str) -> str:
    """The typed text as a message quotes it: invisible characters out, at most 40 characters."""
    return strip_format_chars(raw).strip()[:40]


def unsupported_characters(
    name_en: str, name_fa: str, raw: str, chars: list[str], *, letters: bool = False, **details: object
) -> UnsupportedCharacters:
    """The one-line refusal of a code holding characters that are not ASCII digits (or Latin letters
    where allowed: `letters`) after normalising: each named with its Unicode code point and name."""
    shown = _shown(raw)
    listed = ", ".join(describe_character(ch) for ch in chars[:3])
    listed_fa = "، ".join(f"«{ch}»" for ch in chars[:3])
    what, what_fa = ("the digits 0-9", "رقم ۰ تا ۹")
    if letters:
        what, what_fa = "Latin letters or the digits 0-9", "حرف لاتین یا رقم ۰ تا ۹"
    return UnsupportedCharacters(
        f"{name_en} {shown!r} holds characters that are not {what}: {listed}.",
        f"{name_fa} «{shown}» نویسه‌هایی دارد که {what_fa} نیستند: {listed_fa}.",
        value=shown,
        chars=chars,
        **details,
    )


def luhn_check_digit(payload: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def national_code_check_digit(first9: str) -> int:
    r = sum(int(d) * (10 - i) for i, d in enumerate(first9)) % 11
    return r if r < 2 else 11 - r


def gs1_check_digit(payload: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


@dataclass(frozen=True, order=True)
class Identifier:
    """Base: a canonical string `value`. Subclasses define `kind`, names and `_validate`."""

    value: str
    kind: ClassVar[str] = "identifier"
    name_en: ClassVar[str] = "identifier"
    name_fa: ClassVar[str] = "شناسه"
    #: the characters a normalised value may hold; any other non-ASCII one is `UnsupportedCharacters`
    allowed: ClassVar[str] = _DIGITS

    @classmethod
    def parse(cls, text: object) -> "Identifier":
        """The canonical identifier for `text` (str, or anything whose str() is the code). Raises
        `InvalidIdentifier` (empty, wrong length, wrong check digit…) or its subclass
        `UnsupportedCharacters` (characters that are not ASCII digits after normalising)."""
        raw = "" if text is None else str(text)
        value = cls._normalise(raw)
        if not value:
            cls._fail(raw, "is empty", "خالی است")
        cls._refuse_foreign(raw, value)
        cls._validate(raw, value)
        return cls(value)

    @classmethod
    def _refuse_foreign(cls, raw: str, value: str) -> None:
        foreign = [ch for ch in foreign_characters(value, cls.allowed) if not ch.isascii()]
        if foreign:
            letters = any(ch in cls.allowed for ch in _LATIN)
            raise unsupported_characters(cls.name_en, cls.name_fa, raw, foreign, letters=letters, kind=cls.kind)

    @classmethod
    def is_valid(cls, text: object) -> bool:
        try:
            cls.parse(text)
        except InvalidIdentifier:
            return False
        return True

    @classmethod
    def _normalise(cls, raw: str) -> str:
        return _clean(raw)

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        raise NotImplementedError

    @classmethod
    def _fail(cls, raw: str, en: str, fa: str) -> None:
        shown = _shown(raw)
        raise InvalidIdentifier(
            f"{cls.name_en} {shown!r} {en}.",
            f"{cls.name_fa} «{shown}» {fa}.",
            kind=cls.kind,
            value=shown,
        )

    @classmethod
    def _digits(cls, raw: str, value: str, lengths: tuple[int, ...]) -> None:
        if not (value.isascii() and value.isdigit()):
            stray = " ".join(foreign_characters(value, _DIGITS)[:3])
            cls._fail(raw, f"must contain digits only (not {stray})", f"باید فقط رقم باشد (نه {stray})")
        if len(value) not in lengths:
            if len(lengths) > 2 and lengths == tuple(range(lengths[0], lengths[-1] + 1)):  # a range: "6 to 16"
                want, want_fa = f"{lengths[0]} to {lengths[-1]}", f"{lengths[0]} تا {lengths[-1]}"
            else:
                want = " or ".join(str(n) for n in lengths)
                want_fa = " یا ".join(str(n) for n in lengths)
            cls._fail(raw, f"must have {want} digits (has {len(value)})", f"باید {want_fa} رقم باشد")

    def __str__(self) -> str:
        return self.value


class NationalCode(Identifier):
    """کد ملی: 10 digits, the last a mod-11 check digit; codes of one repeated digit are invalid.

    Codes that lost their leading zeros in a spreadsheet (8 or 9 digits) are padded back."""

    kind = "national-code"
    name_en = "National code"
    name_fa = "کد ملی"

    @classmethod
    def _normalise(cls, raw: str) -> str:
        v = _clean(raw)
        return v.zfill(10) if v.isascii() and v.isdigit() and 8 <= len(v) < 10 else v

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, (10,))
        if len(set(value)) == 1:
            cls._fail(raw, "is not a real code (all digits the same)", "معتبر نیست (همه رقم‌ها یکسان است)")
        if national_code_check_digit(value[:9]) != int(value[9]):
            cls._fail(raw, "has a wrong check digit", "رقم کنترل نادرست دارد")


class FidaId(Identifier):
    """فیدا: the comprehensive foreign-nationals id, 12 digits (no public check digit)."""

    kind = "fida"
    name_en = "FIDA foreign-national id"
    name_fa = "شناسه فیدا"

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, (12,))
        if len(set(value)) == 1:
            cls._fail(raw, "is not a real id", "معتبر نیست")


class UniqueId(Identifier):
    """شناسه یکتا for persons with no or a blocked national code and unauthorised foreigners.

    Issued by the eligibility service; we accept 8–20 letters and digits. It implies no insurance cover."""

    kind = "unique-id"
    name_en = "Unique person id"
    name_fa = "شناسه یکتا"
    allowed = _DIGITS + _LATIN

    @classmethod
    def _normalise(cls, raw: str) -> str:
        # Typed with the Persian layout on: the letter keys come out as Persian letters.
        return _clean(latin_letters(normalize_code(raw)))

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        if not re.fullmatch(r"[A-Z0-9]{8,20}", value):
            cls._fail(raw, "must be 8 to 20 Latin letters or digits", "باید ۸ تا ۲۰ حرف لاتین یا رقم باشد")
        # A mother's national code and a birth order (0012345679-1) is a newborn, never a unique id: taken
        # as one, the mother's code would be lost (section 7, note 3).
        shape = _NEWBORN_SHAPE.fullmatch(normalize_code(raw).strip())
        if shape and NationalCode.is_valid(shape.group(1)):
            cls._fail(
                raw,
                "is a newborn's id (the mother's national code-N), not a unique id",
                "شناسه نوزاد (کد ملی مادر-ترتیب تولد) است، نه شناسه یکتا",
            )


# The mother's code, a separator and the birth order (possibly missing): 0012345679-1, ۰۰۱۲۳۴۵۶۷۹/۲.
_NEWBORN_SPLIT = re.compile(r"(.*?)\s*[-\u2010-\u2015\u2212/:]\s*([0-9]*)")


class NewbornId(Identifier):
    """A newborn before registration: the mother's national code and the birth order (1 for a single birth).

    Written `MOTHERCODE-N` (or `/N`, `:N`); the birth order is required — a bare or open-ended mother's
    code (`0012345679`, `0012345679-`) is refused, never taken as the first child."""

    kind = "newborn"
    name_en = "Newborn id (mother's national code)"
    name_fa = "شناسه نوزاد (کد ملی مادر)"
    allowed = _DIGITS + "-"

    @classmethod
    def _normalise(cls, raw: str) -> str:
        text = normalize_code(raw).strip()
        m = _NEWBORN_SPLIT.fullmatch(text)
        if m and m.group(1):
            return f"{_clean(m.group(1))}-{m.group(2)}"
        mother = _clean(text)
        if len(mother) == 11 and mother.isascii() and mother.isdigit():
            return f"{mother[:10]}-{mother[10]}"  # separator lost: the last digit is the order
        return f"{mother}-" if mother else ""

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        mother, _, order = value.partition("-")
        try:
            NationalCode.parse(mother)
        except InvalidIdentifier as exc:
            raise type(exc)(
                f"{cls.name_en}: mother's {exc.en[0].lower()}{exc.en[1:]}",
                f"{cls.name_fa}: {exc.fa}",
                kind=cls.kind,
            ) from None
        if not order:
            cls._fail(
                raw,
                "has no birth order (write the mother's code-N, e.g. 0012345679-1)",
                "ترتیب تولد ندارد (کد ملی مادر-ترتیب تولد، مثلاً 0012345679-1)",
            )
        if not (order.isascii() and order.isdigit()) or not 1 <= int(order) <= 9:
            cls._fail(
                raw,
                f"has an invalid birth order {order!r}: it is 1 to 9 (0012345679-1)",
                f"ترتیب تولد نامعتبر دارد («{order}»)؛ ترتیب تولد ۱ تا ۹ است (0012345679-1)",
            )

    @property
    def mother(self) -> NationalCode:
        return NationalCode(self.value.split("-")[0])

    @property
    def order(self) -> int:
        return int(self.value.split("-")[1])


class ArmedForcesNewbornId(Identifier):
    """A newborn insured by the Armed Forces Medical Services Organisation before registration: its
    insurance number stands in for a national code (section 7-1, note 4).

    The organisation does not publish the number's format; we accept 6 to 16 digits (not all the same)."""

    kind = "armed-forces-newborn"
    name_en = "Armed-forces newborn insurance number"
    name_fa = "شماره بیمه نوزاد (نیروهای مسلح)"

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, tuple(range(6, 17)))
        if len(set(value)) == 1:
            cls._fail(raw, "is not a real number (all digits the same)", "معتبر نیست (همه رقم‌ها یکسان است)")


def legal_national_id_check_digit(first10: str) -> int:
    """The check digit of an 11-digit legal entity's national id (شناسه ملی اشخاص حقوقی): each of the
    first ten digits plus (the tenth digit + 2), weighted 29, 27, 23, 19, 17 (twice), summed mod 11; 10 is 0."""
    d = int(first10[9]) + 2
    weights = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)
    r = sum((int(c) + d) * w for c, w in zip(first10, weights)) % 11
    return 0 if r == 10 else r


class ProviderNationalId(Identifier):
    """The service provider's national id (section 7-9, note 1; tax): a legal entity's 11-digit national id
    (شناسه ملی, with its check digit) or, for a practice run by one person, that person's 10-digit
    national code."""

    kind = "provider-national-id"
    name_en = "Provider's national id"
    name_fa = "شناسه ملی ارائه‌دهنده"

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, (10, 11))
        if len(value) == 10:
            try:
                NationalCode.parse(value)
            except InvalidIdentifier as exc:
                raise type(exc)(
                    f"{cls.name_en}: {exc.en}", f"{cls.name_fa}: {exc.fa}", kind=cls.kind
                ) from None
            return
        if len(set(value)) == 1:
            cls._fail(raw, "is not a real id", "معتبر نیست")
        if legal_national_id_check_digit(value[:10]) != int(value[10]):
            cls._fail(raw, "has a wrong check digit", "رقم کنترل نادرست دارد")


class _SlipCode(Identifier):
    """A code typed from a slip or a terminal's screen, not scanned: `shortest` to `longest` Latin letters
    or digits; Persian letters are refused rather than read as keyboard keys."""

    allowed = _DIGITS + _LATIN
    shortest: ClassVar[int] = 6
    longest: ClassVar[int] = 32

    @classmethod
    def _normalise(cls, raw: str) -> str:
        return _clean(normalize_code(raw))

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        if not re.fullmatch(rf"[A-Z0-9]{{{cls.shortest},{cls.longest}}}", value):
            fa = to_persian_digits(f"باید {cls.shortest} تا {cls.longest} حرف لاتین یا رقم باشد")
            cls._fail(raw, f"must be {cls.shortest} to {cls.longest} Latin letters or digits", fa)


class PaymentId(_SlipCode):
    """The patient's electronic payment id for one visit or service (section 7-8): the bank's reference of
    the payment. Not published as a format; we accept 6 to 32 Latin letters or digits."""

    kind = "payment-id"
    name_en = "Payment id"
    name_fa = "شناسه پرداخت"


class PosTerminalId(_SlipCode):
    """The point-of-sale terminal's own id (section 7-9), which links the pharmacy's bank account to its tax
    records: the tax organisation's 6-character memory id or a bank terminal's 8 digits; we accept 6 to 16
    Latin letters or digits."""

    kind = "pos-terminal"
    name_en = "POS terminal id"
    name_fa = "شناسه پایانه فروشگاهی"
    longest = 16


class PhoneNumber(Identifier):
    """A patient's or prescriber's contact phone (section 7-2, 7-3): an Iranian number kept as 11 digits
    starting with 0 — a mobile (09…) or a landline with its area code (021…); `+98`, `0098` and `98` in
    front are read as 0."""

    kind = "phone"
    name_en = "Phone number"
    name_fa = "شماره تلفن"
    allowed = _DIGITS + "+"

    @classmethod
    def _normalise(cls, raw: str) -> str:
        v = _SEPARATORS.sub("", normalize_code(raw).replace("(", "").replace(")", ""))
        for prefix in ("+98", "0098"):
            if v.startswith(prefix):
                return "0" + v[len(prefix) :]
        if v.startswith("98") and len(v) == 12:
            return "0" + v[2:]
        return v

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        if not (value.isascii() and value.isdigit()):
            cls._fail(
                raw,
                "must be digits (09121234567 or 02112345678)",
                "باید رقم باشد (۰۹۱۲۱۲۳۴۵۶۷ یا ۰۲۱۱۲۳۴۵۶۷۸)",
            )
        if len(value) != 11 or not value.startswith("0") or value.startswith("00"):
            cls._fail(
                raw,
                "must be 11 digits starting with 0 (09121234567, or an area code: 02112345678)",
                "باید ۱۱ رقم و با ۰ آغاز شود (۰۹۱۲۱۲۳۴۵۶۷ یا با پیش‌شماره: ۰۲۱۱۲۳۴۵۶۷۸)",
            )


class MedicalCouncilNumber(Identifier):
    """شماره نظام پزشکی: 1 to 7 digits, kept without leading zeros."""

    kind = "medical-council"
    name_en = "Medical council number"
    name_fa = "شماره نظام پزشکی"

    @classmethod
    def _normalise(cls, raw: str) -> str:
        v = _clean(raw)
        return v.lstrip("0") or ("0" if v else "") if v.isascii() and v.isdigit() else v

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        if not (value.isascii() and value.isdigit()):
            cls._fail(raw, "must contain digits only", "باید فقط رقم باشد")
        if not 1 <= len(value) <= 7 or value == "0":
            cls._fail(raw, "must have 1 to 7 digits", "باید ۱ تا ۷ رقم باشد")


class PharmacistLicence(MedicalCouncilNumber):
    """A pharmacist's medical council number (pharmacists are council members too)."""

    kind = "pharmacist-licence"
    name_en = "Pharmacist licence number"
    name_fa = "شماره نظام پزشکی داروساز"


class SiamId(Identifier):
    """شناسه سیام: the national facility registry id, 8 digits."""

    kind = "siam"
    name_en = "SIAM facility id"
    name_fa = "شناسه سیام"

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, (8,))
        if len(set(value)) == 1:
            cls._fail(raw, "is not a real id", "معتبر نیست")


class _LuhnDigits(Identifier):
    length: ClassVar[int] = 0

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, (cls.length,))
        if luhn_check_digit(value[:-1]) != int(value[-1]):
            cls._fail(raw, "has a wrong check digit", "رقم کنترل نادرست دارد")

    @classmethod
    def from_serial(cls, serial: int) -> "_LuhnDigits":
        """Issue the code for a serial number (what the exchange does)."""
        payload = str(serial).zfill(cls.length - 1)
        if len(payload) != cls.length - 1:
            raise ValueError("serial too large")
        return cls(payload + str(luhn_check_digit(payload)))


class Hid(_LuhnDigits):
    """شباد (HID), one per visit: 16 digits, the last a Luhn check digit."""

    kind = "hid"
    name_en = "HID"
    name_fa = "شناسه شباد"
    length = 16


class TrackingCode(_LuhnDigits):
    """کد رهگیری of a registered prescription: 12 digits, the last a Luhn check digit."""

    kind = "tracking-code"
    name_en = "Prescription tracking code"
    name_fa = "کد رهگیری نسخه"
    length = 12


class AuthenticityCode(Identifier):
    """The 16-digit TTAC authenticity code on a pack's label (کد اصالت)."""

    kind = "ttac"
    name_en = "TTAC authenticity code"
    name_fa = "کد اصالت"

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, (16,))
        if len(set(value)) == 1:
            cls._fail(raw, "is not a real code", "معتبر نیست")


class Gtin(Identifier):
    """GS1 GTIN-8/12/13/14 with its check digit; kept as written (GTIN-13 on most Iranian packs)."""

    kind = "gtin"
    name_en = "GTIN"
    name_fa = "بارکد GTIN"

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        cls._digits(raw, value, (8, 12, 13, 14))
        if gs1_check_digit(value[:-1]) != int(value[-1]):
            cls._fail(raw, "has a wrong check digit", "رقم کنترل نادرست دارد")

    @property
    def gtin14(self) -> str:
        return self.value.zfill(14)


KINDS: dict[str, type[Identifier]] = {
    cls.kind: cls
    for cls in (
        NationalCode,
        FidaId,
        UniqueId,
        NewbornId,
        ArmedForcesNewbornId,
        MedicalCouncilNumber,
        PharmacistLicence,
        SiamId,
        Hid,
        TrackingCode,
        AuthenticityCode,
        Gtin,
        ProviderNationalId,
        PaymentId,
        PosTerminalId,
        PhoneNumber,
    )
}

#: the identifiers a patient can be known by (domain.md, section 7); new kinds go at the end (the paper's QR
#: carries a kind by its index here)
PATIENT_ID_KINDS = ("national-code", "fida", "unique-id", "newborn", "armed-forces-newborn")


def parse_identifier(kind: str, text: object) -> Identifier:
    """`KINDS[kind].parse(text)`; an unknown kind is an `InvalidIdentifier` naming the known ones."""
    try:
        cls = KINDS[kind]
    except KeyError:
        raise InvalidIdentifier(
            f"Unknown identifier kind {kind!r}; known: {', '.join(KINDS)}.",
            f"نوع شناسه «{kind}» شناخته نیست.",
        ) from None
    return cls.parse(text)


_KIND_PREFIX = re.compile(r"\s*([a-z][a-z-]*)\s*:\s*(.*)", re.DOTALL)
# A newborn written as the mother's code, a separator and the birth order: 0012345679-1, ۰۰۱۲۳۴۵۶۷۹/۲.
_NEWBORN_SHAPE = re.compile(r"(.*[0-9])\s*[-\u2010-\u2015\u2212/:]\s*([0-9]{1,2})")  # 0 and 10+ refused
# … and the same with the birth order missing: 0012345679-
_OPEN_NEWBORN = re.compile(r"(.*[0-9])\s*[-\u2010-\u2015\u2212/:]\s*")


def guess_patient_id(text: object) -> Identifier:
    """A patient id typed or scanned without its kind, read by its shape (domain.md, section 7):

    - `kind:value` (`unique-id:AB123456`, `fida:…`) is that kind;
    - ten digits (with any separators; eight or nine when a spreadsheet dropped the leading zeros, up to
      eleven when one was typed twice) are a national code — a wrong check digit is refused as such;
    - a national code, a separator and a birth order 1-9 (`0012345679-1`) is a newborn of that mother;
      with the order missing (`0012345679-`) it is refused as an incomplete newborn id;
    - twelve digits are a FIDA id;
    - anything else is refused: a unique id is taken only when written `unique-id:…`, never guessed.

    Returns the parsed `Identifier`; raises `InvalidIdentifier` (or `UnsupportedCharacters`) with the
    reason of the kind the shape says it is."""
    raw = "" if text is None else str(text)
    prefixed = _KIND_PREFIX.fullmatch(normalize_code(raw))
    if prefixed and prefixed.group(1) in KINDS:
        kind, value = prefixed.groups()
        if kind not in PATIENT_ID_KINDS:
            raise InvalidIdentifier(
                f"{kind!r} does not identify a patient; use one of {', '.join(PATIENT_ID_KINDS)}.",
                f"«{kind}» شناسه بیمار نیست.",
                kind=kind,
            )
        return parse_identifier(kind, value)
    # A mother's code, a separator and a birth order is a newborn; with the order missing (`0012345679-`)
    # it is an incomplete newborn id, refused as such — never the mother herself.
    shape = normalize_code(raw).strip()
    newborn = _NEWBORN_SHAPE.fullmatch(shape) or _OPEN_NEWBORN.fullmatch(shape)
    if newborn and len(_clean(newborn.group(1))) == 10:
        return NewbornId.parse(raw)
    digits = _clean(raw)
    if digits.isascii() and digits.isdigit():
        if len(digits) == 12:
            return FidaId.parse(raw)
        if len(digits) <= 11:
            return NationalCode.parse(raw)
    foreign = [ch for ch in foreign_characters(digits, _DIGITS + "-") if not ch.isascii()]
    name_en, name_fa = "Patient id", "شناسه بیمار"
    if foreign:
        raise unsupported_characters(name_en, name_fa, raw, foreign, kind="patient")
    shown = _shown(raw)
    if not shown:
        raise InvalidIdentifier(f"{name_en} is empty.", f"{name_fa} خالی است.", kind="patient", value="")
    raise InvalidIdentifier(
        f"{name_en} {shown!r} is not a national code (10 digits), a FIDA id (12 digits) or a newborn id "
        "(the mother's national code-N); write a unique id as unique-id:VALUE.",
        f"{name_fa} «{shown}» نه کد ملی (۱۰ رقم) است، نه شناسه فیدا (۱۲ رقم)، نه شناسه نوزاد "
        "(کد ملی مادر-ترتیب تولد)؛ شناسه یکتا را به شکل unique-id:مقدار بنویسید.",
        kind="patient",
        value=shown,
    )
