"""Prescriptions in the store; every read and write is audited.

A prescription's row holds its current version (the legal data elements of section 7, as one document)
with the columns it is found by: patient, tracking code, HID, state. Each signed version is also kept whole
in `prescription_versions`, so an edit (section 9-1 step 6) never loses what was signed before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from app.domain import IRAN_TZ, Prescription, RxState
from app.errors import EditConflict
from app.signing import Signature
from app.store.audit import AuditLog
from app.store.db import Connection, Database, json_dumps, now_iso
from app.store.outbox import TERMINAL, chain_of
from app.store.packing import pack, unpack, unpack_text
from app.store.patients import PatientRepository, not_found
from app.store.signatures import SignatureRepository


class PrescriptionRepository:
    """The `prescriptions` and `prescription_versions` tables, and the prescriptions' signatures."""

    def __init__(
        self, db: Database, audit: AuditLog, patients: PatientRepository, signatures: SignatureRepository
    ) -> None:
        self.db = db
        self.audit = audit
        self.patients = patients
        self.signatures = signatures

    def save(
        self,
        rx: Prescription,
        signatures: Sequence[Signature] = (),
        *,
        action: str = "prescription.save",
        also: Callable[[Connection], object] | None = None,
        adopt: bool = False,
    ) -> None:
        """Write the prescription's current version, its patient (if new to this workstation) and, when
        `signatures` are given, those signatures and a whole copy of the signed version — one transaction,
        audited as `action`. `also(conn)` runs inside it, for work that must commit or fail together with
        it; work done through the store's repositories inside `also` (or inside an enclosing
        `store.transaction()`) joins the same transaction. Any exception rolls everything back. `adopt`
        takes the exchange's word: the version it kept replaces a newer one it refused (an edit after
        dispensing), which an edit here never may (`EditConflict`)."""
        with self.db.transaction() as c:
            if not adopt:
                self._refuse_conflicting(c, rx, bool(signatures))
            c.execute(
                "INSERT OR REPLACE INTO prescriptions (id, version, state, patient_kind, patient_value, hid,"
                " tracking_code, prescribed_at, updated_at, document) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    rx.id, rx.version, rx.state.value, rx.patient.id.kind, rx.patient.id.value, rx.hid,
                    rx.tracking_code, _at(rx.prescribed_at), now_iso(), pack(rx.to_dict()),
                ),
            )
            self.patients.keep_first_seen(rx.patient)
            for sig in signatures:
                self.signatures.put(rx.id, rx.version, sig)
            if signatures:
                c.execute(
                    "INSERT OR REPLACE INTO prescription_versions (id, version, document, saved_at)"
                    " VALUES (?,?,?,?)",
                    (rx.id, rx.version, pack(rx.document()), now_iso()),
                )
            if also is not None:
                also(c)
            self.audit.record(action, patient=str(rx.patient.id), obj=f"rx:{rx.id}/{rx.version}")

    @staticmethod
    def _refuse_conflicting(c: Connection, rx: Prescription, signed: bool) -> None:
        """Inside the save's write transaction (which other writers wait for): refuse a save that would
        take back a newer version, or sign a version number another save already signed differently (two
        edits of one prescription at once, section 9-1 step 6). Raises `EditConflict`."""
        row = c.execute("SELECT version FROM prescriptions WHERE id = ?", (rx.id,)).fetchone()
        taken = row is not None and int(row[0]) > rx.version
        if signed and not taken:
            kept = c.execute(
                "SELECT document FROM prescription_versions WHERE id = ? AND version = ?", (rx.id, rx.version)
            ).fetchone()
            # signed here just now (queued): that number must be new; kept as received: the same bytes
            taken = kept is not None and (
                rx.state is RxState.QUEUED or unpack_text(kept[0]) != json_dumps(rx.document())
            )
        if taken:
            raise EditConflict(
                f"Prescription {rx.id} was changed elsewhere while this edit was open (version {rx.version}"
                " is taken); nothing was saved: show it again and redo the edit.",
                f"نسخهٔ {rx.id} هم‌زمان جای دیگری تغییر کرد (ویرایش {rx.version} گرفته شده است)؛ چیزی ذخیره"
                " نشد: دوباره آن را ببینید و ویرایش کنید.",
                rx_id=rx.id,
                version=rx.version,
            )

    def get(self, rx_id: str) -> Prescription:
        """The prescription's current version; the read is audited (outcome `not-found` too). Raises
        `NotFound` when this workstation does not hold it."""
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT document, patient_kind, patient_value FROM prescriptions WHERE id = ?", (rx_id,)
            ).fetchone()
            self.audit.record(
                "prescription.read",
                patient=f"{row[1]}:{row[2]}" if row else None,
                obj=f"rx:{rx_id}",
                outcome="ok" if row else "not-found",
            )
        if not row:
            raise not_found("prescription", "نسخه", rx_id)
        return Prescription.from_dict(unpack(row[0]))

    def find(
        self,
        *,
        patient_value: str | None = None,
        tracking_code: str | None = None,
        hid: str | None = None,
        states: Sequence[str] = (),
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 100,
    ) -> list[Prescription]:
        """Prescriptions matching every key given (patient id value, tracking code, HID — the retrieval keys
        of section 9-2 step 3 — states, `RxState` values, and prescribed at or after `since` and before
        `until`, aware datetimes: today's list, a date range), newest first, at most `limit`. Audited as
        `prescription.list` with the count found. Every combination is served by an index (schema 4)."""
        where: list[str] = []
        args: list[object] = []
        for col, val in (("patient_value", patient_value), ("tracking_code", tracking_code), ("hid", hid)):
            if val:
                where.append(f"{col} = ?")
                args.append(val)
        if len(states) == 1:
            where.append("state = ?")
            args.append(states[0])
        elif states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            args.extend(states)
        if since is not None:
            where.append("prescribed_at >= ?")
            args.append(_at(since))
        if until is not None:
            where.append("prescribed_at < ?")
            args.append(_at(until))
        sql = "SELECT document FROM prescriptions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY prescribed_at DESC, id DESC LIMIT ?"
        with self.db.transaction() as c:
            rows = c.execute(sql, (*args, limit)).fetchall()
            self.audit.record("prescription.list", patient=patient_value, obj=f"count:{len(rows)}")
        return [Prescription.from_dict(unpack(r[0])) for r in rows]

    def current_version(self, rx_id: str) -> int | None:
        """The version number of the prescription's current row, or None when not held here."""
        row = self.db.conn().execute("SELECT version FROM prescriptions WHERE id = ?", (rx_id,)).fetchone()
        return int(row[0]) if row else None

    def hid_of(self, rx_id: str) -> str | None:
        """The visit's HID (section 9-1 step 2) as the store holds it now, or None (not known yet, or not
        held here). Not audited: no patient data is read."""
        row = self.db.conn().execute("SELECT hid FROM prescriptions WHERE id = ?", (rx_id,)).fetchone()
        return row[0] if row else None

    def signatures_of(self, rx_id: str, version: int | None = None) -> list[Signature]:
        """The signatures over `version` of the prescription (its current version when None); empty when
        none are kept."""
        if version is None:
            version = self.current_version(rx_id) or 1
        return self.signatures.of(rx_id, version)

    def settled_ids(self, states: Sequence[str], limit: int) -> list[str]:
        """Ids of prescriptions in `states` (`RxState` values) that have nothing left in the outbox (but
        dispensings the exchange rejected), least
        recently updated first, at most `limit`: those whose state only the exchange can change now
        (dispensed or cancelled elsewhere) — a paper copy kept at a pharmacy too, before the exchange has
        given it a tracking code here (the exchange answers for the ids it knows)."""
        if not states:
            return []
        marks = ",".join("?" * len(states))
        terminal = ",".join("?" * len(TERMINAL))
        rows = self.db.conn().execute(
            f"SELECT id FROM prescriptions p WHERE state IN ({marks}) AND NOT EXISTS"
            f" (SELECT 1 FROM outbox o WHERE o.chain = ? || p.id AND o.state NOT IN ({terminal})"
            # a dispensing the exchange refused holds nothing back (`OutboxStore.heads`)
            " AND NOT (o.op = 'dispense' AND o.state = 'rejected'))"
            " ORDER BY updated_at LIMIT ?",
            (*states, chain_of(""), *TERMINAL, limit),
        )
        return [str(r[0]) for r in rows]


def _at(moment: dt.datetime) -> str:
    """`moment` as the `prescribed_at` column keeps it: ISO 8601 in Iran time (one offset for every row,
    so text order is time order and a date range is an index range)."""
    return moment.astimezone(IRAN_TZ).isoformat()
