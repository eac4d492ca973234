"""The counter for one prescription (national rules 9-2): the rules' findings before dispensing, each
line with what was dispensed and what remains, the packs scanned for it (the 16-digit TTAC code or a GS1
DataMatrix / Code 128 string) with TTAC's verdict — or "check queued" offline — an expired pack refused,
how many units to hand over now (the rest stays for later), the cost split (an estimate offline, the
exchange's when it answered), the payment id and POS terminal; then sign (the pharmacist's token and the
pharmacy's seal, asked through the workstation), and print the receipt (80 mm roll or A5, or a PDF).

Nothing here decides: the rules, the packs' check and the dispensing are `sync.counter`'s; the screen
collects what the pharmacist scanned and typed, and shows what came back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import NoskheError
from app.text import reason_of
from ui.common.operations import Changes
from ui.common.prescriptions import state_name
from ui.common.tables import leading, read_only_table
from ui.pharmacy import operations as ops
from ui.pharmacy.receipt import print_receipt, save_receipt
from ui.pharmacy.retrieve import prescriber_specialty, prescriber_text, sep

if TYPE_CHECKING:
    from app.domain import Prescription
    from app.packs import PackScan
    from app.services.checking import Verdict
    from sync.counter import DispenseResult, PackCheck
    from ui.common.host import Host

LINE_COLUMNS = (
    "ph_col_line",
    "col_drug",
    "ph_col_prescribed_qty",
    "ph_col_dispensed",
    "ph_col_remaining",
    "ph_col_now",
    "ph_col_packs",
    "ph_col_product",
)
PRODUCT_COLUMN = 7
FORM_LABELS = ("ph_ttac_reason", "ph_payment_id", "ph_pos_terminal", "ph_cost_split")
LEVEL_STYLE = {"rejection": "color: #b00020", "warning": "color: #8a6d00", "advisory": "color: #1565c0"}
PACK_STYLE = {"genuine": "#2e7d32", "queued": "#8a6d00"}
ERROR_STYLE = "color: #b00020"


@dataclass
class ScannedPack:
    """A pack scanned for `line`: what was read and, once back, TTAC's verdict (None while it is asked)."""

    line: int
    scan: PackScan
    check: PackCheck | None = None

    @property
    def accepted(self) -> bool:
        return self.check is not None and not self.check.refused


@dataclass
class CounterState:
    """What the pharmacist has done on this screen so far."""

    packs: list[ScannedPack] = field(default_factory=list)
    last: DispenseResult | None = None


