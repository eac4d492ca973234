"""Patients, prescriptions, dispensings and their signatures in the store; every access is audited.

A prescription's row holds its current version; each signed version is also kept whole in
`prescription_versions`, so an edit never loses what was signed before.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from app import audit
from app.domain import Dispensing, Patient, PatientId, Prescription
from app.errors import NotFound
from app.signing import Signature, SignatureRole, SignerIdentity
from app.store.db import json_dumps


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _not_found(what_en: str, what_fa: str, key: str) -> NotFound:
    return NotFound(f"No {what_en} {key!r} in this workstation's store.", f"{what_fa} «{key}» در این رایانه نیست.")


class Records:
    """Mixed into `Store`: needs `transaction()`, `conn()` and `actor`."""

    # ---- patients ------------------------------------------------------------------------------------

    def save_patient(self, patient: Patient) -> None:
        with self.transaction() as c:  # type: ignore[attr-defined]
            c.execute(
                "INSERT OR REPLACE INTO patients (kind, value, document, updated_at) VALUES (?,?,?,?)",
                (patient.id.kind, patient.id.value, json_dumps(patient.to_dict()), _now()),
            )
            audit.record(c, self.actor, "patient.save", patient=str(patient.id))  # type: ignore[attr-defined]

    def get_patient(self, pid: PatientId) -> Patient:
        with self.transaction() as c:  # type: ignore[attr-defined]
            row = c.execute(
                "SELECT document FROM patients WHERE kind = ? AND value = ?", (pid.kind, pid.value)
            ).fetchone()
            audit.record(c, self.actor, "patient.read", patient=str(pid), outcome="ok" if row else "not-found")  # type: ignore[attr-defined]
        if not row:
            raise _not_found("patient", "بیمار", str(pid))
        return Patient.from_dict(json.loads(row[0]))

    # ---- prescriptions -------------------------------------------------------------------------------

    def save_prescription(
        self,
        rx: Prescription,
        signatures: list[Signature] = (),  # type: ignore[assignment]
        *,
        action: str = "prescription.save",
        also: Any = None,
    ) -> None:
        """Write the prescription (and its signatures) in one transaction; `also(conn)` runs inside it,
        for work that must commit or fail together with it (an outbox row)."""
        doc = rx.to_dict()
        with self.transaction() as c:  # type: ignore[attr-defined]
            c.execute(
                "INSERT OR REPLACE INTO prescriptions (id, version, state, patient_kind, patient_value, hid,"
                " tracking_code, prescribed_at, updated_at, document) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    rx.id, rx.version, rx.state.value, rx.patient.id.kind, rx.patient.id.value, rx.hid,
                    rx.tracking_code, rx.prescribed_at.isoformat(), _now(), json_dumps(doc),
                ),
            )
            c.execute(
                "INSERT OR IGNORE INTO patients (kind, value, document, updated_at) VALUES (?,?,?,?)",
                (rx.patient.id.kind, rx.patient.id.value, json_dumps(rx.patient.to_dict()), _now()),
            )
            for sig in signatures:
                self._put_signature(c, rx.id, rx.version, sig)
            if signatures:
                c.execute(
                    "INSERT OR REPLACE INTO prescription_versions (id, version, document, saved_at)"
                    " VALUES (?,?,?,?)",
                    (rx.id, rx.version, json_dumps(rx.document()), _now()),
                )
            if also is not None:
                also(c)
            audit.record(c, self.actor, action, patient=str(rx.patient.id), obj=f"rx:{rx.id}/{rx.version}")  # type: ignore[attr-defined]

    def get_prescription(self, rx_id: str) -> Prescription:
        with self.transaction() as c:  # type: ignore[attr-defined]
            row = c.execute(
                "SELECT document, patient_kind, patient_value FROM prescriptions WHERE id = ?", (rx_id,)
            ).fetchone()
            audit.record(
                c, self.actor, "prescription.read",  # type: ignore[attr-defined]
                patient=f"{row[1]}:{row[2]}" if row else None, obj=f"rx:{rx_id}",
                outcome="ok" if row else "not-found",
            )
        if not row:
            raise _not_found("prescription", "نسخه", rx_id)
        return Prescription.from_dict(json.loads(row[0]))

    def find_prescriptions(
        self,
        *,
        patient_value: str | None = None,
        tracking_code: str | None = None,
        hid: str | None = None,
        states: tuple[str, ...] = (),
        limit: int = 100,
    ) -> list[Prescription]:
        where, args = [], []
        for col, val in (("patient_value", patient_value), ("tracking_code", tracking_code), ("hid", hid)):
            if val:
                where.append(f"{col} = ?")
                args.append(val)
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            args.extend(states)
        sql = "SELECT document FROM prescriptions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY prescribed_at DESC, id DESC LIMIT ?"
        with self.transaction() as c:  # type: ignore[attr-defined]
            rows = c.execute(sql, (*args, limit)).fetchall()
            audit.record(
                c, self.actor, "prescription.list",  # type: ignore[attr-defined]
                patient=patient_value, obj=f"count:{len(rows)}",
            )
        return [Prescription.from_dict(json.loads(r[0])) for r in rows]

    def signatures(self, subject: str, version: int = 1) -> list[Signature]:
        rows = self.conn().execute(  # type: ignore[attr-defined]
            "SELECT role, cms, signer, signed_at FROM signatures WHERE subject = ? AND version = ? ORDER BY role",
            (subject, version),
        ).fetchall()
        out = []
        for role, cms, signer, signed_at in rows:
            ident = json.loads(signer)
            if ident.get("role"):
                ident["role"] = SignatureRole(ident["role"])
            out.append(
                Signature(SignatureRole(role), bytes(cms), SignerIdentity(**ident), dt.datetime.fromisoformat(signed_at))
            )
        return out

    def prescription_signatures(self, rx_id: str, version: int | None = None) -> list[Signature]:
        if version is None:
            row = self.conn().execute("SELECT version FROM prescriptions WHERE id = ?", (rx_id,)).fetchone()  # type: ignore[attr-defined]
            version = row[0] if row else 1
        return self.signatures(rx_id, version)

    @staticmethod
    def _put_signature(c: Any, subject: str, version: int, sig: Signature) -> None:
        ident = {k: (v.value if hasattr(v, "value") else v) for k, v in vars(sig.signer).items() if v is not None}
        c.execute(
            "INSERT OR REPLACE INTO signatures (subject, version, role, cms, signer, signed_at) VALUES (?,?,?,?,?,?)",
            (subject, version, sig.role.value, sig.cms, json_dumps(ident), sig.signed_at.isoformat()),
        )

    # ---- dispensings ---------------------------------------------------------------------------------

    def save_dispensing(self, d: Dispensing, signatures: list[Signature] = (), *, also: Any = None) -> None:  # type: ignore[assignment]
        with self.transaction() as c:  # type: ignore[attr-defined]
            c.execute(
                "INSERT OR REPLACE INTO dispensings (id, prescription_id, state, tracking_code, dispensed_at,"
                " updated_at, document) VALUES (?,?,?,?,?,?,?)",
                (d.id, d.prescription_id, d.state, d.tracking_code, d.dispensed_at.isoformat(), _now(),
                 json_dumps(d.to_dict())),
            )
            for sig in signatures:
                self._put_signature(c, d.id, 1, sig)
            if also is not None:
                also(c)
            audit.record(c, self.actor, "dispensing.save", obj=f"disp:{d.id}; rx:{d.prescription_id}")  # type: ignore[attr-defined]

    def get_dispensing(self, dispensing_id: str) -> Dispensing:
        with self.transaction() as c:  # type: ignore[attr-defined]
            row = c.execute("SELECT document FROM dispensings WHERE id = ?", (dispensing_id,)).fetchone()
            audit.record(
                c, self.actor, "dispensing.read", obj=f"disp:{dispensing_id}",  # type: ignore[attr-defined]
                outcome="ok" if row else "not-found",
            )
        if not row:
            raise _not_found("dispensing", "نسخه‌پیچی", dispensing_id)
        return Dispensing.from_dict(json.loads(row[0]))

    def dispensing_signatures(self, dispensing_id: str) -> list[Signature]:
        return self.signatures(dispensing_id, 1)
