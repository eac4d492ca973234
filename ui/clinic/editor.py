"""Writing a prescription, in a tab of the main window: the patient, the drugs, the rules, sign and send.

Nothing here waits for the network: the rules check falls back to the local estimate offline, and signing
queues the prescription locally (`ui.clinic.operations`, the same use cases as `noskhe rx create`). The
GP's PIN was given at login; the facility seal's secret, if it is asked, comes in a dialog. A failed
signature keeps everything typed and the draft; signing again signs that draft. Escape asks before throwing
away what was typed; a lock of the window keeps it all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.costs import total_of
from app.domain import Prescription
from app.errors import NoskheError
from app.services.prescribing import price_items
from ui.clinic import operations as ops
from ui.clinic.findings import FindingsPanel
from ui.clinic.items import DrugSearch, ItemTable
from ui.clinic.patient import PatientPanel

if TYPE_CHECKING:
    from sync.checking import RulesCheck
    from ui.common.host import Host

ERROR_STYLE = "color: #b00020"


class PrescriptionEditor(QWidget):
    """A new prescription, or a new version of `rx` (its patient fixed). `signed(rx)` once it is signed
    and queued; `close_requested` when the GP closes it (after confirming, if anything was typed)."""

    signed = Signal(object)
    close_requested = Signal()
    title_changed = Signal()

    def __init__(self, host: Host, rx: Prescription | None = None) -> None:
        super().__init__()
        self.host = host
        self.editing = rx
        self.draft_id: str | None = None
        self.prescription: Prescription | None = None
        self.busy = False
        self.patient = PatientPanel(host)
        self.search = DrugSearch(host)
        self.items = ItemTable(host)
        self.total = QLabel()
        self.hint = QLabel(wordWrap=True)  # a number typed past its limit: the limit, said
        self.hint.setStyleSheet("color: #8a5300")
        self.hint.hide()
        self._hint_timer = QTimer(self, singleShot=True, interval=10000)
        self._hint_timer.timeout.connect(self.hint.hide)
        self.notes = QLineEdit()
        self.findings = FindingsPanel(host)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold")
        buttons = QDialogButtonBox()
        self.check_button = QPushButton()
        self.sign_button = QPushButton()
        self.sign_button.setDefault(True)
        self.close_button = QPushButton()
        buttons.addButton(self.sign_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.title)
        top_layout.addWidget(self.patient)
        top_layout.addWidget(self.search)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.items)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        notes_row = QHBoxLayout()
        self.notes_label = QLabel()
        notes_row.addWidget(self.notes_label)
        notes_row.addWidget(self.notes, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.total)
        layout.addLayout(notes_row)
        layout.addWidget(self.findings)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self.search.picked.connect(self.add_drug)
        self.items.changed.connect(self._content_changed)
        self.items.notice.connect(self.show_hint)
        self.patient.changed.connect(self._content_changed)
        self.patient.changed.connect(self.title_changed)
        self.patient.coverage_changed.connect(self.reprice)
        self.notes.textChanged.connect(self._update_buttons)
        self.findings.changed.connect(self._update_buttons)
        self.check_button.clicked.connect(self.check)
        self.sign_button.clicked.connect(self.sign)
        self.close_button.clicked.connect(self.request_close)
        for keys, slot in (
            (Qt.Key.Key_Escape, self.request_close),
            ("F7", self.check),
            ("Ctrl+Return", self.sign),
            ("Ctrl+Enter", self.sign),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        host.language_changed.connect(self.retranslate)
        if rx is not None:
            self.patient.fix(rx.patient, rx.hid)
            for item in rx.items:
                self.items.add(
                    item.drug_code, item.drug_name, item.quantity, item.instructions, item.repeats, item.days
                )
            self.notes.setText(rx.notes)
            self.findings.clear()
            self.findings.reason.setText(rx.override_reason)  # kept: shown again if the rules still say no
        self.setFocusProxy(self.patient if rx is None else self.search)
        self.retranslate()

    # ---- words ------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        w = self.host.words
        self.title.setText(w("edit_rx_title", id=self.editing.id[-8:]) if self.editing else w("new_rx"))
        self.notes_label.setText(w("notes"))
        self.check_button.setText(w("check_rules") + " (F7)")
        self.sign_button.setText(w("sign_and_send"))
        self.close_button.setText(w("close"))
        self.reprice()

    @property
    def tab_title(self) -> str:
        w = self.host.words
        name = self.patient.display_name()
        base = w("edit_rx") if self.editing else w("new_rx")
        return f"{base}: {w.isolated(name)}" if name else base

    # ---- content ----------------------------------------------------------------------------------

    def add_drug(self, code: str) -> None:
        drug = self.host.ws.store.catalog.get(code)
        if drug is not None:
            self.items.add(drug.code, drug.label_fa if self.host.words.lang == "fa" else drug.label_en)

    def _content_changed(self) -> None:
        self.findings.clear()  # what the rules said was about another prescription
        self.reprice()

    def reprice(self) -> None:
        """The local cost split per line and in total, from the price list and the insurer's rules."""
        w = self.host.words
        try:
            priced = price_items(
                self.host.ws.store, self.patient.patient(for_pricing=True), self.items.requests()
            )
        except NoskheError as exc:
            self.total.setText(w.message(exc))
        else:
            pending = {row for row, code in enumerate(self.items.codes) if not self._priced(code)}
            self.items.set_costs(priced, pending)
            total = total_of(it for row, it in enumerate(priced) if row not in pending)
            money = {"insurer": w.rials(total.insurer), "patient": w.rials(total.patient)}
            if pending and len(pending) == len(priced):
                self.total.setText(w("rx_total_pending"))
            elif pending:
                self.total.setText(w("rx_total_some_pending", n=len(pending), **money))
            else:
                self.total.setText(w("rx_total", **money))
        self._update_buttons()

    def _priced(self, code: str) -> bool:
        """Whether the price list has a price for drug `code` (none before the first reference refresh)."""
        drug = self.host.ws.store.catalog.get(code)
        return drug is not None and drug.price > 0

    def _update_buttons(self) -> None:
        ready = self.patient.ready and bool(self.items.codes) and not self.busy
        self.check_button.setEnabled(ready)
        self.sign_button.setEnabled(ready and not self.findings.blocked)

    def dirty(self) -> bool:
        """True when closing would throw away something typed and not signed."""
        if self.prescription is not None:
            return False
        return self.patient.text_typed() or bool(self.items.codes) or bool(self.notes.text().strip())

    # ---- rules, signing ---------------------------------------------------------------------------

    def check(self, *, then_sign: bool = False) -> None:
        """Ask the rules (offline: the local estimate); with `then_sign`, sign right after when nothing
        stops it."""
        if not self.check_button.isEnabled():
            return
        try:
            patient = self.patient.patient()
        except NoskheError as exc:
            self.show_error(self.host.words.message(exc))
            return
        self._busy(True)
        ops.check_rules(self.host.ws, patient=patient, items=self.items.requests()).success(
            lambda result: self._checked(result, then_sign)
        ).failure(self._failed).with_progress(self.host.words("progress_rules")).run(self.host)

    def _checked(self, result: RulesCheck, then_sign: bool) -> None:
        self._busy(False)
        self.findings.show_check(result)
        self.items.mark(result.findings)
        if result.rejected and result.overridable:
            self.findings.reason.setFocus()
        self._update_buttons()
        if then_sign:
            self.sign()

    def sign(self) -> None:
        """Sign and send: the rules first (once per content; a rejection that allows it needs the GP's
        reason), then eligibility, the rules again, the signatures and the queue (`write_prescription`).
        Any failure keeps what was typed."""
        if self.busy or not self.sign_button.isEnabled():
            return
        self.error.hide()
        if not self.findings.checked:
            self.check(then_sign=True)
            return
        if self.findings.blocked:
            self.show_error(self.host.words("rules_block"))
            return
        missing = self.findings.missing_reason()
        if missing is not None:
            self.show_error(self.host.words("override_needed"))
            missing.setFocus()
            return
        try:
            patient = self.patient.patient()
        except NoskheError as exc:
            self.show_error(self.host.words.message(exc))
            return
        ws, requests, notes = self.host.ws, self.items.requests(), self.notes.text().strip()
        reason = self.findings.override_reason()
        if self.editing is not None:
            op = ops.edit_prescription(
                ws, self.editing.id, items=requests, notes=notes, override_reason=reason
            )
        else:
            op = ops.write_prescription(
                ws,
                patient=patient,
                items=requests,
                notes=notes,
                draft_id=self.draft_id,
                override_reason=reason,
            )
        self._busy(True)
        op.success(self._signed).failure(self._failed).with_progress(self.host.words("progress_signing")).run(
            self.host
        )

    def _signed(self, rx: Prescription) -> None:
        self._busy(False)
        self.prescription = rx
        self.signed.emit(rx)

    def _failed(self, exc: Exception) -> None:
        self._busy(False)
        w = self.host.words
        details = getattr(exc, "details", {}) or {}
        draft = str(details.get("draft_id") or "")
        self.draft_id = draft or self.draft_id
        if getattr(exc, "code", "") == "rules-rejected":  # the rules at signing said no: show why, inline
            from sync.checking import RulesCheck

            findings = list(details.get("findings") or [])
            self.findings.show_check(
                RulesCheck(findings, {}, True, overridable=bool(details.get("overridable")), answer={})
            )
            self.items.mark(findings)
        text = w.message(exc)
        self.show_error(text + (f" {w('draft_kept')} \u2066{draft}\u2069" if draft else ""))

    def _busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_buttons()

    def show_hint(self, text: str) -> None:
        """A note about what was just typed (a number past its limit), shown for a few seconds."""
        self.hint.setText(text)
        self.hint.show()
        self._hint_timer.start()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    # ---- closing ----------------------------------------------------------------------------------

    def request_close(self) -> None:
        """Close, asking first when something typed would be lost."""
        if self.busy:
            return
        if self.dirty() and not self.confirm_discard():
            return
        self.close_requested.emit()

    def confirm_discard(self) -> bool:
        """Ask the GP before throwing away a half-written prescription. Tests replace this."""
        w = self.host.words
        box = QMessageBox(QMessageBox.Icon.Question, w("discard_title"), w("discard_question"), parent=self)
        discard = box.addButton(w("discard"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(w("keep_writing"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is discard


__all__ = ["PrescriptionEditor"]