class CounterView(QWidget):
    close_requested = Signal()
    title_changed = Signal()
    #: the pharmacist follows the conflict banner's link: open the conflicts panel
    attention_requested = Signal()

    def __init__(self, host: Host, rx_id: str) -> None:
        super().__init__()
        self.host, self.rx_id = host, rx_id
        self.rx: Prescription | None = None
        self.verdict: Verdict | None = None
        self.state = CounterState()
        self.busy = False
        self.heading = QLabel(wordWrap=True)
        self.heading.setStyleSheet("font-weight: bold; font-size: 15px")
        self.prescriber = QLabel(wordWrap=True)
        self.source = QLabel(wordWrap=True)
        self.source.setStyleSheet("color: #616161")
        self.conflict = QLabel(wordWrap=True)  # a dispensing of this prescription the exchange refused
        self.conflict.setStyleSheet(ERROR_STYLE + "; font-weight: bold")
        self.conflict.setTextFormat(Qt.TextFormat.RichText)
        self.conflict.linkActivated.connect(lambda _link: self.attention_requested.emit())
        self.conflict.hide()
        self.conflicts: list[Any] = []
        self.findings = QFrame()
        self.findings.setFrameShape(QFrame.Shape.StyledPanel)
        self.rules_summary = QLabel(wordWrap=True)
        self.rules_list = QLabel(wordWrap=True)
        box = QVBoxLayout(self.findings)
        box.addWidget(self.rules_summary)
        box.addWidget(self.rules_list)
        self.lines = read_only_table(len(LINE_COLUMNS))
        self.lines.setMinimumHeight(120)
        self.pack_field = QLineEdit()
        self.pack_field.returnPressed.connect(lambda: self.scan_pack(self.pack_field.text()))
        self.pack_label = QLabel()
        self.remove_pack = QPushButton()
        self.remove_pack.clicked.connect(self._remove_pack)
        pack_row = QHBoxLayout()
        pack_row.addWidget(self.pack_label)
        pack_row.addWidget(self.pack_field, 1)
        pack_row.addWidget(self.remove_pack)
        self.pack_list = QListWidget()
        self.pack_list.setMaximumHeight(110)
        self.form = QFormLayout()
        self.ttac_reason = QLineEdit()
        self.payment_id = QLineEdit()
        self.pos_terminal = QLineEdit()
        self.cost = QLabel(wordWrap=True)
        self.cost.setStyleSheet("font-weight: bold")
        self.form_labels = {key: QLabel() for key in FORM_LABELS}
        for key, widget in zip(
            FORM_LABELS, (self.ttac_reason, self.payment_id, self.pos_terminal, self.cost)
        ):
            self.form.addRow(self.form_labels[key], widget)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.result = QLabel(wordWrap=True)
        self.result.setStyleSheet("color: #2e7d32")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dispense_button = QPushButton()
        self.dispense_button.setDefault(True)
        self.dispense_button.clicked.connect(self.dispense)
        self.paper_size = QComboBox()
        self.paper_size.addItem("", True)
        self.paper_size.addItem("", False)
        self.print_button = QPushButton()
        self.print_button.clicked.connect(self.print_receipt)
        self.save_button = QPushButton()
        self.save_button.clicked.connect(self.save_receipt)
        self.close_button = QPushButton()
        self.close_button.clicked.connect(self.close_requested)
        self.release_button = QPushButton()
        self.release_button.clicked.connect(self.release)
        buttons = QHBoxLayout()
        buttons.addWidget(self.dispense_button)
        buttons.addWidget(self.release_button)
        buttons.addStretch()
        for b in (self.paper_size, self.print_button, self.save_button, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.prescriber)
        layout.addWidget(self.source)
        layout.addWidget(self.conflict)
        layout.addWidget(self.findings)
        layout.addWidget(self.lines, 1)
        layout.addLayout(pack_row)
        layout.addWidget(self.pack_list)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.result)
        layout.addLayout(buttons)
        self._preview_timer = QTimer(self, singleShot=True, interval=300)
        self._preview_timer.timeout.connect(self.check_rules)
        for keys, slot in (("Ctrl+Return", self.dispense), ("Ctrl+P", self.print_receipt)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        host.changes.changed.connect(self._on_changes)
        host.language_changed.connect(self.retranslate)
        self.retranslate()
        self._update_buttons()
        self.refresh()

    # ---- words --------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        w = self.host.words
        self.lines.setHorizontalHeaderLabels([w(k) for k in LINE_COLUMNS])
        self.pack_label.setText(w("ph_pack_scan"))
        self.pack_field.setPlaceholderText(w("ph_pack_scan_hint"))
        self.remove_pack.setText(w("ph_pack_remove"))
        for key, label in self.form_labels.items():
            label.setText(w(key))
        self.ttac_reason.setPlaceholderText(w("ph_ttac_reason_hint"))
        self.dispense_button.setText(w("ph_sign_dispense") + " (Ctrl+Enter)")
        self.paper_size.setItemText(0, w("ph_receipt_roll"))
        self.paper_size.setItemText(1, w("ph_receipt_a5"))
        self.print_button.setText(w("ph_print_receipt") + " (Ctrl+P)")
        self.save_button.setText(w("ph_save_receipt"))
        self.close_button.setText(w("close"))
        self.release_button.setText(w("ph_release_claim"))
        self.release_button.setToolTip(w("ph_release_claim_hint"))
        if self.rx is not None:
            self._show_rx(self.rx, keep_quantities=True)
        self._show_verdict()
        self._show_packs()

    @property
    def tab_title(self) -> str:
        w = self.host.words
        return w.text(f"{w('ph_counter')}: {self.rx.patient.full_name}") if self.rx else w("ph_counter")

    # ---- the prescription ---------------------------------------------------------------------------

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches(self.rx_id) and not self.busy:
            self.refresh()

    def refresh(self) -> None:
        ops.open_prescription(self.host.ws, self.rx_id).success(self._loaded).failure(self._failed).run(
            self.host
        )

    def _failed(self, exc: Exception) -> None:
        self._error(self.host.words.message(exc))

    def _conflicts_loaded(self, conflicts: list[Any]) -> None:
        rx_id = self.rx.id if self.rx is not None else self.rx_id
        self.conflicts = [
            c for c in conflicts if c.prescription_id in (rx_id, self.rx_id) and c.dispensing_id
        ]
        self._show_conflicts()

    def _show_conflicts(self) -> None:
        """The exchange refused a dispensing of this prescription: say so, who was first, and link the
        conflicts panel (a dispensing shown as done here is not this pharmacy's)."""
        w = self.host.words
        if not self.conflicts:
            self.conflict.hide()
            return
        rows = []
        for c in self.conflicts:
            who = c.facility_name or c.facility
            text = w("ph_counter_conflict", why=w.pick(c.reason_fa, c.reason_en))
            if who:
                text += " " + w("ph_claim_refused", pharmacy=who, when=w.datetime(c.at) if c.at else "—")
            rows.append(html(text))
        rows.append(f"<a href='attention'>{html(w('ph_counter_conflict_open'))}</a>")
        self.conflict.setText("<br>".join(rows))
        self.conflict.show()
        if self.state.last is not None and any(
            c.dispensing_id == self.state.last.dispensing.id for c in self.conflicts
        ):
            self.result.setStyleSheet(ERROR_STYLE)
            self.result.setText(w("ph_counter_conflict_result"))
        self._update_buttons()  # a refused dispensing has no receipt to print

    def _loaded(self, rx: Prescription) -> None:
        ops.conflicts(self.host.ws).success(self._conflicts_loaded).run(self.host)

        def shown(r: Prescription | None) -> tuple[object, ...]:
            return () if r is None else (r.version, r.state, r.dispensed, r.tracking_code, r.hid)

        if self.rx is not None and shown(rx) == shown(self.rx):
            return  # a drain touched every prescription: nothing here changed, the pharmacist's edits stay
        changed = self.rx is None or rx.dispensed != self.rx.dispensed or rx.state != self.rx.state
        self.rx_id = rx.id
        self._show_rx(rx, keep_quantities=not changed)
        if changed:
            self.check_rules()

    @property
    def offline(self) -> bool:
        """Dispense without the exchange: a paper copy it never registered, or the window is offline."""
        sync = self.host.sync
        online = sync is not None and sync.state == "online"
        return not online or self.rx is None or not self.rx.tracking_code

    def _show_rx(self, rx: Prescription, *, keep_quantities: bool) -> None:
        w = self.host.words
        old = {ln: q for ln, q in self.quantities().items()} if keep_quantities else {}
        self.rx = rx
        self.heading.setText(
            w.text(
                f"{rx.patient.full_name} — {w('id_' + rx.patient.id.kind)} {rx.patient.id.value} — "
                f"{state_name(w, rx.state)}"
            )
        )
        self.prescriber.setText(prescriber_text(w, rx, prescriber_specialty(self.host.ws, rx)))
        where = w("ph_source_exchange") if rx.tracking_code else w("ph_source_paper")
        codes = [where]
        if rx.tracking_code:
            codes.append(f"{w('col_tracking')}: {w.number(rx.tracking_code)}")
        if rx.hid:
            codes.append(f"{w('hid')}: {w.number(rx.hid)}")
        codes.append(f"{w('ph_col_prescribed')}: {w.datetime(rx.prescribed_at)}")
        self.source.setText(" — ".join(codes))
        products = {ln: self.product_of(ln) for ln in old}  # the products chosen stay with the quantities
        self.lines.blockSignals(True)
        self.lines.setRowCount(len(rx.items))
        align = leading()
        for r, it in enumerate(rx.items):
            left = rx.remaining(it.line)
            cells = [
                w.number(it.line),
                w.text(it.drug_name),
                w.number(it.quantity),
                w.number(rx.dispensed_of(it.line)),
                w.number(left),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(align)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, it.line)
                self.lines.setItem(r, c, item)
            if it.is_service:  # performed at a laboratory, imaging or physiotherapy centre: never dispensed
                self._show_service(r, it)
                continue
            spin = QSpinBox()
            spin.setRange(0, left)
            spin.setValue(min(old.get(it.line, left), left))
            spin.setEnabled(left > 0)
            spin.valueChanged.connect(lambda _v: self._preview_timer.start())
            self.lines.setCellWidget(r, 5, spin)
            self.lines.setItem(r, 6, QTableWidgetItem(""))
            self.lines.setCellWidget(
                r, PRODUCT_COLUMN, self._product_box(it, products.get(it.line), left > 0)
            )
        self.lines.blockSignals(False)
        open_rows = [r for r, it in enumerate(rx.items) if rx.remaining(it.line) > 0 and not it.is_service]
        if open_rows and self.lines.currentRow() < 0:
            self.lines.setCurrentCell(open_rows[0], 0)
        self._show_packs()
        self._update_buttons()
        self.title_changed.emit()

    def _show_service(self, row: int, it: Any) -> None:
        """A service line, read-only: nothing to hand over, no packs, the centre that performs it."""
        w = self.host.words
        self.lines.removeCellWidget(row, 5)
        self.lines.removeCellWidget(row, PRODUCT_COLUMN)
        for c in (3, 4, 5, 6):
            self.lines.setItem(row, c, QTableWidgetItem("—"))
        where = QTableWidgetItem(w("ph_service_for_" + str(it.service)))
        where.setForeground(Qt.GlobalColor.darkGray)
        where.setToolTip(w("ph_service_hint"))
        self.lines.setItem(row, PRODUCT_COLUMN, where)

    def _product_box(self, it: Any, chosen: str | None, open_units: bool) -> QComboBox:
        """The line's product choice: the prescribed product, then the others of its interchangeable group
        (`app.services.dispensing.substitutes_for`); one entry only when the prescriber forbade it."""
        from app.services.dispensing import substitutes_for

        w = self.host.words
        box = QComboBox()
        for c in substitutes_for(self.host.ws.store, it):
            name = w.text(w.pick(c.name_fa, c.name_en))
            text = w("ph_product_choice", name=name, price=w.rials(c.price)) if c.price else name
            box.addItem(w("ph_product_prescribed", name=text) if c.prescribed else text, c.code)
        box.setCurrentIndex(max(0, box.findData(chosen)) if chosen else 0)
        box.setEnabled(open_units and box.count() > 1)
        hint = (
            "ph_no_substitution" if it.no_substitution else "ph_substitute_hint" if box.count() > 1 else None
        )
        box.setToolTip(w(hint or "ph_no_alternative"))
        box.currentIndexChanged.connect(lambda _i, line=it.line: self._product_changed(line))
        return box

    def product_of(self, line: int) -> str | None:
        """The drug code to hand over for `line`: the product chosen on the screen (the prescribed one
        unless another of its group was chosen); None for a line the screen does not show."""
        box = self.lines.cellWidget(self._row_of(line), PRODUCT_COLUMN) if self._row_of(line) >= 0 else None
        return str(box.currentData()) if isinstance(box, QComboBox) and box.currentData() else None

    def products(self, line: int) -> list[str]:
        """The drug codes the screen offers for `line` (the prescribed one first)."""
        box = self.lines.cellWidget(self._row_of(line), PRODUCT_COLUMN) if self._row_of(line) >= 0 else None
        return [str(box.itemData(i)) for i in range(box.count())] if isinstance(box, QComboBox) else []

    def set_product(self, line: int, code: str) -> None:
        """Hand over product `code` (one the line offers) for `line`."""
        box = self.lines.cellWidget(self._row_of(line), PRODUCT_COLUMN)
        assert isinstance(box, QComboBox) and box.findData(code) >= 0, code
        box.setCurrentIndex(box.findData(code))

    def _product_changed(self, line: int) -> None:
        """Another product chosen for `line`: its packs are checked again for it, the rules and split asked
        again (priced at the product's own price)."""
        for pack in [p for p in self.state.packs if p.line == line]:
            pack.check = None
            self._run_check(pack)
        self._show_packs()
        self._preview_timer.start()

    def quantities(self) -> dict[int, int]:
        """Line → units to hand over now, as set on the screen."""
        out = {}
        for r in range(self.lines.rowCount()):
            item, spin = self.lines.item(r, 0), self.lines.cellWidget(r, 5)
            if item is not None and isinstance(spin, QSpinBox):
                out[int(item.data(Qt.ItemDataRole.UserRole))] = spin.value()
        return out

    def set_quantity(self, line: int, units: int) -> None:
        """Hand over `units` of `line` now (the rest stays for a later dispensing)."""
        spin = self.lines.cellWidget(self._row_of(line), 5)
        assert isinstance(spin, QSpinBox)
        spin.setValue(units)

    def _row_of(self, line: int) -> int:
        for r in range(self.lines.rowCount()):
            item = self.lines.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == line:
                return r
        return -1

    def select_line(self, line: int) -> None:
        self.lines.setCurrentCell(self._row_of(line), 0)

    def selected_line(self) -> int | None:
        """The line the next pack is for: the selected row, else the first line with units left."""
        left = (
            [it.line for it in self.rx.items if self.rx.remaining(it.line) > 0 and not it.is_service]
            if self.rx
            else []
        )
        r = self.lines.currentRow()
        item = self.lines.item(r, 0) if r >= 0 else None
        if item is not None and int(item.data(Qt.ItemDataRole.UserRole)) in left:
            return int(item.data(Qt.ItemDataRole.UserRole))
        return left[0] if left else None  # a line with nothing left takes no packs

    def dispense_lines(self) -> list[Any]:
        """What the signature will cover: each line handed over now, its units and accepted packs."""
        from app.services.dispensing import DispenseLine

        out = []
        prescribed = {it.line: it.drug_code for it in self.rx.items} if self.rx else {}
        for line, units in self.quantities().items():
            if units > 0:
                packs = tuple(p.scan.pack() for p in self.state.packs if p.line == line and p.accepted)
                product = self.product_of(line)
                other = product if product and product != prescribed.get(line) else None
                out.append(DispenseLine(line, units, packs, substitute=other))
        return out

    # ---- the rules before signing -------------------------------------------------------------------

    def check_rules(self) -> None:
        if self.host.tasks.closed:  # the preview timer fired after the window closed
            return
        lines = self.dispense_lines()
        if self.rx is None or not lines:
            self.verdict = None
            self._show_verdict()
            return
        ops.preview(self.host.ws, self.rx_id, lines, offline=self.offline).success(self._previewed).failure(
            self._preview_failed
        ).run(self.host)

    def _previewed(self, verdict: Verdict) -> None:
        self.verdict = verdict
        if not verdict.online and not self.offline and self.host.sync is not None:
            self.host.sync.probe()  # asked online, answered locally: the light checks the exchange now
        self._show_verdict()

    def _preview_failed(self, exc: Exception) -> None:
        self.verdict = None
        self.rules_summary.setText(self.host.words.message(exc))
        self.rules_summary.setStyleSheet(ERROR_STYLE)
        self.rules_list.setText("")

    def _show_verdict(self) -> None:
        w, v = self.host.words, self.verdict
        if v is None:
            full = self.rx is not None and self.rx.fully_dispensed  # nothing left to check or sign
            self.rules_summary.setText(w("ph_counter_dispensed_in_full" if full else "rules_not_checked"))
            self.rules_summary.setStyleSheet("color: #757575")
            self.rules_list.setText("")
            self.cost.setText("—")
            return
        findings = v.result.findings
        if not v.online:
            summary = w("ph_counter_rules_local", reason=w.pick(v.reason_fa, v.reason_en))
            self.rules_summary.setStyleSheet("color: #8a6d00")
        elif findings:
            summary = w("rules_found", n=len(findings))
            self.rules_summary.setStyleSheet("")
        else:
            summary = w("rules_clear")
            self.rules_summary.setStyleSheet("color: #2e7d32")
        if v.result.rejected:
            summary += " " + w("ph_counter_rules_block")
        self.rules_summary.setText(summary)
        rows = []
        for f in findings:
            where = w("finding_line", n=f.line) if f.line else w("finding_whole")
            color = LEVEL_STYLE.get(f.level, "").replace("color: ", "")
            said = w.pick(f.fa, f.en) + (" — " + w("ph_overridden_by_prescriber") if f.overridden else "")
            rows.append(f"<span style='color:{color}'>{w('level_' + f.level)} — {where}: {html(said)}</span>")
        if self.rx is not None and self.rx.override_reason:  # 9-1 step 4: why the prescriber signed anyway
            rows.append(html(w("ph_override_reason", reason=w.text(self.rx.override_reason))))
        self.rules_list.setText("<br>".join(rows))
        total = v.result.total
        basis = w("ph_cost_exchange") if v.online else w("ph_cost_estimate")
        self.cost.setText(
            w("rules_total", insurer=w.rials(total.insurer), patient=w.rials(total.patient)) + f" ({basis})"
        )

    # ---- packs --------------------------------------------------------------------------------------

    def scan_pack(self, text: str, line: int | None = None) -> None:
        """A pack's code as scanned or typed (16 digits, or a GS1 string): read, then checked for `line`
        (default: the selected line) — refused at once when expired, TTAC's verdict online, queued offline."""
        from app.packs import read_pack

        self.pack_field.clear()
        if not text.strip() or self.rx is None:
            return
        try:
            scan = read_pack(text)
        except NoskheError as exc:
            self._error(self.host.words.message(exc))
            return
        if any(p.scan.code == scan.code for p in self.state.packs):
            self._error(self.host.words("ph_pack_twice", code=scan.code))
            return
        line = line if line is not None else self.selected_line()
        if line is None:
            self._error(self.host.words("ph_pack_no_line"))
            return
        pack = ScannedPack(line, scan)
        self.state.packs.append(pack)
        self.error.hide()
        self._show_packs()
        self._run_check(pack)

    def _run_check(self, pack: ScannedPack) -> None:
        assert self.rx is not None
        drug = self.product_of(pack.line) or next(
            it.drug_code for it in self.rx.items if it.line == pack.line
        )

        def checked(check: PackCheck) -> None:
            self._checked(pack, check)

        def failed(exc: Exception) -> None:
            self._check_failed(pack, exc)

        ops.check_pack(self.host.ws, pack.scan, drug, offline=self.offline).success(checked).failure(
            failed
        ).run(self.host)

    def _checked(self, pack: ScannedPack, check: PackCheck) -> None:
        # TTAC named another line's drug: the pack goes to that line, and is checked for it; a product of a
        # line's interchangeable group (this line's first) is handed over for that line in its place
        drug = check.answer.get("drug") if check.status == "wrong-drug" else None
        other = next((it.line for it in self.rx.items if it.drug_code == drug), None) if self.rx else None
        if other is not None and other != pack.line and pack in self.state.packs:
            pack.line = other
            self._run_check(pack)
            return
        swap = self._line_offering(str(drug), first=pack.line) if drug and other is None else None
        if swap is not None and pack in self.state.packs:
            pack.line = swap
            self.set_product(swap, str(drug))  # checks the line's packs again, this one among them
            return
        pack.check = check
        self._show_packs()
        self._preview_timer.start()

    def _line_offering(self, drug: str, *, first: int) -> int | None:
        """The line with units left that offers product `drug` as a substitute (line `first` before the
        others), None when no line does."""
        if self.rx is None:
            return None
        lines = sorted(
            (it.line for it in self.rx.items if self.rx.remaining(it.line) > 0 and not it.is_service),
            key=lambda ln: ln != first,
        )
        return next((ln for ln in lines if drug in self.products(ln)[1:]), None)

    def _check_failed(self, pack: ScannedPack, exc: Exception) -> None:
        self.state.packs.remove(pack)
        self._show_packs()
        self._error(self.host.words.message(exc))

    def _remove_pack(self) -> None:
        row = self.pack_list.currentRow()
        if 0 <= row < len(self.state.packs):
            del self.state.packs[row]
            self._show_packs()
            self._preview_timer.start()

    def _pack_text(self, p: ScannedPack) -> str:
        w, s = self.host.words, p.scan
        parts = [w("finding_line", n=p.line), w.number(s.code)]
        if s.source == "gs1":
            parts.append(
                w(
                    "ph_pack_gs1",
                    gtin=s.gtin,
                    batch=s.batch or "—",
                    expiry=w.datetime(s.expiry.isoformat()).split(" ")[0] if s.expiry else "—",
                )
            )
        if p.check is None:
            parts.append(w("ph_pack_checking"))
        elif p.check.refused:
            parts.append(w("ph_pack_refused", why=w.pick(p.check.fa, p.check.en)))
        else:
            parts.append(w("ph_pack_" + p.check.status))
        return " — ".join(parts)

    def _show_packs(self) -> None:
        self.pack_list.clear()
        for p in self.state.packs:
            item = QListWidgetItem(self._pack_text(p))
            status = p.check.status if p.check is not None else ""
            if p.check is not None:
                item.setForeground(
                    Qt.GlobalColor.darkGreen
                    if status == "genuine"
                    else Qt.GlobalColor.darkYellow
                    if status == "queued"
                    else Qt.GlobalColor.red
                )
            self.pack_list.addItem(item)
        w = self.host.words
        for r in range(self.lines.rowCount()):
            first = self.lines.item(r, 0)
            if first is None:
                continue
            line = int(first.data(Qt.ItemDataRole.UserRole))
            # a refused pack (expired, not genuine) is not handed over: it does not count
            mine = [p for p in self.state.packs if p.line == line and not (p.check and p.check.refused)]
            ok = sum(1 for p in mine if p.accepted)
            self.lines.setItem(r, 6, QTableWidgetItem(w.number(f"{ok}/{len(mine)}") if mine else "—"))

    # ---- signing ------------------------------------------------------------------------------------

    def dispense(self) -> None:
        """Sign and queue what the screen holds (sent at once online)."""
        if self.rx is None or self.busy:
            return
        w = self.host.words
        lines = self.dispense_lines()
        if not lines:
            self._error(w("ph_nothing_to_dispense"))
            return
        if any(p.check is None for p in self.state.packs):
            self._error(w("ph_packs_still_checking"))
            return
        now = self.quantities()
        idle = sorted({p.line for p in self.state.packs if p.accepted and not now.get(p.line)})
        if idle:  # a pack scanned for a line handed over as 0 units would be left out of the signature
            self._error(w("ph_packs_without_units", lines=w.number(sep(w).join(map(str, idle)))))
            return
        bare = [ln.line for ln in lines if not ln.packs]
        try:  # a reason of spaces or invisible marks says nothing: refused here, before the token is asked
            reason = reason_of(self.ttac_reason.text(), "reason for no pack code", "دلیل نبود کد اصالت")
        except NoskheError as exc:
            if bare:
                self._error(w.message(exc))
                self.ttac_reason.setFocus()
                return
            reason = None  # every line has its pack: no reason is signed
        if bare and reason is None:  # 9-2-7: no code, a reason signed instead
            self._error(w("ph_ttac_reason_needed", lines=w.number(sep(w).join(map(str, bare)))))
            self.ttac_reason.setFocus()
            return
        self.busy = True
        self.error.hide()
        self.result.setText(w("ph_dispensing"))
        ops.dispense(
            self.host.ws,
            self.rx_id,
            lines,
            offline=self.offline,
            ttac_reason=reason,
            payment_id=self.payment_id.text().strip(),
            pos_terminal_id=self.pos_terminal.text().strip(),
        ).success(self._dispensed).failure(self._dispense_failed).with_progress(w("ph_dispensing")).run(
            self.host
        )

    def _dispensed(self, done: DispenseResult) -> None:
        self.busy = False
        self.state = CounterState(last=done)
        w, d = self.host.words, done.dispensing
        settlement_basis = w("ph_cost_exchange") if d.cost_basis == "exchange" else w("ph_cost_estimate")
        text = w(
            "ph_dispensed_result",
            lines=w.number(sep(w).join(str(i.line) for i in d.items)),
            state=w("ph_disp_" + d.state) if ("ph_disp_" + d.state) in _keys() else d.state,
            insurer=w.rials(d.cost.insurer),
            patient=w.rials(d.cost.patient),
            basis=settlement_basis,
        )
        for it in d.items:
            if it.substituted:
                text += "\n" + w("ph_substituted", line=w.number(it.line), product=w.number(it.drug_code))
        text += "\n" + w("ph_ttac_" + done.ttac)
        if done.offline is not None:
            text += "\n" + w("ph_dispensed_offline", reason=w.pick(done.offline.fa, done.offline.en))
            if self.host.sync is not None:
                self.host.sync.probe()  # the exchange did not answer: the light follows at once
        if done.needs_attention:
            self.result.setStyleSheet(ERROR_STYLE)
            text += "\n" + w("ph_dispense_needs_attention")
        else:
            self.result.setStyleSheet("color: #2e7d32")
        self.result.setText(text)
        self.ttac_reason.clear()
        self.payment_id.clear()  # each payment its own id; the POS terminal stays the counter's
        self._show_rx(done.prescription, keep_quantities=False)
        self.check_rules()

    def _dispense_failed(self, exc: Exception) -> None:
        self.busy = False
        self.result.setText("")
        w = self.host.words
        text = w.message(exc)
        details = getattr(exc, "details", None) or {}
        who = details.get("facility_name") or details.get("facility")
        if who:  # the claim refused: another pharmacy holds or dispensed it — who, and since when
            when = w.datetime(str(details["at"])) if details.get("at") else "—"
            text += "\n" + w("ph_claim_refused", pharmacy=str(who), when=when)
        self._error(text)
        self.refresh()  # a refusal the exchange explained is remembered here (cancelled, dispensed)

    def release(self) -> None:
        """Give up this pharmacy's claim (the patient left without the drugs): another pharmacy may
        dispense it now."""
        if self.rx is None or self.busy:
            return
        ops.release(self.host.ws, self.rx_id).success(self._released).failure(self._dispense_failed).run(
            self.host
        )

    def _released(self, answer: Any) -> None:
        w = self.host.words
        self.error.hide()
        self.result.setStyleSheet("")
        self.result.setText(
            w("ph_claim_released") if getattr(answer, "released", False) else w("ph_no_claim")
        )

    def _error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _update_buttons(self) -> None:
        open_units = bool(self.rx and not self.rx.fully_dispensed)
        self.dispense_button.setEnabled(open_units)
        self.release_button.setEnabled(open_units and bool(self.rx and self.rx.tracking_code))
        printable = self.state.last is not None and not self._refused_last()
        for b in (self.print_button, self.save_button, self.paper_size):
            b.setEnabled(printable)

    def _refused_last(self) -> bool:
        """The last dispensing here was refused by the exchange (a conflict): it has no receipt."""
        from app.services.history import REFUSED_STATES

        last = self.state.last
        return last is not None and (
            last.dispensing.state in REFUSED_STATES
            or any(c.dispensing_id == last.dispensing.id for c in self.conflicts)
        )

    # ---- the receipt --------------------------------------------------------------------------------

    @property
    def roll(self) -> bool:
        return bool(self.paper_size.currentData())

    def print_receipt(self) -> None:
        if self.state.last is not None and not self._refused_last():
            print_receipt(self.host, self.state.last.dispensing.id, self, roll=self.roll)

    def save_receipt(self) -> None:
        if self.state.last is not None and not self._refused_last():
            save_receipt(self.host, self.state.last.dispensing.id, self, roll=self.roll)


def html(text: str) -> str:
    """`text` escaped for a rich-text label."""
    from html import escape

    return escape(text, quote=False)


def _keys() -> set[str]:
    from ui.strings import STRINGS

    return set(STRINGS)


__all__ = ["CounterView", "ScannedPack"]
