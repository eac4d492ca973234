"""A pack's scan at the counter: the 16-digit TTAC code, or a GS1 DataMatrix / Code 128 element string."""

import datetime as dt

import pytest

from app.packs import PackScanError, looks_like_gs1, read_pack
from exchange.seed import gtin

GTIN = "0" + gtin("101002")  # 14 digits, a real GS1 check digit
CODE = "1234567890123456"


@pytest.mark.parametrize(
    "text",
    [
        f"]d201{GTIN}1727123110AB12C\x1d21{CODE}",  # GS1 DataMatrix, symbology id and GS
        f"01{GTIN}21{CODE}\x1d1727120010AB12C",  # serial first, day 00 = the month's last day
        f"01{GTIN}21{CODE}<GS>1727123110AB12C",  # a scanner set to send a printable stand-in for GS
        f"(01){GTIN}(17)271231(10)AB12C(21){CODE}",  # the human-readable line under the barcode
        f"]C101{GTIN}1727123110AB12C\x1d21{CODE}",  # GS1-128 (Code 128)
    ],
)
def test_a_gs1_scan_gives_gtin_serial_expiry_and_batch(text):
    assert looks_like_gs1(text)
    scan = read_pack(text)
    assert (scan.code, scan.source, scan.gtin, scan.serial, scan.batch) == (CODE, "gs1", GTIN, CODE, "AB12C")
    assert scan.expiry == dt.date(2027, 12, 31)
    assert scan.pack().to_dict() == {
        "authenticity_code": CODE, "gtin": GTIN, "batch": "AB12C", "expiry": "2027-12-31"
    }  # fmt: skip


def test_the_label_code_as_typed_or_through_a_persian_layout():
    for text in (CODE, "1234 5678 9012 3456", "۱۲۳۴۵۶۷۸۹۰۱۲۳۴۵۶"):
        scan = read_pack(text)
        assert (scan.code, scan.source, scan.expiry) == (CODE, "ttac", None)
        assert not looks_like_gs1(text)


def test_an_expired_pack_is_seen_as_expired():
    scan = read_pack(f"01{GTIN}17240131\x1d21{CODE}")
    assert scan.expired(dt.date(2024, 2, 1)) and not scan.expired(dt.date(2024, 1, 31))
    assert not read_pack(CODE).expired(dt.date(2099, 1, 1))  # no date on the label code: TTAC says


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (f"01{GTIN}17271231", "no serial"),
        (f"01{GTIN}2112345", "not a 16-digit"),
        (f"(01){GTIN[:-1]}9(21){CODE}", "check digit"),
        (f"01{GTIN}17279999\x1d21{CODE}", "GS1"),
        ("hello", "neither"),
        ("1111111111111111", "neither"),
    ],
)
def test_scans_that_cannot_be_used_are_refused_in_both_languages(text, said):
    with pytest.raises(PackScanError) as err:
        read_pack(text)
    assert said in err.value.en and err.value.fa and "\x1d" not in err.value.en
