"""Visits (9-1 step 7) and service outcomes (9-2 step 8) in the store: signed documents, audited reads and
writes; their signatures are kept with the others (`signatures`, version 1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.domain import Outcome, Visit
from app.signing import Signature
from app.store.audit import AuditLog
from app.store.db import Connection, Database, now_iso
from app.store.packing import pack, unpack
from app.store.patients import not_found
from app.store.signatures import SignatureRepository


class VisitRepository:
    """The `visits` and `outcomes` tables and their documents' signatures."""

    def __init__(self, db: Database, audit: AuditLog, signatures: SignatureRepository) -> None:
        self.db, self.audit, self.signatures = db, audit, signatures

    def save(
        self,
        v: Visit,
        signatures: Sequence[Signature] = (),
        *,
        also: Callable[[Connection], object] | None = None,
        action: str = "visit.save",
    ) -> None:
        """Write the visit and its signatures in one transaction, audited as `action`; `also(conn)` runs
        inside it (the outbox row). Any exception rolls it all back."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO visits (id, patient_value, state, tracking_code, visited_at, updated_at,"
                " document) VALUES (?,?,?,?,?,?,?)",
                (
                    v.id, v.patient.id.value, v.state, v.tracking_code, v.visited_at.isoformat(), now_iso(),
                    pack(v.to_dict()),
                ),
            )
            for sig in signatures:
                self.signatures.put(v.id, 1, sig)
            if also is not None:
                also(c)
            self.audit.record(action, patient=str(v.patient.id), obj=f"visit:{v.id}")

    def get(self, visit_id: str) -> Visit:
        """The visit; the read is audited. Raises `NotFound`."""
        with self.db.transaction() as c:
            row = c.execute("SELECT document FROM visits WHERE id = ?", (visit_id,)).fetchone()
            self.audit.record("visit.read", obj=f"visit:{visit_id}", outcome="ok" if row else "not-found")
        if not row:
            raise not_found("visit", "ویزیت", visit_id)
        return Visit.from_dict(unpack(row[0]))

    def recent(self, limit: int = 50, patient_value: str | None = None) -> list[Visit]:
        """The latest visits, newest first (only those of a patient id value when given)."""
        if patient_value is None:
            rows = self.db.conn().execute(
                "SELECT document FROM visits ORDER BY visited_at DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        else:
            rows = self.db.conn().execute(
                "SELECT document FROM visits WHERE patient_value = ? ORDER BY visited_at DESC LIMIT ?",
                (patient_value, limit),
            ).fetchall()
        return [Visit.from_dict(unpack(r[0])) for r in rows]

    def signatures_of(self, subject_id: str) -> list[Signature]:
        """The signatures over a visit or an outcome; empty when none are kept."""
        return self.signatures.of(subject_id, 1)

    # ---- outcomes ---------------------------------------------------------------------------------------

    def save_outcome(
        self,
        o: Outcome,
        signatures: Sequence[Signature] = (),
        *,
        also: Callable[[Connection], object] | None = None,
        action: str = "outcome.save",
    ) -> None:
        """Write the outcome and its signatures in one transaction, audited as `action`; `also(conn)` runs
        inside it."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO outcomes (id, prescription_id, line, state, issued_at, updated_at,"
                " document) VALUES (?,?,?,?,?,?,?)",
                (o.id, o.prescription_id, o.line, o.state, o.issued_at.isoformat(), now_iso(), pack(o.to_dict())),
            )
            for sig in signatures:
                self.signatures.put(o.id, 1, sig)
            if also is not None:
                also(c)
            self.audit.record(action, obj=f"outcome:{o.id}; rx:{o.prescription_id}")

    def get_outcome(self, outcome_id: str) -> Outcome:
        """The outcome. Raises `NotFound`."""
        row = self.db.conn().execute("SELECT document FROM outcomes WHERE id = ?", (outcome_id,)).fetchone()
        if not row:
            raise not_found("outcome", "نتیجهٔ خدمت", outcome_id)
        return Outcome.from_dict(unpack(row[0]))

    def outcomes_of(self, prescription_id: str) -> list[Outcome]:
        """The outcomes kept here of a prescription's service lines, by line then time."""
        rows = self.db.conn().execute(
            "SELECT document FROM outcomes WHERE prescription_id = ? ORDER BY line, issued_at", (prescription_id,)
        ).fetchall()
        return [Outcome.from_dict(unpack(r[0])) for r in rows]
