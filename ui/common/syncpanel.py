"""The sync panel: where the queue stands (counts, oldest item, last success, reference data ages) and the
items that need a person, each with the exchange's reason and what to do — fix the prescription and send
it again (open it), acknowledge, or re-queue."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.common import sync as sync_ops
from ui.common.operations import Changes, Op
from ui.common.tables import fill, read_only_table, row_key

if TYPE_CHECKING:
    from app.workstation import Workstation
    from ui.common.host import Host
    from ui.common.sync import SyncController

COLUMNS = ("col_since", "col_op", "col_state", "col_subject", "col_reason", "col_action")
WORDY = (4, 5)  # the reason and what to do: wrapped, and whole in the cell's tooltip


def subjects_of(ws: Workstation, items: list[dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
    """Outbox subject (`rx:<id>`, `disp:<id>`) → (prescription id, tracking code or "", patient's name) for
    the attention items whose prescription this store keeps; read from the store."""
    from app.errors import NotFound

    out: dict[str, tuple[str, str, str]] = {}
    for it in items:
        kind, _, key = str(it["subject"]).partition(":")
        try:
            rx_id = ws.store.get_dispensing(key).prescription_id if kind == "disp" else key
            if kind not in ("disp", "rx"):
                continue
            rx = ws.store.get_prescription(rx_id)
        except NotFound:
            continue
        out[str(it["subject"])] = (rx.id, rx.tracking_code or "", rx.patient.full_name)
    return out


def status_and_subjects(ws: Workstation) -> Op[tuple[Any, dict[str, tuple[str, str, str]]]]:
    """The sync status (`ui.common.sync.sync_status`) with what each attention item is about."""
    from sync.status import sync_status

    def work() -> tuple[Any, dict[str, tuple[str, str, str]]]:
        st = sync_status(ws.store)
        return st, subjects_of(ws, list(st.attention))

    return Op(work)


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
        self.table.setWordWrap(True)
        self.table.doubleClicked.connect(lambda _i: self._open())
        self.subjects: dict[str, tuple[str, str, str]] = {}
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
        status_and_subjects(self.host.ws).success(self._loaded).run(self.host)

    def _loaded(self, got: tuple[Any, dict[str, tuple[str, str, str]]]) -> None:
        self.status, self.subjects = got
        self.items = list(self.status.attention)
        self._show()

    def subject_text(self, subject: str) -> str:
        """What an item is about, as a person knows it: the prescription's tracking code and patient (a
        dispensing's too), else the outbox's own subject."""
        w = self.host.words
        known = self.subjects.get(subject)
        if known is None:
            return subject
        _rx, tracking, patient = known
        kind = (
            w("ph_sync_subject_dispensing")
            if subject.startswith("disp:")
            else w("ph_sync_subject_prescription")
        )
        return w.text(f"{kind} {w.number(tracking) if tracking else '—'} — {patient}")

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
                    self.subject_text(str(it["subject"])),
                    w.pick(it.get("reason_fa"), it.get("reason_en")),
                    w.pick(it.get("action_fa"), it.get("action_en")),
                ]
                for it in self.items
            ],
            [it["id"] for it in self.items],
        )
        for r in range(self.table.rowCount()):
            for c in WORDY:
                cell = self.table.item(r, c)
                if cell is not None:
                    cell.setToolTip(cell.text())
        self.table.resizeRowsToContents()
        self._update_buttons()

    def selected(self) -> dict[str, Any] | None:
        key = row_key(self.table)
        return next((it for it in self.items if it["id"] == key), None)

    def _update_buttons(self) -> None:
        item = self.selected()
        for b in (self.ack_button, self.requeue_button):
            b.setEnabled(item is not None)
        self.open_button.setEnabled(item is not None and self._prescription_of(item) is not None)
        self.sync_button.setEnabled(self.controller.running)

    def _act(self, op: Any) -> None:
        item = self.selected()
        if item is not None:
            op(self.host.ws, item["id"]).run(self.host)

    def _prescription_of(self, item: dict[str, Any]) -> str | None:
        subject = str(item["subject"])
        known = self.subjects.get(subject)
        if known is not None:
            return known[0]
        return subject[3:] if subject.startswith("rx:") else None

    def _open(self) -> None:
        """The prescription the selected item is about (a dispensing's: at the counter)."""
        item = self.selected()
        rx_id = self._prescription_of(item) if item is not None else None
        if rx_id is not None:
            self.open_requested.emit(rx_id)


__all__ = ["SyncPanel"]
