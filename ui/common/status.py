"""The status light: online or offline (as this window's own probe found it), what is queued and since
when, what needs a person, the last success. Never a dialog, never a wait: an outage changes this light and
nothing else. Clicking it opens the sync panel."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel

from ui.common.operations import Changes
from ui.common.sync import sync_status

if TYPE_CHECKING:
    from ui.common.host import Host
    from ui.common.sync import SyncController

#: state → (colour, words key)
LIGHTS = {
    "online": ("#2e7d32", "light_online"),
    "offline": ("#c62828", "light_offline"),
    "checking": ("#757575", "light_checking"),
    "off": ("#757575", "light_off"),
    "unconfigured": ("#ef6c00", "light_unconfigured"),
}


class SyncLight(QLabel):
    clicked = Signal()

    def __init__(self, host: Host, controller: SyncController, interval_ms: int = 15000) -> None:
        super().__init__()
        self.host, self.controller = host, controller
        self.status: Any = None
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.timer = QTimer(self, interval=interval_ms)  # ages move on even when nothing changes
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        controller.state_changed.connect(self.show_state)
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.show_state)
        self.show_state()
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if changes.outbox or changes.connection or changes.any_prescription:
            self.refresh()

    def refresh(self) -> None:
        if getattr(self.host.tasks, "_closed", False):
            self.timer.stop()  # the window is closing: nothing more to show
            return
        sync_status(self.host.ws).success(self._loaded).failure(lambda _exc: None).run(self.host)

    def _loaded(self, status: Any) -> None:
        self.status = status
        self.show_state()

    def show_state(self) -> None:
        w, state = self.host.words, self.controller.state
        color, key = LIGHTS[state]
        parts = [f"● {w(key)}"]
        st = self.status
        if st is not None:
            parts.append(w("light_queued", n=st.counts.get("pending", 0)))
            if st.oldest_pending_age_s is not None:
                parts.append(w("light_oldest", age=w.age(st.oldest_pending_age_s)))
            if st.attention:
                parts.append(w("light_attention", n=len(st.attention)))
            if st.last_success:
                parts.append(
                    w("light_last_success", when=w.datetime(dt.datetime.fromisoformat(st.last_success)))
                )
        self.setText(" — ".join(parts))
        self.setToolTip(self.controller.reason)
        self.setStyleSheet(f"color: {color}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)


__all__ = ["SyncLight"]
