"""The status light: online or offline, what is queued, what needs a person. Never a dialog, never a wait:
the exchange being down changes this light and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

from ui.i18n import Words
from ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.store import Store

_LIGHT = {True: ("#2e7d32", "برخط", "online"), False: ("#c62828", "برون‌خط", "offline"), None: ("#757575", "نامشخص", "unknown")}


class SyncLight(QLabel):
    def __init__(self, store: Store, words: Words, tasks: TaskRunner, interval_ms: int = 5000) -> None:
        super().__init__()
        self.store, self.w, self.tasks = store, words, tasks
        self.status: Any = None
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self) -> None:
        from sync.status import sync_status

        self.tasks.run(lambda: sync_status(self.store), self._show, lambda exc: None)

    def _show(self, status: Any) -> None:
        self.status = status
        color, fa, en = _LIGHT[status.online]
        pending = status.counts.get("pending", 0)
        attention = len(status.attention)
        if self.w.lang == "fa":
            text = f"● {fa} — در صف ارسال: {self.w.number(pending)} — نیازمند رسیدگی: {self.w.number(attention)}"
        else:
            text = f"● {en} — queued: {pending} — needs attention: {attention}"
        self.setText(text)
        self.setStyleSheet(f"color: {color}")
