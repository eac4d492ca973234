"""Who the prescription is for: the patient's id validated as it is typed (national code, FIDA, unique id,
newborn; read by its shape by default), a known patient filled in, the insurer or scheme, and what the
exchange's eligibility will add (the visit's HID), or that it waits for the network."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.domain import Coverage, Patient, PatientId, Sex
from app.errors import NoskheError
from app.identifiers import PATIENT_ID_KINDS
from app.services.checking import Admission
from app.services.prescribing import parse_birth_date, parse_patient_id
from ui.clinic.operations import ask_eligibility, known_patient, newborn_mother

if TYPE_CHECKING:
    from ui.common.host import Host

ERROR_STYLE = "color: #b00020"
AUTO = "auto"


class PatientPanel(QWidget):
    """`changed` on any edit; `coverage_changed` when the insurer (and so the cost split) changes."""

    changed = Signal()
    coverage_changed = Signal()

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.patient_id: PatientId | None = None
        self.known: Patient | None = None
        self.fixed: Patient | None = None  # editing: the patient cannot change
        self.mother: Patient | None = None  # a newborn's mother, as this store knows her
        self.hid: str | None = None  # editing: the visit's HID, once the exchange gave it
        self.admission: Admission | None = None  # eligibility as the exchange answered for this id
        self._asked: PatientId | None = None  # the id eligibility was asked for (once per id)
        #: what a lookup filled in (a field → its value): taken back when the id changes, if untouched
        self._filled: dict[QWidget, object] = {}
        self.id_kind = QComboBox()
        self.patient_code = QLineEdit()
        self.id_status = QLabel(wordWrap=True)
        self.first_name, self.last_name = QLineEdit(), QLineEdit()
        self.birth_date = QLineEdit()
        self.sex = QComboBox()
        self.insurer = QComboBox()
        self.eligibility = QLabel(wordWrap=True)
        self.parents: dict[str, str] = {}  # a scheme's insurer (the rural fund → IHIO)
        self._labels: dict[str, QLabel] = {
            k: QLabel()
            for k in ("patient_id", "first_name", "last_name", "birth_date", "sex", "insurer", "eligibility")
        }
        id_row = QHBoxLayout()
        id_row.addWidget(self.patient_code, 1)
        id_row.addWidget(self.id_kind)
        form = QFormLayout(self)
        form.addRow(self._labels["patient_id"], id_row)
        form.addRow("", self.id_status)
        names = QHBoxLayout()
        names.addWidget(self.first_name)
        names.addWidget(self._labels["last_name"])
        names.addWidget(self.last_name)
        form.addRow(self._labels["first_name"], names)
        more = QHBoxLayout()
        more.addWidget(self.birth_date)
        more.addWidget(self._labels["sex"])
        more.addWidget(self.sex)
        more.addWidget(self._labels["insurer"])
        more.addWidget(self.insurer, 1)
        form.addRow(self._labels["birth_date"], more)
        form.addRow(self._labels["eligibility"], self.eligibility)
        self.setFocusProxy(self.patient_code)

        self.id_kind.currentIndexChanged.connect(self.check_patient_id)
        self.patient_code.textChanged.connect(self.check_patient_id)
        for edit in (self.first_name, self.last_name, self.birth_date):
            edit.textChanged.connect(self.changed)
        self.sex.currentIndexChanged.connect(self.changed)
        self.insurer.currentIndexChanged.connect(self._insurer_changed)
        host.language_changed.connect(self.retranslate)
        if getattr(host, "sync", None) is not None:
            host.sync.state_changed.connect(self.show_eligibility)
            host.sync.state_changed.connect(self.ask_eligibility)
        self.retranslate()

    # ---- words ------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        w = self.host.words
        for key, label in self._labels.items():
            label.setText(w(key))
        self.patient_code.setPlaceholderText(w("patient_id_hint"))
        self.birth_date.setPlaceholderText(w("birth_date_hint"))
        self._refill(self.id_kind, [(w("id_auto"), AUTO)] + [(w("id_" + k), k) for k in PATIENT_ID_KINDS])
        self._refill(self.sex, [("—", None)] + [(w("sex_" + s.value), s.value) for s in Sex])
        insurers: list[tuple[str, str | None]] = [(w("no_insurer"), None)]
        for ins in self.host.ws.store.catalog.insurers():
            parent = ins.rules.get("parent")
            if parent:
                self.parents[ins.code] = parent
            name = w.pick(ins.name_fa, ins.name_en)
            insurers.append((f"    {name}" if parent else name, ins.code))
        self._refill(self.insurer, insurers)
        self.check_patient_id()

    @staticmethod
    def _refill(combo: QComboBox, entries: list[tuple[str, str | None]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for text, data in entries:
            combo.addItem(text, data)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    # ---- the id -----------------------------------------------------------------------------------

    def set_scanned(self, kind_value: str) -> None:
        """A scanned patient id (`kind:value`): the kind chosen, the value typed, validated."""
        kind, value = kind_value.split(":", 1)
        self.id_kind.setCurrentIndex(max(0, self.id_kind.findData(kind)))
        self.patient_code.setText(value)

    def check_patient_id(self) -> None:
        """Validate as the GP types; a patient this store knows fills in the rest."""
        w = self.host.words
        text = self.patient_code.text().strip()
        kind = self.id_kind.currentData()
        read: PatientId | None = None
        error: NoskheError | None = None
        if text:
            try:
                read = parse_patient_id(text) if kind in (AUTO, None) else PatientId.parse(kind, text)
            except NoskheError as exc:
                error = exc
        if read is not None and read == self.patient_id:  # the same id (words again): keep what was found
            self._show_id()
            self.show_eligibility()
            return
        self._take_back()
        self.patient_id, self.known, self.mother, self.admission = None, None, None, None
        self.id_status.setStyleSheet("")
        if not text:
            self.id_status.clear()
        else:
            if error is not None:
                self.id_status.setStyleSheet(ERROR_STYLE)
                self.id_status.setText(w.message(error))
            else:
                self.patient_id = read
                self._show_id()
                wanted = read
                assert wanted is not None
                known_patient(self.host.ws, wanted).success(lambda p: self._prefill(wanted, p)).failure(
                    lambda _exc: None
                ).run(self.host)
                if wanted.kind == "newborn":
                    newborn_mother(self.host.ws, wanted).success(lambda m: self._mother(wanted, m)).failure(
                        lambda _exc: None
                    ).run(self.host)
                self.ask_eligibility()
        self.show_eligibility()
        self.changed.emit()

    def _show_id(self) -> None:
        """The id as read (left-to-right, whatever the line's direction) and, for a newborn, whose."""
        w, pid = self.host.words, self.patient_id
        if pid is None:
            return
        line = f"✓ {w('id_' + pid.kind)}: {w.code(pid.value)}"
        who = self.newborn_label()
        self.id_status.setText(f"{line} — {who}" if who else line)

    def newborn_label(self) -> str:
        """ "newborn 1 of مریم احمدی" (the mother's name, or her national code when this store does not
        know her) for a newborn id; "" for any other patient."""
        w, pid = self.host.words, self.patient_id
        if pid is None or pid.kind != "newborn":
            return ""
        mother_code, _, order = pid.value.partition("-")
        if self.mother is not None and self.mother.full_name.strip():
            return w("newborn_of", n=order, mother=w.isolated(self.mother.full_name))
        return w("newborn_of_code", n=order, code=w.code(mother_code))

    def display_name(self) -> str:
        """The patient as a tab names them: the names typed, else a newborn's "newborn 1 of …"."""
        name = f"{self.first_name.text().strip()} {self.last_name.text().strip()}".strip()
        return name or self.newborn_label()

    def _fill_text(self, edit: QLineEdit, value: str) -> None:
        edit.setText(value)
        self._filled[edit] = value

    def _fill_combo(self, combo: QComboBox, data: object) -> None:
        found = combo.findData(data)
        if found >= 0:
            combo.setCurrentIndex(found)
            self._filled[combo] = data

    def _take_back(self) -> None:
        """Clear what a lookup of the previous id filled in and the GP has not changed since (the
        mother's names must not stay when "7027692473" becomes the newborn "7027692473-1")."""
        filled, self._filled = self._filled, {}
        for widget, value in filled.items():
            if isinstance(widget, QLineEdit) and widget.text() == value:
                widget.clear()
            elif isinstance(widget, QComboBox) and widget.currentData() == value:
                widget.setCurrentIndex(0)

    def _prefill(self, wanted: PatientId, known: Patient | None) -> None:
        if known is None or wanted != self.patient_id:
            return  # unknown, or the GP has typed on since
        self.known = known
        if not self.first_name.text().strip() and not self.last_name.text().strip():
            self._fill_text(self.first_name, known.first_name)
            self._fill_text(self.last_name, known.last_name)
        if known.sex is not None and self.sex.currentData() is None:
            self._fill_combo(self.sex, known.sex.value)
        if known.birth_date and not self.birth_date.text().strip():
            self._fill_text(self.birth_date, self.host.words.number(_jalali(known)))
        if known.coverage is not None and self.insurer.currentData() is None:
            self._fill_combo(self.insurer, known.coverage.scheme or known.coverage.insurer_code)
        self.show_eligibility()
        self.changed.emit()

    def _mother(self, wanted: PatientId, mother: Patient | None) -> None:
        """A newborn's mother found: named as the mother (never as the patient), her coverage the
        newborn's insurer unless one was chosen (section 7: newborns are covered under the mother)."""
        if mother is None or wanted != self.patient_id:
            return
        self.mother = mother
        if mother.coverage is not None and self.insurer.currentData() is None:
            self._fill_combo(self.insurer, mother.coverage.scheme or mother.coverage.insurer_code)
        self._show_id()
        self.show_eligibility()
        self.changed.emit()

    def ask_eligibility(self) -> None:
        """Online, ask the exchange's eligibility for the id typed, once per id and off the window's
        thread: the coverage it finds is shown (and chosen, unless the GP chose one). The visit's HID is
        the one asked again when the prescription is sent; offline nothing is asked ("pending")."""
        sync = getattr(self.host, "sync", None)
        wanted = self.patient_id
        if wanted is None or self.fixed is not None or sync is None or sync.state != "online":
            return
        if self._asked == wanted:
            return
        self._asked = wanted
        asked = Patient(
            wanted, self.first_name.text().strip(), self.last_name.text().strip(), coverage=self.coverage()
        )
        ask_eligibility(self.host.ws, asked).success(lambda a: self._admitted(wanted, a)).failure(
            lambda _exc: self._not_admitted(wanted)
        ).run(self.host)

    def _not_admitted(self, wanted: PatientId) -> None:
        if self._asked == wanted:
            self._asked = None  # asked again later (the exchange refused or failed this time)

    def _admitted(self, wanted: PatientId, admission: Admission) -> None:
        if wanted != self.patient_id:
            return
        if not admission.confirmed:
            self._asked = None  # pending: asked again when the exchange is back
            return
        self.admission = admission
        cov = admission.patient.coverage
        if cov is not None and self.insurer.currentData() is None:
            self._fill_combo(self.insurer, cov.scheme or cov.insurer_code)
        self.show_eligibility()
        self.changed.emit()

    def _insurer_changed(self) -> None:
        self.show_eligibility()
        self.coverage_changed.emit()
        self.changed.emit()

    def show_eligibility(self) -> None:
        """The visit's HID comes from the exchange's eligibility check when the prescription is sent."""
        w = self.host.words
        sync = getattr(self.host, "sync", None)
        state = sync.state if sync is not None else "off"
        insurer = self.insurer.currentText().strip() or w("no_insurer")
        cov = self.coverage()
        found = self.admission.patient if self.admission is not None else None
        if found is not None and cov is found.coverage:
            insurer = w("eligibility_confirmed_for", insurer=insurer)
        elif self.mother is not None and cov is not None and cov is self.mother.coverage:
            insurer = w("mother_coverage", insurer=insurer)
        if self.hid:  # editing: the visit's HID the exchange gave
            when: str = w.code(self.hid)
        else:
            when = w("hid_pending_offline") if state != "online" else w("hid_on_sending")
        parts = [w("eligibility_line", insurer=insurer, hid=when)]
        if cov is not None and (cov.insurance_number or cov.insurer_percent):  # as eligibility found it
            parts.append(
                w(
                    "coverage_known",
                    percent=w.number(cov.insurer_percent),
                    number=w.code(cov.insurance_number),
                )
            )
        whose = self.fixed or found or self.known or self.mother
        extra = whose.supplementary if whose is not None and cov is not None else None
        if extra is not None:
            ins = self.host.ws.store.catalog.insurer(extra.scheme or extra.insurer_code)
            name = w.pick(ins.name_fa, ins.name_en) if ins is not None else extra.scheme or extra.insurer_code
            parts.append(w("coverage_supplementary", name=name))
        self.eligibility.setText("؛ ".join(parts) if w.lang == "fa" else "; ".join(parts))

    # ---- the patient ------------------------------------------------------------------------------

    def fix(self, patient: Patient, hid: str | None = None) -> None:
        """Editing an existing prescription: its patient (and the visit's `hid`, when known) is shown and
        cannot change."""
        self.fixed, self.hid = patient, hid or None
        self.set_scanned(f"{patient.id.kind}:{patient.id.value}")
        self.first_name.setText(patient.first_name)
        self.last_name.setText(patient.last_name)
        if patient.coverage is not None:
            found = self.insurer.findData(patient.coverage.scheme or patient.coverage.insurer_code)
            self.insurer.setCurrentIndex(max(0, found))
        for widget in (
            self.id_kind,
            self.patient_code,
            self.first_name,
            self.last_name,
            self.birth_date,
            self.sex,
            self.insurer,
        ):
            widget.setEnabled(False)

    @property
    def ready(self) -> bool:
        return self.fixed is not None or bool(
            self.patient_id and self.first_name.text().strip() and self.last_name.text().strip()
        )

    def coverage(self) -> Coverage | None:
        code = self.insurer.currentData()
        found = self.admission.patient if self.admission is not None else None
        for whose in (self.fixed, found, self.known, self.mother):  # a newborn: the mother's coverage
            known_cov = whose.coverage if whose else None
            if known_cov and code in (known_cov.scheme, known_cov.insurer_code):
                return known_cov
        if code in self.parents:
            return Coverage(self.parents[code], scheme=code)
        return Coverage(code) if code else None

    def patient(self, *, for_pricing: bool = False) -> Patient:
        """The patient as typed; what the store knows (phone, scheme details) is kept. Raises
        `NoskheError` when the id, a name or the birth date is missing or wrong."""
        if self.fixed is not None:
            return self.fixed
        first, last = self.first_name.text().strip(), self.last_name.text().strip()
        if for_pricing:  # the cost split depends only on the coverage
            return Patient(PatientId("", ""), first, last, coverage=self.coverage())
        if self.patient_id is None or not (first and last):
            raise NoskheError(
                "The patient needs a valid id, a first name and a last name.",
                "بیمار شناسهٔ درست، نام و نام خانوادگی لازم دارد.",
            )
        sex = Sex(self.sex.currentData()) if self.sex.currentData() else None
        fields = {
            "first_name": first,
            "last_name": last,
            "sex": sex,
            "coverage": self.coverage(),
            "birth_date": parse_birth_date(self.birth_date.text()),
        }
        if self.known is not None:
            return dataclasses.replace(self.known, **fields)
        return Patient(self.patient_id, **fields)

    def text_typed(self) -> bool:
        """True when anything was typed (Escape asks before throwing it away)."""
        return self.fixed is None and any(
            e.text().strip() for e in (self.patient_code, self.first_name, self.last_name, self.birth_date)
        )


def _jalali(p: Patient) -> str:
    from app.timefmt import jalali_date

    return jalali_date(p.birth_date) if p.birth_date else ""


__all__ = ["PatientPanel"]
