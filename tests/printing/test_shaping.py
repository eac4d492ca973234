"""Persian text: shaping, visual order, digits, mixed lines, fonts, Jalali dates."""

import datetime as dt
import unicodedata

import pytest

from app.domain import IRAN_TZ
from printing.jalali import jalali_date, jalali_datetime, jalali_long_date
from printing.layout import grouped, money
from printing.shaping import FontMissing, fa_num, fonts, ltr, text_width, visual, wrap


def logical(shown: str) -> str:
    """Undo drawing order for a pure right-to-left string: reverse, then fold presentation forms."""
    return unicodedata.normalize("NFKC", shown[::-1])


def test_persian_is_shaped_and_reversed_for_drawing() -> None:
    shown = visual("نسخه الکترونیک")
    assert all(not ("\u0600" <= ch <= "\u06ff") for ch in shown if ch != " ")  # joined presentation forms
    assert logical(shown) == "نسخه الکترونیک"


def test_mixed_line_keeps_latin_and_digits_left_to_right() -> None:
    shown = visual("آموکسی‌سیلین 500 mg کپسول")
    # drawn left to right: «کپسول», then «500 mg» as written, then the drug name at the right
    assert "500 mg" in shown
    assert shown.index("500 mg") > 0
    assert unicodedata.normalize("NFKC", shown.split("500 mg")[1]).strip()[::-1] == "آموکسیسیلین"
    assert "\u200c" not in shown  # the half-space shaped the letters and is not drawn


def test_grouped_digits_stay_in_reading_order_inside_persian() -> None:
    shown = visual(f"کد اصالت: {grouped('6260001234567891')}")
    assert shown.startswith("6260 0012 3456 7891")
    naive = visual("کد اصالت: 6260 0012 3456 7891")
    assert not naive.startswith("6260 0012")  # what ltr() exists to prevent


def test_persian_digits_and_money() -> None:
    assert fa_num(1403) == "۱۴۰۳"
    assert fa_num(1250000, group=True) == "۱٬۲۵۰٬۰۰۰"
    assert money(70000) == "۷۰٬۰۰۰ ریال"
    assert ltr("x").strip("\u202a\u202c") == "x"


def test_fonts_found_once_with_latin_fallback() -> None:
    f = fonts()
    assert f is fonts()
    assert f.regular[0].has("ب") and any(face.has("A") for face in f.regular)
    assert text_width("HID: 1234 شباد", 10) > text_width("شباد", 10) > 0


def test_no_persian_font_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("NOSKHE_FONT", raising=False)
    with pytest.raises(FontMissing) as err:
        fonts([tmp_path])
    assert "fonts-noto-core" in err.value.en and "قلم فارسی" in err.value.fa


def test_wrap_keeps_words_and_width() -> None:
    text = "هر ۸ ساعت یک کپسول، تا پایان دوره مصرف شود و در صورت بروز حساسیت قطع گردد"
    lines = wrap(text, 100, 9)
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(text_width(line, 9) <= 100 for line in lines)


def test_jalali() -> None:
    nowruz = dt.datetime(2024, 3, 20, 10, 36, 0, tzinfo=dt.UTC)  # 14:06 in Tehran
    assert jalali_date(nowruz) == "۱۴۰۳/۰۱/۰۱"
    assert jalali_datetime(nowruz) == "۱۴۰۳/۰۱/۰۱ ۱۴:۰۶:۰۰"
    assert jalali_long_date(dt.date(2024, 5, 4)) == "۱۵ اردیبهشت ۱۴۰۳"
    assert (
        jalali_datetime(dt.datetime(2024, 5, 4, 23, 59, 59, tzinfo=IRAN_TZ), seconds=False)
        == "۱۴۰۳/۰۲/۱۵ ۲۳:۵۹"
    )
