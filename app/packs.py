"""A pack's scan at the counter, read (national rules 9-2-7): the 16-digit TTAC authenticity code printed
on the label, or the GS1 element string of the pack's DataMatrix or Code 128 (GTIN, serial, expiry, batch)
parsed with `biip`.

    scan = read_pack("6260001010024...")            # PackScan(code, gtin, serial, batch, expiry, source)
    scan.expired(today)                               # a pack past its expiry must not be handed out
    scan.pack()                                       # the DispensedPack signed with the dispensing

On a GS1 pack the authenticity code TTAC tracks is the serial number (AI 21) — 16 digits; a GS1 scan
without one cannot be checked and is refused with that reason. A keyboard-wedge scanner sends the group
separator (FNC1) as the GS control character, or as a printable stand-in when it is set up to
(`GS_STAND_INS`); the human-readable form "(01)…(21)…" is read too. Pure Python, no Qt, no store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.domain import DispensedPack
from app.errors import NoskheError
from app.identifiers import AuthenticityCode
from app.text import normalize_code

GS = "\x1d"
#: what scanners are commonly set up to send for the group separator, besides GS itself
GS_STAND_INS = ("<GS>", "{GS}", "^]")
#: symbology identifiers a scanner may prefix (GS1 DataMatrix, GS1-128, GS1 QR)
_SYMBOLOGY = ("]d2", "]C1", "]Q3", "]e0")


class PackScanError(NoskheError):
    """A pack scan that cannot be used: not a 16-digit TTAC code nor a GS1 element string, or a GS1 string
    without a 16-digit serial number (the authenticity code). `details['text']`: the scan as read."""

    code = "pack-scan"


@dataclass(frozen=True)
class PackScan:
    """A pack as scanned: `code` the 16-digit TTAC authenticity code; from a GS1 scan also `gtin` (14
    digits), `serial` (AI 21, the code itself), `batch` (AI 10) and `expiry` (AI 17, a date; the day 00
    means the month's last day, as GS1 says). `source` is `ttac` (the label's code) or `gs1`."""

    code: str
    source: str = "ttac"
    gtin: str = ""
    serial: str = ""
    batch: str = ""
    expiry: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """True when the scan carries an expiry date before `today` (a pack expires at its date's end)."""
        return self.expiry is not None and self.expiry < today

    def pack(self) -> DispensedPack:
        """The pack as signed with the dispensing: code, GTIN, batch, expiry (ISO date, "" when unknown)."""
        return DispensedPack(
            self.code, gtin=self.gtin, batch=self.batch, expiry=self.expiry.isoformat() if self.expiry else ""
        )


def looks_like_gs1(text: str) -> bool:
    """True when `text` reads as a GS1 element string (a symbology prefix, "(01)…", or AI 01 + 14 digits
    followed by more element strings): what a scanner sends from a pack's DataMatrix or Code 128."""
    raw = _clean(text)
    if raw.startswith(_SYMBOLOGY) or raw.startswith("(01)"):
        return True
    return len(raw) > 18 and raw.startswith("01") and raw[2:16].isdigit()


def read_pack(text: str) -> PackScan:
    """The pack a scan names: a 16-digit TTAC code (Persian digits and spaces allowed), or a GS1 element
    string (`looks_like_gs1`) whose serial is the code. Raises `PackScanError` (unreadable, no serial, a
    serial that is not a 16-digit code) — never `biip`'s own errors."""
    raw = _clean(text)
    if not looks_like_gs1(raw):
        digits = normalize_code(raw).replace(" ", "").replace("-", "")
        if AuthenticityCode.is_valid(digits):
            return PackScan(AuthenticityCode.parse(digits).value)
        raise _error(text, "is neither a 16-digit authenticity code nor a GS1 pack code",
                     "نه کد اصالت ۱۶ رقمی است و نه بارکد GS1 بسته")  # fmt: skip
    fields = _gs1_fields(raw, text)
    serial = str(fields.get("21", ""))
    if not serial:
        raise _error(text, "carries no serial number (AI 21), so TTAC cannot check it",
                     "شمارهٔ سریال (AI 21) ندارد و استعلام اصالت آن ممکن نیست")  # fmt: skip
    if not AuthenticityCode.is_valid(serial):
        raise _error(text, f"has serial {serial}, not a 16-digit authenticity code",
                     f"سریال {serial} دارد که کد اصالت ۱۶ رقمی نیست")  # fmt: skip
    expiry = fields.get("17")
    return PackScan(
        AuthenticityCode.parse(serial).value,
        source="gs1",
        gtin=str(fields.get("01", "")),
        serial=serial,
        batch=str(fields.get("10", "")),
        expiry=expiry if isinstance(expiry, dt.date) else None,
    )


def _clean(text: str) -> str:
    raw = text.strip()
    for stand_in in GS_STAND_INS:
        raw = raw.replace(stand_in, GS)
    return raw


def _gs1_fields(raw: str, original: str) -> dict[str, object]:
    """AI → value (AI 17 as a date) of a GS1 element string, through `biip`."""
    from biip import ParseError
    from biip.gs1_messages import GS1Message

    try:
        if raw.startswith("("):
            message = GS1Message.parse_hri(raw)
        else:
            body = raw[3:] if raw.startswith(_SYMBOLOGY) else raw
            message = GS1Message.parse(body)
    except (ParseError, ValueError) as exc:
        raise _error(original, f"is not a readable GS1 code ({exc})", "بارکد GS1 خوانا نیست") from None
    out: dict[str, object] = {}
    for es in message.element_strings:
        ai = es.ai.ai
        if ai == "01" and es.gtin_error:
            raise _error(original, f"has a GTIN with a wrong check digit ({es.value})",
                         f"GTIN آن رقم کنترل نادرست دارد ({es.value})")  # fmt: skip
        if ai == "17":
            if es.date is None:
                raise _error(original, f"has an expiry that is not a date ({es.value})",
                             f"تاریخ انقضای آن تاریخ نیست ({es.value})")  # fmt: skip
            out[ai] = es.date
        else:
            out.setdefault(ai, es.value)
    return out


def _error(text: str, en: str, fa: str) -> PackScanError:
    shown = text.strip().replace(GS, "<GS>")
    return PackScanError(f"The pack scan {shown!r} {en}.", f"بارکد بسته «{shown}» {fa}.", text=shown)


__all__ = ["GS", "GS_STAND_INS", "PackScan", "PackScanError", "looks_like_gs1", "read_pack"]
