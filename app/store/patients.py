"""Patients in the store, keyed by their identifier (section 7: national code, FIDA, unique id, mother's
national code for a newborn); every read and write is audited."""

from __future__ import annotations

import json

from app.domain import Patient, PatientId
from app.errors import NotFound
from app.store.audit import AuditLog
from app.store.db import Database, json_dumps, now_iso


def not_found(what_en: str, what_fa: str, key: str) -> NotFound:
    """The error for a record this workstation does not hold."""
    return NotFound(f"No {what_en} {key!r} in this workstation's store.", f"{what_fa} «{key}» در این رایانه نیست.")


class PatientRepository:
    """The `patients` table: one document per patient id."""

    def __init__(self, db: Database, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit

    def save(self, patient: Patient) -> None:
        """Write (or replace) the patient's record, audited as `patient.save`."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO patients (kind, value, document, updated_at) VALUES (?,?,?,?)",
                (patient.id.kind, patient.id.value, json_dumps(patient.to_dict()), now_iso()),
            )
            self.audit.record("patient.save", patient=str(patient.id))

    def keep_first_seen(self, patient: Patient) -> None:
        """Write the patient's record only if none is kept yet (a prescription's copy never overwrites a
        record saved on purpose). Not audited apart: the caller's own row names the patient."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO patients (kind, value, document, updated_at) VALUES (?,?,?,?)",
                (patient.id.kind, patient.id.value, json_dumps(patient.to_dict()), now_iso()),
            )

    def get(self, pid: PatientId) -> Patient:
        """The patient with id `pid`; the read is audited (outcome `not-found` too). Raises `NotFound`."""
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT document FROM patients WHERE kind = ? AND value = ?", (pid.kind, pid.value)
            ).fetchone()
            self.audit.record("patient.read", patient=str(pid), outcome="ok" if row else "not-found")
        if not row:
            raise not_found("patient", "بیمار", str(pid))
        return Patient.from_dict(json.loads(row[0]))
