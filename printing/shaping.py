"""Persian text on a reportlab canvas: fonts, shaping, bidi order, Persian digits, line wrapping.

reportlab draws glyphs left to right as given, so a logical Persian string is first shaped (letters take
their joined forms, arabic-reshaper) and reordered into visual order (Unicode bidi, python-bidi). Persian
fonts often lack Latin letters (Noto Naskh Arabic has digits and punctuation only), so a visual line is
drawn as runs, each in the first font that has all its glyphs: mixed Persian/Latin/digit lines come out
whole and in the right order.

Fonts are found once per process (`fonts()`): `NOSKHE_FONT` (a .ttf path) if set, else Vazirmatn, else
Noto Naskh Arabic (Debian `fonts-noto-core`), each with Noto Sans / DejaVu Sans for Latin; none found →
`FontMissing` saying what to install.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import arabic_reshaper
from bidi.algorithm import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.errors import ConfigError
from app.text import to_persian_digits

FONT_DIRS = [
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
    Path("C:/Windows/Fonts"),
    Path("/Library/Fonts"),
]
# (regular, bold) file names, best first; the first family found is the Persian face.
PERSIAN_FAMILIES = [
    ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf"),
    ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
]
LATIN_FAMILIES = [("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"), ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")]
# a Latin stretch inside Persian: «500 mg», «125 mg/5 mL», «HID: 1234…» — kept whole, left to right
_LATIN_RUN = re.compile(r"[(A-Za-z0-9][A-Za-z0-9 .,/%:+()\-]*[A-Za-z0-9%)]|[A-Za-z]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# ZWNJ/ZWJ have done their work in shaping, direction marks and isolates in reordering: never drawn
_INVISIBLE = frozenset("\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class FontMissing(ConfigError):
    code = "font-missing"


@dataclass(frozen=True)
class Face:
    """A registered reportlab font and the code points it can draw."""

    name: str
    path: str
    chars: frozenset[int] = field(repr=False)

    def has(self, ch: str) -> bool:
        return ord(ch) in self.chars


@dataclass(frozen=True)
class Fonts:
    """The faces text is drawn with: Persian first, then Latin fallbacks; regular and bold."""

    regular: tuple[Face, ...]
    bold: tuple[Face, ...]

    def chain(self, bold: bool = False) -> tuple[Face, ...]:
        return self.bold if bold else self.regular


# reportlab's built-in faces: Latin-1 only, but always there
_HELVETICA = Face("Helvetica", "", frozenset(range(32, 256)))
_HELVETICA_BOLD = Face("Helvetica-Bold", "", frozenset(range(32, 256)))
_lock = threading.Lock()
_fonts: Fonts | None = None


def _find(filename: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        if not d.is_dir():
            continue
        direct = d / filename
        if direct.is_file():
            return direct
        for hit in d.rglob(filename):
            return hit
    return None


def _register(path: Path) -> Face:
    name = "Noskhe-" + path.stem
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    font = pdfmetrics.getFont(name)
    return Face(name, str(path), frozenset(font.face.charToGlyph))


def _family(families: list[tuple[str, str]], dirs: list[Path]) -> tuple[Path, Path] | None:
    for regular, bold in families:
        r = _find(regular, dirs)
        if r is not None:
            b = r.with_name(bold)
            return r, (b if b.is_file() else r)
    return None


def fonts(dirs: list[Path] | None = None) -> Fonts:
    """The fonts for Persian documents, found and registered with reportlab once per process."""
    global _fonts
    with _lock:
        if _fonts is not None and dirs is None:
            return _fonts
        search = dirs or FONT_DIRS
        override = os.environ.get("NOSKHE_FONT")
        persian = (Path(override), Path(override)) if override and Path(override).is_file() else None
        persian = persian or _family(PERSIAN_FAMILIES, search)
        if persian is None:
            raise FontMissing(
                "No Persian font found: install Vazirmatn or Noto Naskh Arabic (Debian: fonts-noto-core), "
                "or set NOSKHE_FONT to a .ttf file.",
                "قلم فارسی پیدا نشد: قلم وزیرمتن یا Noto Naskh Arabic را نصب کنید (دبیان: fonts-noto-core) "
                "یا مسیر یک فایل ttf را در NOSKHE_FONT بگذارید.",
            )
        latin = _family(LATIN_FAMILIES, search)
        regular = [_register(persian[0]), _register(latin[0]) if latin else _HELVETICA]
        bold = [_register(persian[1]), _register(latin[1]) if latin else _HELVETICA_BOLD]
        found = Fonts(tuple(regular), tuple(bold))
        if dirs is None:
            _fonts = found
        return found


def new_canvas(target: str | Path | BinaryIO, pagesize: tuple[float, float], title: str) -> Canvas:
    """A compressed PDF canvas in Persian (`lang` fa-IR) whose every font is embedded: even the font
    reportlab sets before any text is ours, not an unembedded Helvetica."""
    canvas = Canvas(
        str(target) if isinstance(target, Path) else target,
        pagesize=pagesize,
        pageCompression=1,
        initialFontName=fonts().regular[0].name,
        lang="fa-IR",
    )
    canvas.setTitle(title)
    canvas.setAuthor("Noskhe")
    return canvas


# -- text -----------------------------------------------------------------------------------------------


def has_persian(text: str) -> bool:
    return bool(_ARABIC.search(text))


def fa_num(value: int | str, *, group: bool = False) -> str:
    """A number in Persian digits; `group` adds the Persian thousands separator (۱٬۲۵۰٬۰۰۰)."""
    text = f"{int(value):,}".replace(",", "\u066c") if group else str(value)
    return to_persian_digits(text)


def ltr(text: str) -> str:
    """`text` isolated as left-to-right inside a Persian line: «1234 5678» keeps its groups in reading
    order instead of being laid out right to left group by group."""
    return f"\u202a{text}\u202c"  # LRE…PDF: python-bidi's algorithm module mirrors but knows no isolates


@functools.lru_cache(maxsize=4096)
def visual(text: str, *, rtl: bool | None = None) -> str:
    """`text` (logical order) shaped and reordered for drawing left to right. The paragraph direction is
    right-to-left when the text holds Persian (or when `rtl` says so); there, Latin stretches with digits
    («500 mg», «125 mg/5 mL») stay whole and left to right, as a reader expects them."""
    if rtl is None:
        rtl = has_persian(text)
    if rtl:
        text = _LATIN_RUN.sub(
            lambda m: ltr(m.group()) if re.search("[A-Za-z]", m.group()) else m.group(), text
        )
    shaped = arabic_reshaper.reshape(text) if has_persian(text) else text
    shown = get_display(shaped, base_dir="R" if rtl else "L")
    return "".join(ch for ch in shown if ch not in _INVISIBLE)


def _runs(shown: str, chain: tuple[Face, ...]) -> list[tuple[Face, str]]:
    runs: list[tuple[Face, str]] = []
    for ch in shown:
        if runs and not ch.isalpha() and runs[-1][0].has(ch):
            face = runs[-1][0]  # digits, spaces and punctuation stay in the font of their neighbours
        else:
            face = next((f for f in chain if f.has(ch)), chain[-1])
        if runs and runs[-1][0] is face:
            runs[-1] = (face, runs[-1][1] + ch)
        else:
            runs.append((face, ch))
    return runs


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in points of `text` drawn with `draw_text` at `size`."""
    chain = fonts().chain(bold)
    return sum(pdfmetrics.stringWidth(s, f.name, size) for f, s in _runs(visual(text), chain))


def draw_text(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float = 9,
    *,
    align: str = "right",
    bold: bool = False,
    rtl: bool | None = None,
) -> float:
    """Draw one line of logical-order text with its baseline at `y`. `align` right: `x` is the right
    edge (the Persian default); left: the left edge; center: the middle. Returns the width drawn."""
    chain = fonts().chain(bold)
    runs = _runs(visual(text, rtl=rtl), chain)
    width = sum(pdfmetrics.stringWidth(s, f.name, size) for f, s in runs)
    left = x - width if align == "right" else x - width / 2 if align == "center" else x
    for face, chunk in runs:
        canvas.setFont(face.name, size)
        canvas.drawString(left, y, chunk)
        left += pdfmetrics.stringWidth(chunk, face.name, size)
    return width


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """Split logical-order `text` into lines no wider than `width` (words kept whole unless one word alone
    is wider, then it is cut)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if text_width(candidate, size, bold=bold) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
        while text_width(current, size, bold=bold) > width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and text_width(current[:cut], size, bold=bold) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines or [""]
