"""The insurance and clinical rules' findings for the prescription being written (national rules 9-1 step
4), inline: advisories and warnings are shown and travel with it; a rejection stops signing — unless the
rule lets a prescriber's reason override it, and the GP writes one (it is signed with the prescription).
Offline, they are the local engine's findings on the cached rule set and the cost is an estimate; the
exchange runs its rules again when the signed prescription is registered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from sync.checking import RulesCheck
    from ui.common.host import Host

LEVEL_STYLE = {"rejection": "color: #b00020", "warning": "color: #8a6d00", "advisory": "color: #1565c0"}


class FindingsPanel(QFrame):
    """`changed` when the override reason is typed."""

    changed = Signal()

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.check: RulesCheck | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.summary = QLabel(wordWrap=True)
        self.list = QWidget()
        self.form = QFormLayout(self.list)
        self.reason = QLineEdit()
        self.reason.textChanged.connect(self.changed)
        self.reason_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self.clear()

    def clear(self) -> None:
        """The prescription changed: what the rules said no longer holds."""
        self.check = None
        self._rows()
        self.summary.setText(self.host.words("rules_not_checked"))
        self.summary.setStyleSheet("color: #757575")

    def show_check(self, check: RulesCheck) -> None:
        w = self.host.words
        self.check = check
        total = check.total
        money = w(
            "rules_total",
            insurer=w.rials(int(total.get("insurer", 0))),
            patient=w.rials(int(total.get("patient", 0))),
        )
        if check.offline:
            text = w("rules_offline", reason=w.pick(check.reason_fa, check.reason_en)) + " " + money
            self.summary.setStyleSheet("color: #8a6d00")
        elif not check.findings:
            text = w("rules_clear") + " " + money
            self.summary.setStyleSheet("color: #2e7d32")
        else:
            text = w("rules_found", n=len(check.findings)) + " " + money
            self.summary.setStyleSheet("")
        if self.blocked:
            text += " " + w("rules_block")
        self.summary.setText(text)
        self._rows()

    def _rows(self) -> None:
        w = self.host.words
        while self.form.rowCount():
            row = self.form.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                widget = item.widget() if item is not None else None
                if widget is not None and widget not in (self.reason, self.reason_label):
                    widget.deleteLater()
        self.reason.hide()
        self.reason_label.hide()
        for f in self.check.findings if self.check else []:
            level = str(f.get("level", "advisory"))
            line = f.get("line")
            where = w("finding_line", n=line) if isinstance(line, int) else w("finding_whole")
            mark = (
                " " + w("overridden")
                if f.get("overridden")
                else " " + w("overridable")
                if f.get("overridable")
                else ""
            )
            label = QLabel(
                f"{w('level_' + level)} — {where}: {w.pick(f.get('fa'), f.get('en'))}{mark}", wordWrap=True
            )
            label.setStyleSheet(LEVEL_STYLE.get(level, ""))
            self.form.addRow(label)
        if self.needs_reason_field:
            self.reason_label.setText(w("override_reason"))
            self.reason.setPlaceholderText(w("override_hint"))
            self.form.addRow(self.reason_label, self.reason)
            self.reason_label.show()
            self.reason.show()

    # ---- what signing needs -----------------------------------------------------------------------

    @property
    def checked(self) -> bool:
        return self.check is not None

    @property
    def needs_reason_field(self) -> bool:
        """A rejection stands that a prescriber's reason may override."""
        return bool(self.check and self.check.rejected and self.check.overridable)

    @property
    def blocked(self) -> bool:
        """A rejection stands that no reason can override: it cannot be signed as written."""
        return bool(self.check and self.check.rejected and not self.check.overridable)

    def missing_reason(self) -> QLineEdit | None:
        """The override reason's field when a reason is needed and none is written, else None."""
        return self.reason if self.needs_reason_field and not self.reason.text().strip() else None

    def override_reason(self) -> str | None:
        """The prescriber's reason to go on despite an overridable rejection (signed with it), or None."""
        text = self.reason.text().strip()
        return text if self.needs_reason_field and text else None

    def findings(self) -> list[dict[str, Any]]:
        return list(self.check.findings) if self.check else []


__all__ = ["FindingsPanel"]
