"""Retrieving a prescription at the counter (national rules 9-2-3): by the patient's national code, FIDA,
unique id, a newborn's mother's code, the visit's HID or the tracking code — online, through
`sync.retrieve` — or from a paper prescription's QR, verified offline (section 12) with its verdict shown:
valid, tampered, unknown signer, prescriber suspended, already dispensed here. Each prescription found
shows its prescriber's name, council number and specialty; opening one takes it to the counter.

By a tracking code or HID, which do not name the patient, the page asks for the code the patient presents
(typed, or their national card scanned) before anything is retrieved (9-2 step 4); the exchange's
prescription is checked against it by `sync.retrieve` and one not theirs is refused. The pharmacist may
retrieve without it by writing why (`sync.retrieve.patient_check`: cleaned, recorded in the audit log) —
as `noskhe rx retrieve --patient CODE | --no-patient-check REASON`. A paper QR carries its patient."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.operations import Changes
from ui.common.prescriptions import state_name
from ui.common.tables import fill, read_only_table, row_key
from ui.pharmacy import operations as ops

if TYPE_CHECKING:
    from app.domain import Prescription
    from app.workstation import Workstation
    from printing.pharmacy import PaperVerdict
    from sync.retrieve import Retrieved
    from ui.common.host import Host

KEYS = ("national-code", "fida", "unique-id", "newborn", "hid", "tracking")
COLUMNS = (
    "col_patient",
    "ph_col_prescriber",
    "ph_col_council",
    "ph_col_specialty",
    "ph_col_prescribed",
    "col_state",
    "ph_col_dispensed",
    "col_tracking",
)
VERDICT_STYLE = {"valid": "color: #2e7d32; font-weight: bold"}
REFUSED_STYLE = "color: #b00020; font-weight: bold"


def sep(words: Any) -> str:
    """A list's separator in the window's language: the Persian comma, or an English one."""
    return "، " if getattr(words, "lang", "fa") == "fa" else ", "


def dispensed_text(words: Any, rx: Prescription) -> str:
    """`۱۵/۲۰، ۰/۱۰`: what was dispensed of each line, as far as this store knows."""
    drugs = [it for it in rx.items if not it.is_service]  # a service line is performed elsewhere
    return words.number(sep(words).join(f"{rx.dispensed_of(it.line)}/{it.quantity}" for it in drugs))


def prescriber_specialty(ws: Workstation, rx: Prescription) -> str:
    """The prescriber's specialty: as the prescription carries it, else as the medical council's answer
    kept here says (a paper QR carries none); "" when neither knows."""
    from app.errors import NoskheError
    from app.services.council import council_status

    if rx.prescriber.specialty or not rx.prescriber.medical_council_number:
        return rx.prescriber.specialty or ""
    try:
        return council_status(ws, rx.prescriber.medical_council_number, online=False).answer.specialty
    except NoskheError:
        return ""


def prescriber_text(words: Any, rx: Prescription, specialty: str = "") -> str:
    """The prescriber's name, council number and specialty in one line (`specialty`: the one to show when
    the prescription carries none, see `prescriber_specialty`)."""
    p = rx.prescriber
    return words(
        "ph_prescriber_line",
        name=p.name,
        council=p.medical_council_number or "—",
        specialty=p.specialty or specialty or "—",
    )


class RetrieveView(QWidget):
    """`open_requested(rx_id)` when the pharmacist takes a prescription to the counter."""

    open_requested = Signal(str)

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.found: list[Prescription] = []
        self.verdict: PaperVerdict | None = None
        self.busy = False
        self.key = QComboBox()
        for key in KEYS:
            self.key.addItem("", key)
        self.value = QLineEdit()
        self.value.returnPressed.connect(self.retrieve)
        self.retrieve_button = QPushButton()
        self.retrieve_button.clicked.connect(self.retrieve)
        row = QHBoxLayout()
        row.addWidget(self.key)
        row.addWidget(self.value, 1)
        row.addWidget(self.retrieve_button)
        self.hint = QLabel(wordWrap=True)
        self.hint.setStyleSheet("color: #616161")
        self.paper = QFrame()
        self.paper.setFrameShape(QFrame.Shape.StyledPanel)
        self.verdict_label = QLabel(wordWrap=True)
        self.verdict_detail = QLabel(wordWrap=True)
        paper = QVBoxLayout(self.paper)
        paper.addWidget(self.verdict_label)
        paper.addWidget(self.verdict_detail)
        self.paper.hide()
        self.pending: tuple[str, str] | None = None  # (key, value) waiting for the patient's code
        self.asked_with: QLineEdit | None = None  # the field of the last answer, for the cursor on a refusal
        self.check = QFrame()
        self.check.setFrameShape(QFrame.Shape.StyledPanel)
        self.check_label = QLabel(wordWrap=True)
        self.patient_code = QLineEdit()
        self.patient_code.returnPressed.connect(self.check_patient)
        self.check_button = QPushButton()
        self.check_button.clicked.connect(self.check_patient)
        self.skip_reason = QLineEdit()
        self.skip_reason.returnPressed.connect(self.skip_check)
        self.skip_button = QPushButton()
        self.skip_button.clicked.connect(self.skip_check)
        self.patient_label, self.skip_label = QLabel(), QLabel()
        check = QVBoxLayout(self.check)
        check.addWidget(self.check_label)
        for label, field, button in (
            (self.patient_label, self.patient_code, self.check_button),
            (self.skip_label, self.skip_reason, self.skip_button),
        ):
            line = QHBoxLayout()
            line.addWidget(label)
            line.addWidget(field, 1)
            line.addWidget(button)
            check.addLayout(line)
        self.check.hide()
        self.status = QLabel(wordWrap=True)
        self.table = read_only_table(len(COLUMNS))
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.open_button = QPushButton()
        self.open_button.clicked.connect(self.open_selected)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.hint)
        layout.addWidget(self.paper)
        layout.addWidget(self.check)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        host.language_changed.connect(self.retranslate)
        host.changes.changed.connect(self._on_changes)
        self.retranslate()

    def _on_changes(self, changes: Changes) -> None:
        """A prescription shown here changed (dispensed here, a drain's answer): show it as it is now."""
        if self.found and any(changes.touches(rx.id) for rx in self.found):
            ids = [rx.id for rx in self.found]
            ops.kept_prescriptions(self.host.ws, ids).success(self._reloaded).run(self.host)

    def _reloaded(self, found: list[Prescription]) -> None:
        if [rx.id for rx in found] == [rx.id for rx in self.found] and found != self.found:
            key = row_key(self.table)
            self.found = found
            self._show_found()
            row = next((i for i, rx in enumerate(found) if rx.id == key), -1)
            if row >= 0:
                self.table.setCurrentCell(row, 0)

    def retranslate(self) -> None:
        w = self.host.words
        for i, key in enumerate(KEYS):
            self.key.setItemText(i, w("ph_retrieve_by_" + key))
        self.value.setPlaceholderText(w("ph_retrieve_placeholder"))
        self.retrieve_button.setText(w("ph_retrieve") + " (Enter)")
        self.hint.setText(w("ph_retrieve_hint"))
        self.check_label.setText(w("ph_patient_check_ask"))
        self.patient_label.setText(w("ph_patient_code"))
        self.patient_code.setPlaceholderText(w("ph_patient_code_hint"))
        self.check_button.setText(w("ph_patient_check") + " (Enter)")
        self.skip_label.setText(w("ph_patient_skip_reason"))
        self.skip_reason.setPlaceholderText(w("ph_patient_skip_hint"))
        self.skip_button.setText(w("ph_patient_skip"))
        self.open_button.setText(w("ph_open_counter"))
        self.table.setHorizontalHeaderLabels([w(k) for k in COLUMNS])
        self._show_found()
        if self.verdict is not None:
            self._show_verdict(self.verdict)

    @property
    def tab_title(self) -> str:
        return self.host.words("ph_tab_retrieve")

    # ---- online, by a key ---------------------------------------------------------------------------

    def set_key(self, key: str, value: str) -> None:
        """Put `value` in the field as a `key` (a scanned card or code) and retrieve."""
        self.key.setCurrentIndex(max(0, KEYS.index(key) if key in KEYS else 0))
        self.value.setText(value)
        self.retrieve()

    def retrieve(self) -> None:
        from sync.retrieve import NOT_THE_PATIENT

        from ui.common.scanner import read_scan

        value = self.value.text().strip()
        if not value or self.busy:
            return
        if [s.kind for s in read_scan(value)][:1] == ["paper"]:  # a paper QR that landed in the field whole
            self.value.clear()
            self.scan_paper(value)
            return
        self._clear()  # a new search: the last patient's prescriptions are not left to be opened by mistake
        key = str(self.key.currentData())
        if key in NOT_THE_PATIENT:  # 9-2 step 4: the patient's own code first
            self.pending = (key, value)
            self.patient_code.clear()
            self.skip_reason.clear()
            self.check.show()
            self.status.setStyleSheet("")
            self.status.setText("")
            self.patient_code.setFocus()
            return
        self._run(key, value)

    def check_patient(self) -> None:
        """Retrieve what is waiting, checked against the code the patient presents (typed or scanned)."""
        code = self.patient_code.text().strip()
        if self.pending is None or self.busy or not code:
            self.patient_code.setFocus()
            return
        self.asked_with = self.patient_code
        self._run(*self.pending, patient=code)

    def scan_patient(self, value: str) -> None:
        """A patient's card scanned while their code is asked (`kind:value`, as the scanner read it)."""
        kind, _, bare = value.partition(":")
        self.patient_code.setText(bare if kind == "national-code" else value)  # as the card prints it
        self.check_patient()

    def skip_check(self) -> None:
        """Retrieve what is waiting without the patient's code, for the reason written (audited)."""
        if self.pending is None or self.busy:
            return
        self.asked_with = self.skip_reason
        if not self.skip_reason.text():
            self._refuse(self.host.words("ph_patient_skip_reason_needed"))
            return
        self._run(*self.pending, skip=self.skip_reason.text())  # cleaned and judged by the service

    def _run(self, key: str, value: str, *, patient: str | None = None, skip: str | None = None) -> None:
        self.busy = True
        self.status.setStyleSheet("")
        self.status.setText(self.host.words("ph_retrieving"))
        ops.retrieve(self.host.ws, key, value, patient=patient, skip=skip).success(self._retrieved).failure(
            self._failed
        ).with_progress(self.host.words("ph_retrieving")).run(self.host)

    def _refuse(self, text: str) -> None:
        """One line in red, the cursor back in the field that was answered."""
        self.status.setStyleSheet(REFUSED_STYLE)
        self.status.setText(text)
        if self.asked_with is not None and self.check.isVisible():
            self.asked_with.setFocus()
            self.asked_with.selectAll()

    def _retrieved(self, got: Retrieved) -> None:
        self.busy = False
        w = self.host.words
        mismatch = [r for r in got.refused if r.get("reason") == "patient-mismatch"]
        if self.pending is not None and mismatch and not got.prescriptions:
            self._refuse(w("ph_patient_mismatch"))  # still asking: the right code may be given
            return
        self._end_check()
        self.found = list(got.prescriptions)
        self.paper.hide()
        text = w("ph_retrieved_n", n=len(self.found)) if self.found else w("ph_retrieved_none")
        for r in got.refused:
            why = w("ph_patient_mismatch") if r in mismatch else w.pick(r.get("fa"), r.get("en"))
            text += "\n" + w("ph_retrieve_refused", why=why)
        self.status.setStyleSheet(REFUSED_STYLE if got.refused else "")
        self.status.setText(text)
        self._show_found()
        if len(self.found) == 1:
            self.table.setCurrentCell(0, 0)

    def _end_check(self) -> None:
        self.pending, self.asked_with = None, None
        self.check.hide()

    def _failed(self, exc: Exception) -> None:
        from sync.client import ExchangeUnavailable

        self.busy = False
        self.found = []  # a failed search shows nothing found, never the results of the one before
        self.verdict = None
        self.paper.hide()
        self._show_found()
        if self.pending is not None and not isinstance(exc, ExchangeUnavailable):
            self._refuse(self.host.words.message(exc))  # a mistyped code, a reason that says nothing
            return
        self._end_check()
        self.status.setStyleSheet(REFUSED_STYLE)
        if isinstance(exc, ExchangeUnavailable):  # a retrieval is not queued: it needs the exchange now
            self.status.setText(self.host.words("ph_retrieve_offline"))
            if self.host.sync is not None:
                self.host.sync.probe()  # the light follows what this call found, at once
        else:
            self.status.setText(self.host.words.message(exc))

    def _clear(self) -> None:
        """Forget the prescriptions found and the paper's verdict (a new search, or one that failed)."""
        self.found = []
        self.verdict = None
        self.paper.hide()
        self._end_check()
        self._show_found()

    def _show_found(self) -> None:
        w = self.host.words
        fill(
            self.table,
            [
                [
                    w.text(rx.patient.full_name),
                    w.text(rx.prescriber.name),
                    w.number(rx.prescriber.medical_council_number or "—"),
                    w.text(prescriber_specialty(self.host.ws, rx) or "—"),
                    w.datetime(rx.prescribed_at),
                    state_name(w, rx.state),
                    dispensed_text(w, rx),
                    w.number(rx.tracking_code or "—"),
                ]
                for rx in self.found
            ],
            [rx.id for rx in self.found],
        )

    def open_selected(self) -> None:
        key = row_key(self.table)
        if key is not None:
            self.open_requested.emit(str(key))

    # ---- offline, from a paper QR -------------------------------------------------------------------

    def scan_paper(self, text: str) -> None:
        """A paper prescription's QR as the scanner read it: verified offline, its verdict shown."""
        self.found = []  # the last search's prescriptions and paper go while this one is verified
        self.paper.hide()
        self._end_check()  # the paper names its patient
        self._show_found()
        self.status.setText(self.host.words("ph_paper_verifying"))
        self.status.setStyleSheet("")
        ops.scan_paper(self.host.ws, [text]).success(self._show_verdict).failure(self._failed).run(self.host)

    def _show_verdict(self, verdict: PaperVerdict) -> None:
        self.verdict = verdict
        w = self.host.words
        self.paper.show()
        self.status.setText("")
        self.verdict_label.setText(w("ph_paper_verdict_" + verdict.verdict.replace("-", "_")))
        self.verdict_label.setStyleSheet(VERDICT_STYLE.get(verdict.verdict, REFUSED_STYLE))
        rx = verdict.prescription
        lines = []
        if rx is not None:
            lines.append(w.text(f"{w('col_patient')}: {rx.patient.full_name}"))
            council = verdict.kept.council if verdict.kept is not None else None
            known = council.answer.specialty if council is not None else ""
            lines.append(prescriber_text(w, rx, known or prescriber_specialty(self.host.ws, rx)))
            if council is not None:
                lines.append(w.text(council.describe(w.lang)))
            lines.append(f"{w('ph_col_prescribed')}: {w.datetime(rx.prescribed_at)}")
            lines.append(f"{w('ph_col_dispensed')}: {dispensed_text(w, rx)}")
            self.found = [rx]
            self._show_found()
            self.table.setCurrentCell(0, 0)
        if verdict.en or verdict.fa:
            lines.append(w.pick(verdict.fa, verdict.en))
        self.verdict_detail.setText("\n".join(lines))
        self.verdict_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


__all__ = ["KEYS", "RetrieveView", "dispensed_text", "prescriber_text", "sep"]
