"""Dispensings in the store (section 9-2 step 6: the dispensed services, with their packs' authenticity
codes, cost split and signatures); every read and write is audited."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.domain import Dispensing
from app.signing import Signature
from app.store.audit import AuditLog
from app.store.db import Connection, Database, now_iso
from app.store.packing import pack, unpack
from app.store.patients import not_found
from app.store.signatures import SignatureRepository


class DispensingRepository:
    """The `dispensings` table and the dispensings' signatures (kept at version 1)."""

    def __init__(self, db: Database, audit: AuditLog, signatures: SignatureRepository) -> None:
        self.db = db
        self.audit = audit
        self.signatures = signatures

    def save(
        self,
        d: Dispensing,
        signatures: Sequence[Signature] = (),
        *,
        also: Callable[[Connection], object] | None = None,
    ) -> None:
        """Write the dispensing and its signatures in one transaction, audited as `dispensing.save`;
        `also(conn)` runs inside it (see `PrescriptionRepository.save`). Any exception rolls it all back."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO dispensings (id, prescription_id, state, tracking_code, dispensed_at,"
                " updated_at, document) VALUES (?,?,?,?,?,?,?)",
                (
                    d.id, d.prescription_id, d.state, d.tracking_code, d.dispensed_at.isoformat(), now_iso(),
                    pack(d.to_dict()),
                ),
            )
            for sig in signatures:
                self.signatures.put(d.id, 1, sig)
            if also is not None:
                also(c)
            who = c.execute(  # the patient it was dispensed to, named on the audit row as on every other
                "SELECT patient_kind, patient_value FROM prescriptions WHERE id = ?", (d.prescription_id,)
            ).fetchone()
            self.audit.record(
                "dispensing.save",
                patient=f"{who[0]}:{who[1]}" if who else None,
                obj=f"disp:{d.id}; rx:{d.prescription_id}",
            )

    def get(self, dispensing_id: str) -> Dispensing:
        """The dispensing; the read is audited (outcome `not-found` too). Raises `NotFound`."""
        with self.db.transaction() as c:
            row = c.execute("SELECT document FROM dispensings WHERE id = ?", (dispensing_id,)).fetchone()
            self.audit.record(
                "dispensing.read", obj=f"disp:{dispensing_id}", outcome="ok" if row else "not-found"
            )
        if not row:
            raise not_found("dispensing", "نسخه‌پیچی", dispensing_id)
        return Dispensing.from_dict(unpack(row[0]))

    def signatures_of(self, dispensing_id: str) -> list[Signature]:
        """The pharmacist's and the facility's signatures over the dispensing; empty when none are kept."""
        return self.signatures.of(dispensing_id, 1)
