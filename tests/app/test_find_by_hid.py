"""A prescription kept here is found by the visit's HID as well as by its id and tracking code: the
desktop's scan of an HID, `rx show HID`, the counter's lookups (section 9-2 step 3's retrieval keys).
Real SQLCipher store; the CLI run in this process."""

from __future__ import annotations

import pytest

from app.cli import main
from app.errors import NotFound
from app.identifiers import Hid, TrackingCode
from app.keyboard import typed_under
from tests.conftest import PASSPHRASE, make_prescription

HID = "1000000000000024"  # as `rx list` shows it
TRACKING = TrackingCode.from_serial(777).value


@pytest.fixture
def kept(store):
    rx = make_prescription()
    rx.hid, rx.tracking_code = HID, TRACKING
    store.save_prescription(rx)
    other = make_prescription()  # another visit's prescription, not to be confused with it
    other.hid = Hid.from_serial(3).value  # the HIDs' Luhn digits differ
    store.save_prescription(other)
    return rx


@pytest.mark.parametrize("typed", [HID, typed_under(HID, "isiri-9147"), f"\u200f{HID[:8]}-{HID[8:]}\u200e"])
def test_the_hid_finds_its_prescription_however_it_arrives(store, kept, typed):
    from app.services.dispensing import kept_prescription
    from app.services.records import find_prescription

    assert Hid.is_valid(HID)
    assert find_prescription(store, typed).id == kept.id
    assert kept_prescription(store, typed).id == kept.id  # the counter's lookups use the same service
    assert (
        find_prescription(store, TRACKING).id == kept.id and find_prescription(store, kept.id).id == kept.id
    )


def test_an_unknown_hid_is_not_found(store, kept):
    from app.services.records import find_prescription

    with pytest.raises(NotFound):
        find_prescription(store, Hid.from_serial(99).value)


def test_rx_show_takes_the_hid(data_dir, store, kept, monkeypatch, capsys):
    store.close()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    code = main(["--data-dir", str(data_dir), "--lang", "en", "rx", "show", HID])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert kept.id in out.out + out.err
