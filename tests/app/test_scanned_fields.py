"""Every scanned or typed code reaches the store and the exchange as the canonical ASCII code: a keyboard
wedge under a Persian layout, invisible marks from a copy-paste, separators."""

from __future__ import annotations

import pytest

from app.errors import InvalidIdentifier
from app.identifiers import TrackingCode
from app.keyboard import typed_under
from tests.conftest import make_prescription

TRACKING = TrackingCode.from_serial(123_456_789).value


@pytest.fixture
def kept(store):
    rx = make_prescription()
    rx.tracking_code = TRACKING
    store.save_prescription(rx)
    return rx


@pytest.mark.parametrize(
    "typed",
    [TRACKING, typed_under(TRACKING, "isiri-9147"), typed_under(TRACKING, "windows-persian"),
     f"\u200f{TRACKING[:4]}-{TRACKING[4:8]}-{TRACKING[8:]}\u200e"],
)
def test_a_prescription_is_found_by_its_tracking_code_however_it_arrives(store, kept, typed):
    from app.services.dispensing import kept_prescription
    from app.services.records import find_prescription

    assert find_prescription(store, typed).id == kept.id
    assert kept_prescription(store, typed).id == kept.id
    assert find_prescription(store, kept.id).id == kept.id  # and by its own id


class _Exchange:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def search(self, field: str, value: str) -> dict:
        self.asked.append((field, value))
        return {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}


@pytest.mark.parametrize(
    ("field", "typed", "sent"),
    [
        ("national-code", "۰۰۱-۲۳۴۵۶۷-۹\u200f", "0012345679"),
        ("national-code", typed_under("0012345679", "windows-persian"), "0012345679"),
        ("hid", typed_under("1234567890123452", "isiri-9147"), "1234567890123452"),
        ("tracking", typed_under(TRACKING, "isiri-9147"), TRACKING),
        ("newborn", "۰۰۱۲۳۴۵۶۷۹-۲", "0012345679-2"),
    ],
)
def test_the_exchange_is_asked_for_the_canonical_code(store, field, typed, sent):
    from sync.retrieve import retrieve

    exchange = _Exchange()
    retrieve(store, exchange, None, field=field, value=typed)  # type: ignore[arg-type]
    assert exchange.asked == [(field, sent)]


def test_a_mistyped_code_is_refused_before_the_exchange_is_asked(store):
    from sync.retrieve import retrieve

    exchange = _Exchange()
    with pytest.raises(InvalidIdentifier, match="check digit"):
        retrieve(store, exchange, None, field="national-code", value="1231231231")  # type: ignore[arg-type]
    assert exchange.asked == []


def test_lists_and_the_audit_log_by_patient_take_the_id_as_typed(store):
    from types import SimpleNamespace

    from app.services.admin import audit_entries
    from app.services.records import list_prescriptions

    rx = make_prescription()
    store.save_prescription(rx)
    value = rx.patient.id.value
    ws = SimpleNamespace(store=store)
    for typed in (value, typed_under(value, "isiri-9147"), f"\u200f{value}", f"{rx.patient.id.kind}:{value}"):
        assert [r.id for r in list_prescriptions(ws, patient=typed)] == [rx.id], typed  # type: ignore[arg-type]
        assert audit_entries(ws, patient=typed), typed  # type: ignore[arg-type]
    assert list_prescriptions(ws, patient="not an id") == []  # type: ignore[arg-type]


def _prescription_id_variants(rx_id: str) -> list[str]:
    return [
        rx_id.lower(),
        f" {rx_id}",
        f"{rx_id}\u200f",
        f"\u200f {rx_id.lower()} \u200e",
        typed_under(rx_id, "isiri-9147"),
        typed_under(rx_id, "windows-persian"),
        typed_under(rx_id.lower(), "isiri-9147"),
        rx_id.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    ]


def test_a_prescription_is_found_by_its_id_however_it_arrives(store, kept):
    from app.ids import read_id
    from app.services.dispensing import kept_prescription
    from app.services.records import find_prescription

    for typed in _prescription_id_variants(kept.id):
        assert read_id(typed) == kept.id, repr(typed)
        assert find_prescription(store, typed).id == kept.id, repr(typed)
        assert kept_prescription(store, typed).id == kept.id, repr(typed)
    assert read_id(kept.id[:-1]) is None and read_id("") is None and read_id("not an id") is None


def test_rx_show_finds_a_prescription_id_typed_under_a_persian_layout(store, kept):
    from app.services.records import find_prescription

    typed = typed_under(kept.id, "isiri-9147")
    assert typed != kept.id and not typed.isascii()  # the barcode as a Persian layout types it
    assert find_prescription(store, typed).id == kept.id
