"""Progress for long work: a busy bar and what is happening, in the status bar, while an op runs.

Ops ask for it with `with_progress(label)`; several may run at once (a drain on the network lane, a list on
the store lane): the newest label is shown until the last one finishes. Never modal: the window stays usable.
"""

from __future__ import annotations

import itertools

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget


class ProgressIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: no known end
        self.bar.setMaximumWidth(120)
        self.bar.setMaximumHeight(14)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self._ids = itertools.count(1)
        self._running: dict[int, str] = {}
        self.hide()

    def start(self, label: str) -> int:
        """Show `label` with a busy bar; returns a token for `finish`."""
        token = next(self._ids)
        self._running[token] = label
        self._show()
        return token

    def finish(self, token: int) -> None:
        self._running.pop(token, None)
        self._show()

    @property
    def running(self) -> list[str]:
        return list(self._running.values())

    def _show(self) -> None:
        if self._running:
            self.label.setText(list(self._running.values())[-1])
            self.show()
        else:
            self.label.clear()
            self.hide()


__all__ = ["ProgressIndicator"]
