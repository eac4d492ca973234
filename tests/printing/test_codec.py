"""base45 (RFC 9285 examples), the strict CBOR subset, the format's fixed deflate dictionary."""

import hashlib

import pytest

from printing.codec import CodecError, b45decode, b45encode, cbor_dumps, cbor_loads
from printing.zdict import ZDICT_V1, ZDICT_V1_SHA256


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_rfc_examples(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@pytest.mark.parametrize("bad", ["GGW", "ZZZ", "A", "BB8A", "bb8", "BB8\n"])
def test_base45_refuses_malformed(bad: str) -> None:
    with pytest.raises(CodecError):
        b45decode(bad)


def test_cbor_round_trip_and_known_bytes() -> None:
    value = {1: [0, 23, 24, 255, 256, 65536, 2**40, -1, -25], "t": "نسخه", 2: b"\x00\xff", 3: None, 4: True}
    assert cbor_loads(cbor_dumps(value)) == value
    assert cbor_dumps([1, [2, 3]]) == bytes.fromhex("8201820203")  # RFC 8949 appendix A
    assert cbor_dumps("IETF") == bytes.fromhex("6449455446")
    assert cbor_dumps(-100) == bytes.fromhex("3863")


@pytest.mark.parametrize(
    "bad",
    [
        bytes.fromhex("83010203ff"),  # trailing byte
        bytes.fromhex("830102"),  # truncated array
        bytes.fromhex("9f01ff"),  # indefinite length
        bytes.fromhex("f97e00"),  # half float
        bytes.fromhex("c11a514b67b0"),  # tag
        bytes.fromhex("a201020103"),  # repeated key
        bytes.fromhex("62c328"),  # invalid UTF-8
        bytes.fromhex("5a7fffffff"),  # absurd length
    ],
)
def test_cbor_refuses_what_it_does_not_expect(bad: bytes) -> None:
    with pytest.raises(CodecError):
        cbor_loads(bad)


def test_deflate_dictionary_never_changes() -> None:
    # every printed payload of format 1 depends on these exact bytes
    assert hashlib.sha256(ZDICT_V1).hexdigest() == ZDICT_V1_SHA256


@pytest.mark.parametrize("format_byte, reason", [(2, "version"), (191, "damaged")])
def test_a_misread_format_byte_blames_the_scan_and_a_newer_format_asks_for_an_update(format_byte, reason):
    """A newer paper (format 2) asks for an update; a byte no format will have soon (a '0' read as 'O')
    is a scan that did not read, with the scanner or the keyboard layout named as the likely cause."""
    from printing.payload import MAGIC, PaperPayloadError, decode

    text = b45encode(MAGIC + bytes([format_byte]) + b"\x00" * 40)
    with pytest.raises(PaperPayloadError) as got:
        decode(text)
    if reason == "damaged":
        assert "scanner" in got.value.en and "Update" not in got.value.en
    else:
        assert "Update Noskhe" in got.value.en
