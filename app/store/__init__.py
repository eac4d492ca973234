"""The encrypted local store (SQLCipher 4): `Store.create(...)` once, `Store.open(...)` every day.

The store is the one door to the workstation's database: no SQL is written anywhere else. It is a façade
(after Anki's collection) over one `Database` (connections per thread, transactions, migrations) and small
repositories that each hold it:

| attribute            | what it keeps                                                        |
|----------------------|----------------------------------------------------------------------|
| `store.prescriptions`| prescriptions, their signed versions and signatures                  |
| `store.patients`     | patients                                                             |
| `store.dispensings`  | dispensings and their signatures                                     |
| `store.outbox`       | what the exchange must still learn (`OutboxState`)                   |
| `store.results`      | what the exchange answered                                           |
| `store.metadata`     | settings and facts (role, facility, sync state, reference versions)  |
| `store.blobs`        | named files (trust list, rule sets, paper payloads)                  |
| `store.audit`        | the hash-chained audit log                                           |
| `store.catalog`      | drugs and insurers                                                   |
| `store.council`      | the medical council's answers about prescribers, with their time     |

Work through several repositories commits together inside `with store.transaction():`.
The older one-call methods (`store.get_prescription`, `store.meta`, …) remain and delegate.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from app.audit import Actor
from app.domain import Dispensing, Facility, Patient, PatientId, Prescription
from app.errors import StoreError
from app.identifiers import SiamId
from app.signing import Signature
from app.store.audit import AuditLog
from app.store.catalog import CatalogTables
from app.store.council import CouncilAnswers
from app.store.db import (
    DB_NAME,
    KEY_NAME,
    ROLES,
    Connection,
    Database,
    damaged,
    default_user,
    now_iso,
    user_error,
)
from app.store.dispensings import DispensingRepository
from app.store.keyfile import DEFAULT_LOG2_N, KeyFile
from app.store.meta import BlobRepository, MetaRepository
from app.store.outbox import OutboxRepository, OutboxState
from app.store.patients import PatientRepository
from app.store.prescriptions import PrescriptionRepository
from app.store.results import ExchangeResults
from app.store.signatures import SignatureRepository
from app.store.visits import VisitRepository

if TYPE_CHECKING:
    from app.catalog import Catalog


class Store:
    """One workstation's data: patients, prescriptions, dispensings, signatures, the outbox, the
    exchange's answers, reference data and the audit log (section 11: integrity, confidentiality and a
    record of every access). Open with `Store.open(data_dir, passphrase)`; create once with
    `Store.create(...)`; close with `close()` or a `with` block."""

    def __init__(self, data_dir: Path, data_key: bytes) -> None:
        """The store over the database in `data_dir`, keyed with the raw 32-byte `data_key`. Opens nothing
        yet; `open`/`create` check the key and migrate."""
        self.db = Database(data_dir, data_key)
        self.data_dir = self.db.data_dir
        self.db_path = self.db.path
        self.metadata = MetaRepository(self.db)
        self.blobs = BlobRepository(self.db)
        self.audit = AuditLog(self.db, self.metadata, Actor(default_user(), "?", "?"))
        self._signatures = SignatureRepository(self.db)
        self.patients = PatientRepository(self.db, self.audit)
        self.prescriptions = PrescriptionRepository(self.db, self.audit, self.patients, self._signatures)
        self.dispensings = DispensingRepository(self.db, self.audit, self._signatures)
        self.outbox = OutboxRepository(self.db)
        self.results = ExchangeResults(self.db)
        self.council = CouncilAnswers(self.db)
        self.visits = VisitRepository(self.db, self.audit, self._signatures)

    # ---- opening -------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        data_dir: Path,
        passphrase: str,
        *,
        role: str,
        facility: str,
        facility_name: str = "",
        kdf_log2_n: int = DEFAULT_LOG2_N,
        seed_reference_data: bool = True,
    ) -> Store:
        """A new store in `data_dir` for a `clinic` or `pharmacy` of SIAM id `facility`, its key wrapped
        under `passphrase` (scrypt cost 2^`kdf_log2_n`), seeded with the bundled catalog and insurers
        unless told not to. Raises `StoreError` for another role or when a store already exists there
        (left untouched), `InvalidIdentifier` for a bad SIAM id. A store that could not be made whole is
        removed."""
        if role not in ROLES:
            raise StoreError(f"Role must be one of {', '.join(ROLES)}.", "نقش باید clinic یا pharmacy باشد.")
        siam = SiamId.parse(facility).value
        data_dir = Path(data_dir)
        keyfile = KeyFile(data_dir / KEY_NAME)
        if keyfile.exists() or (data_dir / DB_NAME).exists():
            raise StoreError(
                f"A Noskhe store already exists in {data_dir}; it was left untouched.",
                f"در {data_dir} از پیش پایگاه داده وجود دارد؛ به آن دست زده نشد.",
            )
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = None
        try:
            store = cls._create_files(data_dir, passphrase, role, siam, facility_name, kdf_log2_n)
            if seed_reference_data:
                from app.catalog import seed_reference_data as seed

                seed(store)
        except BaseException:
            # A store that could not be made whole is removed: these files did not exist before.
            if store is not None:
                store.close()
            for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEY_NAME):
                (data_dir / name).unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def _create_files(
        cls, data_dir: Path, passphrase: str, role: str, siam: str, facility_name: str, kdf_log2_n: int
    ) -> Store:
        data_key = os.urandom(32)
        KeyFile(data_dir / KEY_NAME).create(passphrase, data_key, log2_n=kdf_log2_n)
        # SQLite gives the -wal and -shm files the database file's mode: create it private.
        os.close(os.open(data_dir / DB_NAME, os.O_CREAT | os.O_WRONLY, 0o600))
        store = cls(data_dir, data_key)
        store.db.migrate()
        store.metadata.set_many(
            {
                "role": role,
                "facility": siam,
                "facility_name": facility_name,
                "created_at": now_iso(),
                "integrity.checked_at": now_iso(),
            }
        )
        store._set_actor()
        return store

    @classmethod
    def open(cls, data_dir: Path, passphrase: str) -> Store:
        """The existing store in `data_dir`, migrated to this program's schema. Raises `StoreError` (no
        store there, a database that does not match its key file, a newer schema; `DiskFull` or
        `StoreDamaged` when migrating or checking it fails for the disk's or the file's sake) or
        `WrongPassphrase`; a wrong passphrase never modifies any file."""
        data_dir = Path(data_dir)
        db_file, keyfile = data_dir / DB_NAME, KeyFile(data_dir / KEY_NAME)
        if keyfile.exists() and (not db_file.exists() or db_file.stat().st_size == 0):
            # a key file says a store was made here: never start a new one over it
            raise damaged(db_file, "missing or empty beside its key file")
        if not db_file.exists():
            raise StoreError(
                f"No Noskhe store in {data_dir}; run `noskhe init` first.",
                f"در {data_dir} پایگاه داده‌ای نیست؛ ابتدا `noskhe init` را اجرا کنید.",
            )
        data_key = keyfile.unwrap(passphrase)
        store = cls(data_dir, data_key)
        store.db.check_key()
        store.db.check_opened()
        try:
            store.db.migrate()
            if store.db.full_check_due(store.metadata.get("integrity.checked_at")):
                store.db.check_fully()
                store.metadata.set("integrity.checked_at", now_iso())
        except BaseException as exc:
            store.close()
            # a full disk or a damaged file: named as every front end names it
            named = user_error(exc, data_dir)
            if named is not None:
                raise named from exc
            raise
        store._set_actor()
        return store

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap the data key under `new` (the database is not re-encrypted). Raises `WrongPassphrase`."""
        KeyFile(self.data_dir / KEY_NAME).rewrap(old, new)

    def close(self) -> None:
        """Close every connection; the store may be used again (connections reopen on demand)."""
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- who is working --------------------------------------------------------------------------------

    @property
    def actor(self) -> Actor:
        """Who the audit log names for what is done through this store."""
        return self.audit.actor

    def _set_actor(self) -> None:
        self.audit.actor = Actor(default_user(), self.role, self.facility_siam)

    def as_user(self, user: str) -> Store:
        """Name `user` in the audit log from now on; returns the store."""
        self.audit.actor = Actor(user, self.role, self.facility_siam)
        return self

    @property
    def role(self) -> str:
        """`clinic` or `pharmacy` (`?` before the store is set up)."""
        return self.metadata.get("role") or "?"

    @property
    def facility_siam(self) -> str:
        """The facility's SIAM id (section 8), 8 digits (`?` before the store is set up)."""
        return self.metadata.get("facility") or "?"

    def facility(self) -> Facility:
        """This workstation's facility as printed on paper and receipts: SIAM id, name, kind (the role),
        national id, address, phone (empty when not set)."""
        m = self.metadata.get
        return Facility(
            siam_id=self.facility_siam,
            name=m("facility_name") or "",
            kind=self.role,
            national_id=m("facility_national_id") or "",
            address=m("facility_address") or "",
            phone=m("facility_phone") or "",
        )

    @property
    def catalog_tables(self) -> CatalogTables:
        """The catalog's tables (drugs, search keys, synonyms, insurers) over this store's database."""
        return CatalogTables(self)

    @property
    def catalog(self) -> Catalog:
        """The drug catalog and insurers kept in this store."""
        from app.catalog import Catalog

        return Catalog(self)

    # ---- transactions --------------------------------------------------------------------------------

    def transaction(self) -> contextlib.AbstractContextManager[Connection]:
        """`with store.transaction():` — everything done through the repositories inside commits together
        or not at all (see `Database.transaction`)."""
        return self.db.transaction()

    def savepoint(self, name: str = "step") -> contextlib.AbstractContextManager[None]:
        """A part of the current transaction that can fail alone (see `Database.savepoint`)."""
        return self.db.savepoint(name)

    def conn(self) -> Connection:
        """This thread's connection, for code under `app/store/` and for tests that inspect the file."""
        return self.db.conn()

    # ---- one-call forms (delegations to the repositories) ------------------------------------------------

    def save_patient(self, patient: Patient) -> None:
        """`store.patients.save`."""
        self.patients.save(patient)

    def get_patient(self, pid: PatientId) -> Patient:
        """`store.patients.get`: the patient, audited. Raises `NotFound`."""
        return self.patients.get(pid)

    def save_prescription(
        self,
        rx: Prescription,
        signatures: Sequence[Signature] = (),
        *,
        action: str = "prescription.save",
        also: Callable[[Connection], object] | None = None,
        adopt: bool = False,
    ) -> None:
        """`store.prescriptions.save`: the prescription (and its signatures) in one audited transaction;
        `adopt`: the exchange's word, which may take back a version it refused."""
        self.prescriptions.save(rx, signatures, action=action, also=also, adopt=adopt)

    def get_prescription(self, rx_id: str) -> Prescription:
        """`store.prescriptions.get`: the current version, audited. Raises `NotFound`."""
        return self.prescriptions.get(rx_id)

    def find_prescriptions(
        self,
        *,
        patient_value: str | None = None,
        tracking_code: str | None = None,
        hid: str | None = None,
        states: tuple[str, ...] = (),
        limit: int = 100,
    ) -> list[Prescription]:
        """`store.prescriptions.find`: newest first, audited."""
        return self.prescriptions.find(
            patient_value=patient_value, tracking_code=tracking_code, hid=hid, states=states, limit=limit
        )

    def signatures(self, subject: str, version: int = 1) -> list[Signature]:
        """The signatures kept for a prescription id at `version`, or a dispensing id (version 1)."""
        return self._signatures.of(subject, version)

    def prescription_signatures(self, rx_id: str, version: int | None = None) -> list[Signature]:
        """`store.prescriptions.signatures_of`: over `version` (the current one when None)."""
        return self.prescriptions.signatures_of(rx_id, version)

    def save_dispensing(
        self,
        d: Dispensing,
        signatures: Sequence[Signature] = (),
        *,
        also: Callable[[Connection], object] | None = None,
    ) -> None:
        """`store.dispensings.save`: the dispensing (and its signatures) in one audited transaction."""
        self.dispensings.save(d, signatures, also=also)

    def get_dispensing(self, dispensing_id: str) -> Dispensing:
        """`store.dispensings.get`: audited. Raises `NotFound`."""
        return self.dispensings.get(dispensing_id)

    def dispensing_signatures(self, dispensing_id: str) -> list[Signature]:
        """`store.dispensings.signatures_of`."""
        return self.dispensings.signatures_of(dispensing_id)

    def exchange_results_for_prescription(self, rx_id: str) -> dict[str, dict[str, Any]]:
        """`store.results.for_prescription`: what the exchange answered about the prescription and the
        subjects of its outbox chain, `{"<subject>/<kind>": data}`."""
        return self.results.for_prescription(rx_id)

    def meta(self, key: str, default: str | None = None) -> str | None:
        """`store.metadata.get`."""
        return self.metadata.get(key, default)

    def set_meta(self, key: str, value: str) -> None:
        """`store.metadata.set`."""
        self.metadata.set(key, value)

    def get_blob(self, name: str) -> bytes | None:
        """`store.blobs.get`."""
        return self.blobs.get(name)

    def put_blob(self, name: str, data: bytes) -> None:
        """`store.blobs.put`."""
        self.blobs.put(name, data)

    def schema_version(self) -> int:
        """The highest migration applied."""
        return self.db.schema_version()

    def integrity_problems(self) -> list[str]:
        """Empty when SQLCipher's page HMACs and SQLite's structure check are clean."""
        return self.db.integrity_problems()

    def checkpoint(self) -> None:
        """Move the WAL into the database file."""
        self.db.checkpoint()


__all__ = ["Actor", "OutboxState", "Store"]
