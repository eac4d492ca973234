"""The audit log for managers: who did what, when (Jalali, Tehran time), on which workstation, to whose
data — the person whose token was logged in (national code, council or licence number), or "no person
logged in" for a read without one; rows from before users were kept name the computer's user. A button
checks the log's hash chain (`noskhe audit verify`).

The rows come from `app.services.users.audit_log`, which refuses anyone but a manager once the facility
keeps a users list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.audit import NO_PERSON
from app.services import users
from app.text import to_ascii_digits
from ui.common.operations import Changes, Op
from ui.common.tables import fill, read_only_table
from ui.strings import STRINGS

if TYPE_CHECKING:
    from ui.common.host import Host

ERROR_STYLE = "color: #b00020"
COLUMNS = (
    "audit_col_time",
    "audit_col_person",
    "audit_col_licence",
    "audit_col_workstation",
    "audit_col_action",
    "audit_col_patient",
    "audit_col_object",
    "audit_col_outcome",
)
LIMIT = 500


class AuditView(QWidget):
    """The latest audit rows (at most `LIMIT`), optionally one person's; `refresh()` reads them again."""

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.person = QLineEdit(clearButtonEnabled=True)
        self.refresh_button = QPushButton()
        self.verify_button = QPushButton()
        self.table = read_only_table(len(COLUMNS))
        self.status = QLabel(wordWrap=True)
        bar = QHBoxLayout()
        bar.addWidget(self.person)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        self.person.returnPressed.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.verify_button.clicked.connect(self.verify)
        host.language_changed.connect(self.retranslate)
        host.changes.changed.connect(self._on_changes)
        self.rows: list[dict[str, Any]] = []
        self.retranslate()

    def retranslate(self) -> None:
        w = self.host.words
        self.table.setHorizontalHeaderLabels([w(k) for k in COLUMNS])
        self.person.setPlaceholderText(w("audit_person_hint"))
        self.refresh_button.setText(w("audit_refresh"))
        self.verify_button.setText(w("audit_verify"))
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if getattr(self.host.tasks, "_closed", False):  # the window is closing: nothing to read for
            return
        if changes.session or changes.settings or changes.prescriptions or changes.every_prescription:
            self.refresh()

    def refresh(self) -> None:
        """Read the rows again, on the store's lane."""
        ws = self.host.ws
        person = to_ascii_digits(self.person.text().strip()) or None
        Op(lambda: users.audit_log(ws, person=person, limit=LIMIT)).success(self._show).failure(
            self._failed
        ).run(self.host)

    def _who(self, row: dict[str, Any]) -> str:
        w, person = self.host.words, row.get("person")
        if person == NO_PERSON:
            return w("audit_no_person")
        if person is None:
            return w("audit_before_users", user=str(row.get("user") or ""))
        name = row.get("name") or ""
        return w.text(f"{name} ({w.number(person)})") if name else w.number(person)

    def _action(self, action: str) -> str:
        key = f"audit_action_{action}"
        return self.host.words(key) if key in STRINGS else self.host.words.text(action)

    def _outcome(self, row: dict[str, Any]) -> str:
        outcome, w = str(row["outcome"]), self.host.words
        if row["action"] in ("user.add", "user.role", "sign.refused") and outcome in users.ROLE_NAMES:
            return w.pick(*users.ROLE_NAMES[outcome])
        if row["action"] == "shift.end" and f"shift_end_{outcome}" in STRINGS:
            return w(f"shift_end_{outcome}")
        return w.text(outcome)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        if not shiboken6.isValid(self):  # the tab was closed while the rows were read
            return
        w = self.host.words
        self.rows = rows
        fill(
            self.table,
            [
                [
                    w.datetime(r["at"], seconds=True),
                    self._who(r),
                    w.number(r.get("licence") or "—"),
                    w.text(r.get("workstation") or "—"),
                    self._action(r["action"]),
                    w.number(r.get("patient") or "—"),
                    w.number(r.get("object") or "—"),
                    self._outcome(r),
                ]
                for r in rows
            ],
            [r["seq"] for r in rows],
        )
        self.status.setStyleSheet("")
        self.status.setText(w("audit_rows", n=w.number(len(rows))))

    def _failed(self, exc: Exception) -> None:
        if not shiboken6.isValid(self):
            return
        self.rows = []
        self.table.setRowCount(0)
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(self.host.words.message(exc))

    def verify(self) -> None:
        """Walk the hash chain; say how many rows are intact, or the first broken one."""
        from app.services.admin import verify_audit

        ws = self.host.ws
        Op(lambda: verify_audit(ws)).success(self._intact).failure(self._failed).run(self.host)

    def _intact(self, count: int) -> None:
        if not shiboken6.isValid(self):
            return
        self.status.setStyleSheet("")
        self.status.setText(self.host.words("audit_intact", n=count))


__all__ = ["AuditView"]
