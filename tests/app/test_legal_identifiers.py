"""The identifiers of section 7 beyond the patient's code: a newborn never a unique id, the armed-forces
newborn's insurance number, the provider's national id, the payment id, the POS terminal and a phone."""

from __future__ import annotations

import pytest

from app.domain import PatientId
from app.errors import InvalidIdentifier, NoskheError
from app.identifiers import (
    PATIENT_ID_KINDS,
    NewbornId,
    guess_patient_id,
    legal_national_id_check_digit,
    parse_identifier,
)
from app.services.prescribing import parse_patient_id


@pytest.mark.parametrize("text", ["0012345679-1", "۰۰۱۲۳۴۵۶۷۹-۱", "0012345679/1", " 0012345679 - 1 "])
def test_a_bare_newborn_form_is_the_mother_and_the_birth_order(text: str) -> None:
    found = guess_patient_id(text)
    assert isinstance(found, NewbornId) and found.mother.value == "0012345679" and found.order == 1
    pid = parse_patient_id(text)
    assert (pid.kind, pid.value) == ("newborn", "0012345679-1")


def test_a_newborn_form_is_never_taken_as_a_unique_id() -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        PatientId.parse("unique-id", "0012345679-1")
    assert "newborn" in exc.value.en and "نوزاد" in exc.value.fa and "\n" not in str(exc.value)
    with pytest.raises(InvalidIdentifier):
        parse_patient_id("unique-id:0012345679-2")
    assert parse_patient_id("unique-id:AB123456").kind == "unique-id"  # a real unique id still is one


def test_the_armed_forces_newborn_is_a_patient_id_kind() -> None:
    assert PATIENT_ID_KINDS[:4] == ("national-code", "fida", "unique-id", "newborn")  # the paper's indices
    pid = parse_patient_id("armed-forces-newborn:۱۲۳-۴۵۶۷۸")
    assert (pid.kind, pid.value) == ("armed-forces-newborn", "12345678")
    for bad in ("armed-forces-newborn:12", "armed-forces-newborn:111111", "armed-forces-newborn:AB1234"):
        with pytest.raises(InvalidIdentifier):
            parse_patient_id(bad)


def test_provider_national_id_is_a_legal_entity_id_or_a_national_code() -> None:
    assert parse_identifier("provider-national-id", "10380284790").value == "10380284790"
    assert legal_national_id_check_digit("1038028479") == 0
    assert parse_identifier("provider-national-id", "0012345679").value == "0012345679"
    for bad in ("10380284791", "0012345678", "123", "11111111111"):
        with pytest.raises(InvalidIdentifier) as exc:
            parse_identifier("provider-national-id", bad)
        assert exc.value.en and exc.value.fa


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("+98 912 123 4567", "09121234567"),
        ("۰۹۱۲-۱۲۳-۴۵۶۷", "09121234567"),
        ("(021) 1234 5678", "02112345678"),
    ],
)
def test_phone_numbers_are_kept_as_eleven_digits(text: str, value: str) -> None:
    assert parse_identifier("phone", text).value == value


@pytest.mark.parametrize("text", ["12345", "9121234567", "00121234567", "0912abc4567", "091212345678"])
def test_a_wrong_phone_is_a_one_line_refusal(text: str) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        parse_identifier("phone", text)
    assert "\n" not in exc.value.en + exc.value.fa and "شماره تلفن" in exc.value.fa


def test_payment_and_pos_terminal_ids() -> None:
    assert parse_identifier("payment-id", "rrn-1234-5678-9012").value == "RRN123456789012"
    assert parse_identifier("pos-terminal", "a1b2c3").value == "A1B2C3"
    assert parse_identifier("pos-terminal", "12345678").value == "12345678"
    for kind, bad in (("payment-id", "12"), ("pos-terminal", "1234"), ("pos-terminal", "AB_123456")):
        with pytest.raises(InvalidIdentifier):
            parse_identifier(kind, bad)


def test_times_of_service_as_typed() -> None:
    import datetime as dt

    from app.domain import IRAN_TZ
    from app.legal import service_period, service_time

    day = dt.date(2026, 11, 30)
    assert service_time("۱۴۰۵/۰۹/۰۹ ۱۰:۳۰") == dt.datetime(2026, 11, 30, 10, 30, tzinfo=IRAN_TZ)
    assert service_time("10:30:15", today=day) == dt.datetime(2026, 11, 30, 10, 30, 15, tzinfo=IRAN_TZ)
    assert service_time("2026-11-30T10:30") == dt.datetime(2026, 11, 30, 10, 30, tzinfo=IRAN_TZ)
    assert service_time("  ") is None
    for bad in ("tomorrow", "25:00", "1405/13/01 10:00"):
        with pytest.raises(NoskheError) as exc:
            service_time(bad)
        assert "\n" not in str(exc.value)
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=IRAN_TZ)
    start = now - dt.timedelta(minutes=30)
    assert service_period(start, None, now=now) == (start, now)
    assert service_period(None, None, now=now) == (now, now)
    with pytest.raises(NoskheError, match="before its start"):
        service_period(now - dt.timedelta(minutes=5), start, now=now)
    with pytest.raises(NoskheError, match="future"):
        service_period(start, now + dt.timedelta(hours=1), now=now)
