"""The sync panel: where the queue stands (counts, oldest item, last success, reference data ages) and the
items that need a person, each with the exchange's reason and what to do — fix the prescription and send
it again (open it), acknowledge, or re-queue."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.common import sync as sync_ops
from ui.common.operations import Changes
from ui.common.tables import fill, read_only_table, row_key

if TYPE_CHECKING:
    from ui.common.host import Host
    from ui.common.sync import SyncController

COLUMNS = ("col_since", "col_op", "col_state", "col_subject", "col_reason", "col_action")


class SyncPanel(QWidget):
    """`open_requested(rx_id)` when the GP opens the prescription an item is about (to fix and resend)."""

    open_requested = Signal(str)
    close_requested = Signal()

    def __init__(self, host: Host, controller: SyncController) -> None:
        super().__init__()
        self.host, self.controller = host, controller
        self.summary = QLabel(wordWrap=True)
        self.reference = QLabel(wordWrap=True)
        self.attention_label = QLabel()
        self.table = read_only_table(len(COLUMNS))
        self.sync_button = QPushButton()
        self.open_button = QPushButton()
        self.ack_button = QPushButton()
        self.requeue_button = QPushButton()
        self.close_button = QPushButton()
        buttons = QHBoxLayout()
        for b in (self.sync_button, self.open_button, self.ack_button, self.requeue_button):
            buttons.addWidget(b)
        buttons.addStretch()
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.reference)
        layout.addWidget(self.attention_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.items: list[dict[str, Any]] = []
        self.status: Any = None
        self.sync_button.clicked.connect(lambda: controller.drain(progress=True))
        self.open_button.clicked.connect(self._open)
        self.ack_button.clicked.connect(lambda: self._act(sync_ops.acknowledge))
        self.requeue_button.clicked.connect(lambda: self._act(sync_ops.requeue))
        self.close_button.clicked.connect(self.close_requested)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.retranslate)
        controller.state_changed.connect(self._show)
        self.retranslate()
        self.refresh()

    @property
    def tab_title(self) -> str:
        return self.host.words("sync_panel")

    def retranslate(self) -> None:
        w = self.host.words
        self.sync_button.setText(w("sync_now") + " (F5)")
        self.open_button.setText(w("fix_and_resend"))
        self.ack_button.setText(w("acknowledge"))
        self.requeue_button.setText(w("requeue"))
        self.close_button.setText(w("close"))
        self.table.setHorizontalHeaderLabels([w(k) for k in COLUMNS])
        self._show()

    def _on_changes(self, changes: Changes) -> None:
        if changes.outbox or changes.connection or changes.reference or changes.any_prescription:
            self.refresh()

    def refresh(self) -> None:
        sync_ops.sync_status(self.host.ws).success(self._loaded).run(self.host)

    def _loaded(self, status: Any) -> None:
        self.status = status
        self.items = list(status.attention)
        self._show()

    def _show(self) -> None:
        w, st = self.host.words, self.status
        state = w("light_" + self.controller.state)
        if st is None:
            self.summary.setText(state)
            return
        last = w.datetime(dt.datetime.fromisoformat(st.last_success)) if st.last_success else "—"
        text = w(
            "sync_summary",
            state=state,
            queued=st.counts.get("pending", 0),
            oldest=w.age(st.oldest_pending_age_s),
            last=last,
            done=st.counts.get("done", 0),
        )
        if self.controller.reason:
            text += " — " + self.controller.reason
        self.summary.setText(text)
        ages = []
        for kind, ref in st.reference.items():
            age = w.age(ref.get("age_s")) if ref.get("fetched_at") else w("never")
            ages.append(
                w("reference_age", kind=w("ref_" + kind), age=age)
                + (f" ({w('stale')})" if ref.get("stale") else "")
            )
        self.reference.setText(" — ".join(ages))
        self.attention_label.setText(
            w("attention_count", n=len(self.items)) if self.items else w("nothing_needs_attention")
        )
        fill(
            self.table,
            [
                [
                    w.datetime(it.get("since")),
                    w("op_" + str(it["op"])),
                    w("outbox_" + str(it["state"])),
                    it["subject"],
                    w.pick(it.get("reason_fa"), it.get("reason_en")),
                    w.pick(it.get("action_fa"), it.get("action_en")),
                ]
                for it in self.items
            ],
            [it["id"] for it in self.items],
        )
        self._update_buttons()

    def selected(self) -> dict[str, Any] | None:
        key = row_key(self.table)
        return next((it for it in self.items if it["id"] == key), None)

    def _update_buttons(self) -> None:
        item = self.selected()
        for b in (self.ack_button, self.requeue_button):
            b.setEnabled(item is not None)
        self.open_button.setEnabled(item is not None and str(item["subject"]).startswith("rx:"))
        self.sync_button.setEnabled(self.controller.running)

    def _act(self, op: Any) -> None:
        item = self.selected()
        if item is not None:
            op(self.host.ws, item["id"]).run(self.host)

    def _open(self) -> None:
        item = self.selected()
        if item is not None and str(item["subject"]).startswith("rx:"):
            self.open_requested.emit(str(item["subject"])[3:])


__all__ = ["SyncPanel"]
