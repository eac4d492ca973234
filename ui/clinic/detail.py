"""One prescription as it stands: who, what, its state, HID and tracking code, what the exchange answered
(cost, rules findings), and its history on the way to the exchange (each outbox item, its state and the
exchange's reason). From here the GP prints, edits or cancels it (until it is dispensed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.lifecycle import RxState
from ui.clinic import operations as ops
from ui.common.operations import Changes
from ui.common.prescriptions import state_name
from ui.common.tables import fill, leading, read_only_table

if TYPE_CHECKING:
    from app.domain import PrescriptionItem
    from app.services.records import PrescriptionRecord
    from ui.common.host import Host

ITEM_COLUMNS = (
    "col_drug",
    "col_quantity",
    "col_repeats",
    "col_days",
    "col_instructions",
    "col_insurer_share",
    "col_patient_share",
)
OUTBOX_COLUMNS = ("col_op", "col_version", "col_state", "col_attempts", "col_reason")
_CHANGEABLE = (RxState.DRAFT, RxState.SIGNED, RxState.QUEUED, RxState.REGISTERED, RxState.REJECTED)


class PrescriptionDetail(QWidget):
    """`print_requested(rx_id)`, `save_requested(rx_id)`, `edit_requested(rx)`, `cancel_requested(rx)`,
    `close_requested()`."""

    print_requested = Signal(str)
    save_requested = Signal(str)
    edit_requested = Signal(object)
    cancel_requested = Signal(object)
    close_requested = Signal()
    title_changed = Signal()

    def __init__(self, host: Host, rx_id: str, *, prescriber: bool = True) -> None:
        super().__init__()
        self.host, self.rx_id, self.prescriber = host, rx_id, prescriber
        self.record: PrescriptionRecord | None = None
        self.cost: ops.CostShown | None = None
        self.heading = QLabel(wordWrap=True)
        self.heading.setStyleSheet("font-weight: bold")
        self.fields = QFormLayout()
        self.items = read_only_table(len(ITEM_COLUMNS))
        self.exchange = QLabel(wordWrap=True)
        self.cost_label = QLabel(wordWrap=True)
        self.cost_label.setStyleSheet("font-weight: bold")
        self.history = read_only_table(len(OUTBOX_COLUMNS))
        self.history_label = QLabel()
        buttons = QDialogButtonBox()
        self.print_button = QPushButton()
        self.save_button = QPushButton()
        self.edit_button = QPushButton()
        self.cancel_button = QPushButton()
        self.close_button = QPushButton()
        for b in (self.print_button, self.save_button, self.edit_button, self.cancel_button):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.fields)
        layout.addWidget(self.items, 1)
        layout.addWidget(self.cost_label)
        layout.addWidget(self.exchange)
        layout.addWidget(self.history_label)
        layout.addWidget(self.history, 1)
        for table in (self.items, self.history):
            table.setMinimumHeight(110)
        layout.addWidget(buttons)
        self.print_button.clicked.connect(lambda: self.print_requested.emit(self.rx_id))
        self.save_button.clicked.connect(lambda: self.save_requested.emit(self.rx_id))
        self.edit_button.clicked.connect(
            lambda: self.record and self.edit_requested.emit(self.record.prescription)
        )
        self.cancel_button.clicked.connect(
            lambda: self.record and self.cancel_requested.emit(self.record.prescription)
        )
        self.close_button.clicked.connect(self.close_requested)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.close_requested)
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        w = self.host.words
        self.print_button.setText(w("print") + " (Ctrl+P)")
        self.save_button.setText(w("save_pdf"))
        self.edit_button.setText(w("edit_rx"))
        self.cancel_button.setText(w("cancel_rx"))
        self.close_button.setText(w("close"))
        self.items.setHorizontalHeaderLabels([w(k) for k in ITEM_COLUMNS])
        self.history.setHorizontalHeaderLabels([w(k) for k in OUTBOX_COLUMNS])
        self.history_label.setText(w("history"))
        if self.record is not None:
            self._show(self.record)

    @property
    def tab_title(self) -> str:
        rx = self.record.prescription if self.record else None
        w = self.host.words
        return f"{w('rx')}: {w.isolated(rx.patient.full_name)}" if rx else w("rx")

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches(self.rx_id):
            self.refresh()

    def refresh(self) -> None:
        """The prescription, then its cost, shown together (never a new state beside an old split)."""
        ops.show_prescription(self.host.ws, self.rx_id).success(self._then_cost).run(self.host)

    def _then_cost(self, record: PrescriptionRecord) -> None:
        def both(cost: ops.CostShown) -> None:
            self.cost = cost
            self._show(record)

        ops.prescription_cost(self.host.ws, self.rx_id).success(both).run(self.host)

    def _cost_text(self, cost: ops.CostShown) -> str:
        """The split shown: the exchange's once it answered (with the estimate beside it when they
        differ), else the local estimate — or "pending" while a line has no price yet."""
        w, s = self.host.words, cost.settlement
        if s.exchange is None:
            if cost.pending:
                return w("rx_total_pending")
            return w(
                "cost_estimate", insurer=w.rials(s.estimate.insurer), patient=w.rials(s.estimate.patient)
            )
        text = w("cost_exchange", insurer=w.rials(s.exchange.insurer), patient=w.rials(s.exchange.patient))
        if s.differs:
            was = w(
                "cost_estimate_was", insurer=w.rials(s.estimate.insurer), patient=w.rials(s.estimate.patient)
            )
        else:
            was = w("cost_same_as_estimate")
        return f"{text} ({was})"

    def _show(self, record: PrescriptionRecord) -> None:
        self.record = record
        w, rx = self.host.words, record.prescription
        self.heading.setText(f"{w.isolated(rx.patient.full_name)} — {state_name(w, rx.state)}")
        while self.fields.rowCount():
            self.fields.removeRow(0)
        rows = [
            ("patient_id", f"{w('id_' + rx.patient.id.kind)}: {w.code(rx.patient.id.value)}"),
            ("prescribed_at", w.datetime(rx.prescribed_at)),
            ("prescriber", w.isolated(f"{rx.prescriber.name} ({rx.prescriber.medical_council_number})")),
            ("col_tracking", w.code(rx.tracking_code) if rx.tracking_code else "—"),
            ("hid", w.code(rx.hid) if rx.hid else w("hid_pending")),
            ("version", w.number(rx.version)),
            ("col_id", rx.id),
        ]
        if rx.notes:
            rows.append(("notes", w.text(rx.notes)))
        for key, value in rows:
            label = QLabel(value, wordWrap=True)
            label.setAlignment(leading())
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields.addRow(w(key), label)
        fill(
            self.items,
            [
                [
                    w.text(it.drug_name),
                    w.number(it.quantity),
                    w.number(it.repeats),
                    w.number(it.days) if it.days else "—",
                    w.instructions(it.instructions),
                    *self._line_cost(it),
                ]
                for it in rx.items
            ],
        )
        self.cost_label.setText(self._cost_text(self.cost) if self.cost is not None else "")
        self.exchange.setText(self._exchange_text(record))
        fill(
            self.history,
            [
                [
                    w("op_" + line.op),
                    w.number(line.version),
                    w("outbox_" + line.state),
                    w.number(line.attempts),
                    w.pick(line.reason_fa, line.reason_en) if line.reason_en or line.reason_fa else "",
                ]
                for line in record.outbox
            ],
        )
        changeable = self.prescriber and rx.state in _CHANGEABLE
        self.edit_button.setEnabled(changeable)
        self.cancel_button.setEnabled(changeable)
        self.print_button.setEnabled(rx.state is not RxState.CANCELLED and rx.state is not RxState.DRAFT)
        self.save_button.setEnabled(self.print_button.isEnabled())
        self.title_changed.emit()

    def _line_cost(self, item: PrescriptionItem) -> list[str]:
        w, cost = self.host.words, self.cost
        if cost is not None and item.line in cost.pending:
            return [w("cost_pending"), w("cost_pending")]
        split = cost.lines.get(item.line, item.cost) if cost is not None else item.cost
        return [w.rials(split.insurer), w.rials(split.patient)]

    def _exchange_text(self, record: PrescriptionRecord) -> str:
        """Eligibility (the HID, or why it is pending), the rules (whose, what they found, the split) and
        the registration, as kept for this prescription."""
        w, rx_id = self.host.words, record.prescription.id
        parts = []
        eligibility = record.exchange.get(f"rx:{rx_id}/eligibility")
        if isinstance(eligibility, dict):
            if eligibility.get("status") == "confirmed" or eligibility.get("hid"):
                parts.append(w("eligibility_confirmed", hid=str(eligibility.get("hid") or "—")))
            else:
                parts.append(
                    w(
                        "eligibility_pending",
                        reason=w.pick(eligibility.get("reason_fa"), eligibility.get("reason_en")),
                    )
                )
        rules = record.registration or record.exchange.get(f"rx:{rx_id}/rules")
        if isinstance(rules, dict):
            source = (
                "rules_by_exchange" if rules.get("source", "exchange") == "exchange" else "rules_by_local"
            )
            total = rules.get("total") or rules.get("cost")
            text = w(source)
            if isinstance(total, dict):
                text += " " + w(
                    "rules_total",
                    insurer=w.rials(int(total.get("insurer", 0))),
                    patient=w.rials(int(total.get("patient", 0))),
                )
            parts.append(text)
            reason = record.prescription.override_reason
            for f in rules.get("findings") or []:
                mark = ""
                if f.get("overridden"):  # with the reason the prescriber signed
                    mark = " " + (w("overridden_reason", reason=reason) if reason else w("overridden"))
                parts.append(
                    f"{w('level_' + str(f.get('level', 'advisory')))}: {w.pick(f.get('fa'), f.get('en'))}{mark}"
                )
        parts.append(self._state_line(record))
        return "\n".join(p for p in parts if p) or w("exchange_no_answer")

    def _state_line(self, record: PrescriptionRecord) -> str:
        """Where the prescription stands, following its state (never "registered" once cancelled)."""
        w, state = self.host.words, record.prescription.state
        if state is RxState.CANCELLED:
            sent = [line for line in record.outbox if line.op == "cancel"]
            if any(line.state == "done" for line in sent):
                return w("exchange_cancelled")
            return w("cancel_queued") if sent else w("cancelled_here")
        if state is RxState.REGISTERED:
            return w("exchange_registered")
        if state in (RxState.DRAFT, RxState.SIGNED, RxState.QUEUED):
            return ""  # nothing from the exchange yet (said when nothing else is known)
        return w("state_now", state=state_name(w, state))


__all__ = ["PrescriptionDetail"]
