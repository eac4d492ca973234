"""The insurance and clinical rules' findings for the prescription being written (national rules 9-1 step
4), inline: a rejection must be fixed, a warning needs the GP's reason to go on (kept in the prescription's
notes, signed with it), an advisory is shown. Offline, the cost is the local estimate and the rules run
again when the signed prescription is registered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from sync.checking import RulesCheck
    from ui.common.host import Host

LEVEL_STYLE = {"rejection": "color: #b00020", "warning": "color: #8a6d00", "advisory": "color: #1565c0"}


class FindingsPanel(QFrame):
    """`changed` when a reason is typed."""

    changed = Signal()

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.check: RulesCheck | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.summary = QLabel(wordWrap=True)
        self.list = QWidget()
        self.form = QFormLayout(self.list)
        self.reasons: list[tuple[dict[str, Any], QLineEdit]] = []
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
        self.summary.setText(text)
        self._rows()

    def _rows(self) -> None:
        w = self.host.words
        while self.form.rowCount():
            self.form.removeRow(0)
        self.reasons = []
        for f in self.check.findings if self.check else []:
            level = str(f.get("level", "advisory"))
            line = f.get("line")
            where = w("finding_line", n=line) if isinstance(line, int) else w("finding_whole")
            label = QLabel(
                f"{w('level_' + level)} — {where}: {w.pick(f.get('fa'), f.get('en'))}", wordWrap=True
            )
            label.setStyleSheet(LEVEL_STYLE.get(level, ""))
            if level == "warning":
                reason = QLineEdit(placeholderText=w("override_hint"))
                reason.textChanged.connect(self.changed)
                self.reasons.append((f, reason))
                self.form.addRow(label)
                self.form.addRow(w("override_reason"), reason)
            else:
                self.form.addRow(label)

    # ---- what signing needs -----------------------------------------------------------------------

    @property
    def checked(self) -> bool:
        return self.check is not None

    @property
    def rejected(self) -> bool:
        return bool(self.check and self.check.rejected)

    def missing_reason(self) -> QLineEdit | None:
        """The first warning's reason field still empty, or None."""
        return next((edit for _f, edit in self.reasons if not edit.text().strip()), None)

    def override_notes(self) -> list[str]:
        """One line per warning the GP goes on with: its code, line and reason (signed in the notes)."""
        out = []
        for f, edit in self.reasons:
            line = f" (line {f['line']})" if isinstance(f.get("line"), int) else ""
            out.append(f"override {f.get('code', 'warning')}{line}: {edit.text().strip()}")
        return out


__all__ = ["FindingsPanel"]
