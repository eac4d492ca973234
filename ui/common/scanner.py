"""A keyboard-wedge scanner, recognised wherever the focus is, and what it read.

A scanner types its code as fast key presses ending with Enter. `ScanDetector` watches every key press of
the program: printable keys are held for a moment (`gap_ms`); keys that keep coming faster than a person
types, end with Enter and read as a code (`read_scan`) are a scan, taken out of the typing and handed to
`scanned` — so a burst never lands in whichever field (or combo box) had the focus, even one a person was
typing into a moment before (the keys typed before the burst stay in that field). Keys a person types,
and a fast burst that reads as nothing, are given back to the field they were typed into, in order, after
that moment (too short to notice). While a dialog is being answered (a file name, a PIN), its keys are
left alone.

`read_scan(text)` says what a scan may be, most likely first: a patient id (national code, newborn, FIDA),
a tracking code, an HID, a pack's TTAC code, or a paper prescription's QR — read through a Persian keyboard
layout too (Persian digits, Persian letters for Latin keys), as `app.keyboard` maps them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from app.errors import NoskheError
from app.identifiers import Hid, TrackingCode, guess_patient_id
from app.keyboard import LAYOUTS, latin_keys
from app.packs import looks_like_gs1
from app.text import normalize_code

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_HELD_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
#: keys that only change what the next key types: a wedge scanner presses Shift around every uppercase
#: character (a paper QR, a GS1 batch), AltGr for some symbols — they never end a burst
_MODIFIER_KEYS = frozenset(
    {
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
        Qt.Key.Key_Super_L,
        Qt.Key.Key_Super_R,
        Qt.Key.Key_Hyper_L,
        Qt.Key.Key_Hyper_R,
        Qt.Key.Key_CapsLock,
        Qt.Key.Key_Mode_switch,
    }
)
#: GS1's group separator (FNC1 in a DataMatrix): a wedge scanner types it as the GS control character,
#: often as Ctrl+] — kept inside a burst, never ending it
GS = "\x1d"


def _group_separator(event: QKeyEvent) -> bool:
    """True when `event` types GS (0x1D): the character itself, or Ctrl+]."""
    if event.text() == GS:
        return True
    return event.key() == Qt.Key.Key_BracketRight and bool(
        event.modifiers() & Qt.KeyboardModifier.ControlModifier
    )


@dataclass(frozen=True)
class Scanned:
    """One reading of a scan: `kind` is `patient` (value `kind:value`), `tracking-code`, `hid`, `ttac`,
    `pack` (a GS1 element string) or `paper` (value: the text as scanned)."""

    kind: str
    value: str


def read_scan(text: str) -> list[Scanned]:
    """The readings of a scanned `text`, most likely first (possibly none)."""
    raw = text.strip()
    if not raw:
        return []
    if looks_like_gs1(raw):  # a pack's GS1 DataMatrix / Code 128: GTIN, serial, expiry, batch
        return [Scanned("pack", raw)]
    if len(raw) > 40:  # an id is short; a paper QR is hundreds of characters
        return [Scanned("paper", raw)]
    readings: list[Scanned] = []
    candidates = [raw] + [latin_keys(raw, layout) for layout in LAYOUTS]
    for candidate in candidates:
        code = normalize_code(candidate).strip()
        digits = "".join(ch for ch in code if ch.isdigit())
        if len(digits) == 12 and TrackingCode.is_valid(digits):
            readings.append(Scanned("tracking-code", digits))
        if len(digits) == 16:
            readings.append(Scanned("hid" if Hid.is_valid(digits) else "ttac", digits))
        try:
            found = guess_patient_id(code)
            readings.append(Scanned("patient", f"{found.kind}:{found.value}"))
        except NoskheError:
            pass
        if readings:
            break
    seen: list[Scanned] = []
    for r in readings:
        if r not in seen:
            seen.append(r)
    return seen


class ScanDetector(QObject):
    """Install on the application (`QApplication.installEventFilter`); `scanned(text)` on each scan."""

    scanned = Signal(str)

    def __init__(
        self, parent: QObject | None = None, *, gap_ms: int = 40, min_length: int = 8, pause_ms: int = 1500
    ) -> None:
        super().__init__(parent)
        self.gap_ms, self.min_length, self.pause_ms = gap_ms, min_length, pause_ms
        #: where the burst under way began among the held keys: once `min_length` keys came faster than a
        #: person types, the scan goes on through pauses up to `pause_ms` (a scanner's buffer, a busy
        #: machine) until its Enter — a long paper QR typed in two bursts is still one scan
        self._burst: int | None = None
        self.enabled = True
        #: whether a burst is something a scanner sends here (else it is given back as typed)
        self.recognise: Callable[[str], bool] = lambda text: bool(read_scan(text))
        self._keys: list[tuple[QWidget, int, Qt.KeyboardModifier, str, float]] = []
        self._secret: list[float] = []  # when each key of a PIN or passphrase was typed
        self._replaying = False
        self._flush = QTimer(self, singleShot=True, interval=gap_ms)
        self._flush.timeout.connect(self.give_back)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if self._replaying or not self.enabled or event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        for widget in (obj, QApplication.focusWidget()):
            if isinstance(widget, QLineEdit) and widget.echoMode() != QLineEdit.EchoMode.Normal:
                return self._secret_key(widget, event)  # a PIN or a passphrase: never taken for a scan
        if QApplication.activeModalWidget() is not None and not self._keys:
            return False  # a dialog (a file name, a PIN) is being answered: its keys are its own
        if not isinstance(obj, QWidget):
            return False  # the window hands it on to the widget with the focus: hold it there
        key, text = event.key(), event.text()
        now = time.monotonic()
        if key in _ENTER and self._keys:
            start = self._paused_start(now) if self._burst is not None else None
            if start is None:
                start = self._scan_start(now)
            if start is not None:
                burst = "".join(k[3] for k in self._keys[start:])
                self._keys = self._keys[:start]
                self.give_back()  # what a person typed just before the scan stays where it was typed
                self.scanned.emit(burst)
                return True
            self.give_back()  # a person's Enter (or a burst that reads as nothing): typed, then Enter
            return False
        if key in _MODIFIER_KEYS:
            return False  # Shift (AltGr…) before a character: the burst goes on
        if _group_separator(event):
            if not self._keys:
                return False  # not inside a burst: the key is the field's own
            self._hold(obj, key, event.modifiers(), GS, now)
            return True
        if event.modifiers() & _HELD_MODIFIERS or not text or not text.isprintable():
            if self._keys:
                self.give_back()
            return False
        self._hold(obj, key, event.modifiers(), text, now)
        return True

    def _hold(self, obj: QWidget, key: int, modifiers: Qt.KeyboardModifier, text: str, now: float) -> None:
        """Hold one key; once the fast run ending here is `min_length` keys long, a burst is under way
        and the held keys wait up to `pause_ms` (not `gap_ms`) for more."""
        self._keys.append((obj, key, modifiers, text, now))
        if self._burst is None:
            keys, gap, first = self._keys, self.gap_ms / 1000, len(self._keys) - 1
            while first > 0 and keys[first][4] - keys[first - 1][4] <= gap:
                first -= 1
            if len(keys) - first >= self.min_length:
                self._burst = first
        self._flush.start(self.pause_ms if self._burst is not None else self.gap_ms)

    def _paused_start(self, now: float) -> int | None:
        """Where a burst that paused (within `pause_ms`) begins, when its keys from there read as a code."""
        keys, first = self._keys, self._burst
        if first is None or len(keys) - first < self.min_length or now - keys[-1][4] > self.pause_ms / 1000:
            return None
        for start in range(first, len(keys) - self.min_length + 1):
            if self.recognise("".join(k[3] for k in keys[start:])):
                return start
        return None

    def _secret_key(self, field: QLineEdit, event: QKeyEvent) -> bool:
        """Keys typed into a PIN or passphrase field stay there, however fast; but a card or a box
        scanned while such a field has the focus (a patient's card at the lock screen) is not submitted
        as a PIN — it would cost one of the token's tries: the field is emptied and its Enter dropped."""
        now = time.monotonic()
        if event.key() in _ENTER:
            times, self._secret = self._secret, []
            fast = (
                len(times) >= self.min_length
                and now - times[-1] <= self.gap_ms / 1000
                and all(b - a <= self.gap_ms / 1000 for a, b in itertools.pairwise(times))
            )
            if fast and self.recognise(field.text()):
                field.clear()
                return True
            return False
        if event.text() and event.text().isprintable():
            if self._secret and now - self._secret[-1] > self.gap_ms / 1000:
                self._secret = []
            self._secret.append(now)
        return False

    def _scan_start(self, now: float) -> int | None:
        """Where a scan begins among the held keys, this Enter ending it: the earliest key from which
        every key (and the Enter) came faster than a person types, at least `min_length` keys that read
        as a code. Keys a person typed just before (even within `gap_ms` of the burst) are not part of
        it when the rest reads as a code without them. None: no scan."""
        keys, gap = self._keys, self.gap_ms / 1000
        if len(keys) < self.min_length or now - keys[-1][4] > gap:
            return None
        first = len(keys) - 1
        while first > 0 and keys[first][4] - keys[first - 1][4] <= gap:
            first -= 1
        for start in range(first, len(keys) - self.min_length + 1):
            if self.recognise("".join(k[3] for k in keys[start:])):
                return start
        return None

    def give_back(self) -> None:
        """Deliver the held keys to the widgets they were typed into, in order."""
        self._flush.stop()
        keys, self._keys, self._burst = self._keys, [], None
        self._replaying = True
        try:
            for widget, key, modifiers, text, _at in keys:
                if not shiboken6.isValid(widget):
                    continue
                QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key, modifiers, text))
                QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyRelease, key, modifiers, text))
        finally:
            self._replaying = False


__all__ = ["ScanDetector", "Scanned", "read_scan"]
