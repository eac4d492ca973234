"""Identifiers of the national program, each a small value type with `parse()`.

`parse()` accepts what people type or scanners send — Persian or Arabic-Indic digits, spaces, dashes,
direction marks — normalises it and validates it, or raises `InvalidIdentifier` with a Persian and an
English message. The value kept is the canonical ASCII form.

Formats the program does not publish are documented where they are defined; the reference exchange issues
HIDs and tracking codes in those formats (with a Luhn check digit so a mistyped paper code is caught).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from app.errors import InvalidIdentifier
from app.text import strip_marks, to_ascii_digits

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u0640_./\\]+")


def _clean(text: object) -> str:
    if not isinstance(text, str):
        text = str(text)
    return _SEPARATORS.sub("", to_ascii_digits(strip_marks(text))).upper()


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

    @classmethod
    def parse(cls, text: object) -> "Identifier":
        raw = "" if text is None else str(text)
        value = cls._normalise(raw)
        if not value:
            cls._fail(raw, "is empty", "خالی است")
        cls._validate(raw, value)
        return cls(value)

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
        shown = raw.strip()[:40]
        raise InvalidIdentifier(
            f"{cls.name_en} {shown!r} {en}.",
            f"{cls.name_fa} «{shown}» {fa}.",
            kind=cls.kind,
            value=shown,
        )

    @classmethod
    def _digits(cls, raw: str, value: str, lengths: tuple[int, ...]) -> None:
        if not value.isdigit():
            cls._fail(raw, "must contain digits only", "باید فقط رقم باشد")
        if len(value) not in lengths:
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
        return v.zfill(10) if v.isdigit() and 8 <= len(v) < 10 else v

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

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        if not re.fullmatch(r"[A-Z0-9]{8,20}", value):
            cls._fail(raw, "must be 8 to 20 Latin letters or digits", "باید ۸ تا ۲۰ حرف لاتین یا رقم باشد")


class NewbornId(Identifier):
    """A newborn before registration: the mother's national code and the birth order (1 for a single birth).

    Written `MOTHERCODE-N`; a bare national code means the first child."""

    kind = "newborn"
    name_en = "Newborn id (mother's national code)"
    name_fa = "شناسه نوزاد (کد ملی مادر)"

    @classmethod
    def _normalise(cls, raw: str) -> str:
        text = to_ascii_digits(strip_marks(raw)).strip()
        m = re.fullmatch(r"(.+?)(?:\s*[-/:]\s*([1-9]))?", text)
        if not m or not m.group(1):
            return _clean(text)
        mother = _clean(m.group(1))
        if m.group(2) is None and len(mother) == 11 and mother.isdigit():
            mother, order = mother[:10], mother[10]  # separator lost: last digit is the order
        else:
            order = m.group(2) or "1"
        return f"{mother}-{order}"

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        mother, _, order = value.partition("-")
        try:
            NationalCode.parse(mother)
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(
                f"{cls.name_en}: mother's {exc.en[0].lower()}{exc.en[1:]}",
                f"{cls.name_fa}: {exc.fa}",
                kind=cls.kind,
            ) from None
        if not order.isdigit() or not 1 <= int(order) <= 9:
            cls._fail(raw, "has a wrong birth order (1-9)", "ترتیب تولد نادرست دارد (۱ تا ۹)")

    @property
    def mother(self) -> NationalCode:
        return NationalCode(self.value.split("-")[0])

    @property
    def order(self) -> int:
        return int(self.value.split("-")[1])


class MedicalCouncilNumber(Identifier):
    """شماره نظام پزشکی: 1 to 7 digits, kept without leading zeros."""

    kind = "medical-council"
    name_en = "Medical council number"
    name_fa = "شماره نظام پزشکی"

    @classmethod
    def _normalise(cls, raw: str) -> str:
        v = _clean(raw)
        return v.lstrip("0") or ("0" if v else "") if v.isdigit() else v

    @classmethod
    def _validate(cls, raw: str, value: str) -> None:
        if not value.isdigit():
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
        MedicalCouncilNumber,
        PharmacistLicence,
        SiamId,
        Hid,
        TrackingCode,
        AuthenticityCode,
        Gtin,
    )
}

#: the identifiers a patient can be known by (domain.md, section 7)
PATIENT_ID_KINDS = ("national-code", "fida", "unique-id", "newborn")


def parse_identifier(kind: str, text: object) -> Identifier:
    try:
        cls = KINDS[kind]
    except KeyError:
        raise InvalidIdentifier(
            f"Unknown identifier kind {kind!r}; known: {', '.join(KINDS)}.",
            f"نوع شناسه «{kind}» شناخته نیست.",
        ) from None
    return cls.parse(text)
