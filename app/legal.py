"""Section 7's legal data elements as typed at the edges (CLI, desktop), checked before anything is signed.

Each reader takes what a person typed (any digits, spaces, dashes; empty for "not given") and returns the
canonical value, or raises `InvalidIdentifier` / `NoskheError` with one line in Persian and English:

    phone_of("+98 912 123 4567")          → "09121234567"        (7-2, 7-3: contact)
    payment_fields("rrn-123456", "a1b2c3") → ("RRN123456", "A1B2C3")  (7-8, 7-9)
    provider_national_id_of("10380284790") (7-9 note 1: the provider's national id)
    service_time("1405/09/09 10:30")       → an aware datetime, Tehran time (7-7)
    service_period(start, end, now=…)      → (start, end), end not before start, neither after now, the
                                             as typed (max_back=SERVICE_BACK, born=…) at most 30 days
                                             back and not before the patient's birth
"""

from __future__ import annotations

import datetime as dt
import re

from app.errors import NoskheError
from app.identifiers import PaymentId, PhoneNumber, PosTerminalId, ProviderNationalId
from app.text import normalize_code, to_ascii_digits

#: the offset of Iran's clocks (+03:30 all year since 2022), as `app.domain.IRAN_TZ`
_IRAN = dt.timezone(dt.timedelta(hours=3, minutes=30), "IRST")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def phone_of(text: str | None) -> str:
    """A contact phone as kept: 11 digits from 0 (`app.identifiers.PhoneNumber`); "" when nothing typed.
    Raises `InvalidIdentifier`."""
    if not text or not str(text).strip():
        return ""
    return PhoneNumber.parse(text).value


def payment_fields(payment_id: str | None, pos_terminal_id: str | None) -> tuple[str, str]:
    """The patient's electronic payment id (7-8) and the POS terminal id (7-9) as kept ("" for one not
    given). Raises `InvalidIdentifier` for one that is not 6-32 (payment) or 6-16 (terminal) Latin letters
    or digits."""
    pay = PaymentId.parse(payment_id).value if payment_id and str(payment_id).strip() else ""
    pos = (
        PosTerminalId.parse(pos_terminal_id).value if pos_terminal_id and str(pos_terminal_id).strip() else ""
    )
    return pay, pos


def provider_national_id_of(text: str | None) -> str:
    """The provider's national id (7-9 note 1): a legal entity's 11 digits or a person's national code;
    "" when nothing typed. Raises `InvalidIdentifier`."""
    if not text or not str(text).strip():
        return ""
    return ProviderNationalId.parse(text).value


def service_time(text: str | None, *, today: dt.date | None = None) -> dt.datetime | None:
    """A start or end of service as typed: ISO 8601 (`2026-11-30T10:30:00+03:30`; without an offset it
    is Tehran time), a day and a time (`1405/09/09 10:30`, Jalali or Gregorian, any digits), or a time
    alone (`10:30`, today in Tehran). None when nothing typed. Raises `NoskheError` for anything else."""
    if not text or not str(text).strip():
        return None
    raw = to_ascii_digits(normalize_code(str(text))).strip()
    try:
        moment = dt.datetime.fromisoformat(raw)
        return (moment if moment.tzinfo else moment.replace(tzinfo=_IRAN)).replace(microsecond=0)
    except ValueError:
        pass
    day_text, _, clock = raw.rpartition(" ")
    m = _CLOCK.fullmatch(clock)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60 and int(m.group(3) or 0) < 60:
        if day_text.strip():
            from app.dates import parse_user_date

            day = parse_user_date(day_text.strip())
        else:
            day = today or dt.datetime.now(_IRAN).date()
        return dt.datetime.combine(
            day, dt.time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)), _IRAN
        )
    raise NoskheError(
        f"Time {str(text)[:40]!r} is not a time: write 10:30, 1405/09/09 10:30 or 2026-11-30T10:30.",
        f"زمان «{str(text)[:40]}» خوانده نشد: به شکل ۱۰:۳۰ یا ۱۴۰۵/۰۹/۰۹ ۱۰:۳۰ بنویسید.",
    )


#: how far back a start of service may be typed (7-7): a visit or a dispensing recorded late, not history
MAX_SERVICE_DAYS = 30
SERVICE_BACK = dt.timedelta(days=MAX_SERVICE_DAYS)


def service_period(
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    now: dt.datetime,
    born: dt.date | None = None,
    max_back: dt.timedelta | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of a service (7-7): each defaults to `now`; a start after the end, either after
    `now` (a minute's grace for clocks), a start more than `max_back` before `now` (as typed: at most
    `SERVICE_BACK`, so `1300/01/01` is refused) or before the patient was `born` is refused with
    `NoskheError` (one line, both languages)."""
    start, end = start or (end if end and end < now else now), end or now
    late = now + dt.timedelta(minutes=1)
    if start > late or end > late:
        raise NoskheError(
            "The start or end of service cannot be in the future.",
            "زمان آغاز یا پایان خدمت نمی‌تواند در آینده باشد.",
        )
    if max_back is not None and start < now - max_back:
        days = max_back.days
        raise NoskheError(
            f"The start of service is more than {days} days ago; record the service when it is given.",
            f"آغاز خدمت بیش از {days} روز پیش است؛ خدمت را هنگام ارائه ثبت کنید.",
        )
    if born is not None and start.astimezone(_IRAN).date() < born:
        raise NoskheError(
            "The start of service is before the patient's birth date.",
            "آغاز خدمت پیش از تاریخ تولد بیمار است.",
        )
    if end < start:
        raise NoskheError(
            "The end of service cannot be before its start.", "پایان خدمت نمی‌تواند پیش از آغاز آن باشد."
        )
    return start, end


def legal_problems(entity: object) -> list[tuple[str, str]]:
    """What is wrong with the legal elements a received prescription or dispensing carries (the exchange's
    acceptance): a payment id, POS terminal, provider's national id or phone that is not one, an end of
    service before its start. Each problem as (English, Persian); [] when all is well or absent."""
    from app.errors import InvalidIdentifier

    problems: list[tuple[str, str]] = []
    checks = (
        (PaymentId, getattr(entity, "payment_id", "")),
        (PosTerminalId, getattr(entity, "pos_terminal_id", "")),
        (ProviderNationalId, getattr(entity, "facility_national_id", "")),
        (PhoneNumber, getattr(getattr(entity, "patient", None), "phone", "")),
    )
    for kind, value in checks:
        if value:
            try:
                if kind.parse(value).value != value:
                    raise InvalidIdentifier(
                        f"{kind.name_en} {value!r} is not as kept.", f"{kind.name_fa} نادرست است."
                    )
            except InvalidIdentifier as exc:
                problems.append((exc.en, exc.fa))
    start, end = getattr(entity, "service_start", None), getattr(entity, "service_end", None)
    if start and end and end < start:
        problems.append(("The end of service is before its start.", "پایان خدمت پیش از آغاز آن است."))
    return problems


__all__ = [
    "MAX_SERVICE_DAYS",
    "SERVICE_BACK",
    "legal_problems",
    "payment_fields",
    "phone_of",
    "provider_national_id_of",
    "service_period",
    "service_time",
]
