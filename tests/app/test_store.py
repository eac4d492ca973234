import hashlib
import threading
from pathlib import Path

import pytest

from app.errors import StoreError, WrongPassphrase
from app.lifecycle import RxState
from app.store import Store
from app.store.db import DB_NAME, KEY_NAME
from app.store.keyfile import KeyFile
from tests.conftest import PASSPHRASE, make_patient, make_prescription


def _digest_dir(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir()) if p.is_file()}


def test_wrong_passphrase_leaves_every_file_byte_identical(store, data_dir):
    store.save_prescription(make_prescription())
    store.close()
    before = _digest_dir(data_dir)
    with pytest.raises(WrongPassphrase) as exc:
        Store.open(data_dir, "not the passphrase")
    assert "nothing was changed" in exc.value.en and exc.value.fa
    assert _digest_dir(data_dir) == before


def test_missing_store_is_not_recreated(tmp_path):
    with pytest.raises(StoreError, match="noskhe init"):
        Store.open(tmp_path / "nothing", PASSPHRASE)
    assert not (tmp_path / "nothing").exists()


def test_create_refuses_an_existing_store(data_dir):
    before = _digest_dir(data_dir)
    with pytest.raises(StoreError, match="already exists"):
        Store.create(data_dir, PASSPHRASE, role="clinic", facility="12345678")
    assert _digest_dir(data_dir) == before


def test_database_with_a_foreign_key_file_is_refused(data_dir, tmp_path):
    other = tmp_path / "other"
    Store.create(other, PASSPHRASE, role="clinic", facility="12345678", kdf_log2_n=12, seed_reference_data=False).close()
    (data_dir / KEY_NAME).write_bytes((other / KEY_NAME).read_bytes())
    with pytest.raises(StoreError, match="does not match its key file"):
        Store.open(data_dir, PASSPHRASE)


def test_damaged_key_file_is_one_clear_error(data_dir):
    (data_dir / KEY_NAME).write_text("{not json")
    with pytest.raises(StoreError, match="damaged"):
        Store.open(data_dir, PASSPHRASE)


def test_no_plaintext_patient_data_in_any_file_wal_included(store, data_dir):
    patient = make_patient(code="0499370899", first="زهرا", last="Bakhtiari-Plaintext")
    store.save_prescription(make_prescription(patient))
    store.get_prescription(store.find_prescriptions()[0].id)
    # The write is in the WAL now; look at the files while it is still there, and after a checkpoint.
    wal = data_dir / (DB_NAME + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    needles = [
        b"0499370899", "0499370899".encode("utf-16-le"), "زهرا".encode("utf-8"), b"Bakhtiari-Plaintext",
        "۰۴۹۹۳۷۰۸۹۹".encode("utf-8"),
    ]
    for phase in ("wal", "checkpointed"):
        for f in data_dir.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                for needle in needles:
                    assert needle not in data, f"{needle!r} in plaintext in {f.name} ({phase})"
        store.checkpoint()


def test_integrity_clean_after_a_write_burst_from_threads(store):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for _ in range(n):
                store.save_prescription(make_prescription())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(25,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(store.find_prescriptions(limit=1000)) == 100
    assert store.integrity_problems() == []
    store.checkpoint()
    assert store.integrity_problems() == []


def test_one_connection_per_thread(store):
    seen = []
    t = threading.Thread(target=lambda: seen.append(store.conn()))
    t.start()
    t.join()
    assert seen[0] is not store.conn()
    assert store.conn() is store.conn()


def test_durability_settings(store):
    c = store.conn()
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")


def test_schema_version_recorded(store):
    from app.store.schema import LATEST

    assert store.schema_version() == LATEST
    rows = store.conn().execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST + 1))


def test_a_new_migration_is_applied_once(data_dir, monkeypatch):
    from app.store import schema

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [(schema.LATEST + 1, "CREATE TABLE extra (x);")])
    monkeypatch.setattr(schema, "LATEST", schema.LATEST + 1)
    import app.store.db as db

    monkeypatch.setattr(db, "MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr(db, "LATEST", schema.LATEST)
    with Store.open(data_dir, PASSPHRASE) as s:
        assert s.schema_version() == schema.LATEST
        s.conn().execute("INSERT INTO extra VALUES (1)")
    with Store.open(data_dir, PASSPHRASE) as s:  # re-opening does not re-run it
        assert s.conn().execute("SELECT count(*) FROM extra").fetchone()[0] == 1


def test_passphrase_change_rewraps_without_reencrypting(store, data_dir):
    rx = make_prescription()
    store.save_prescription(rx)
    store.checkpoint()
    store.close()
    db_before = (data_dir / DB_NAME).read_bytes()
    KeyFile(data_dir / KEY_NAME).rewrap(PASSPHRASE, "a brand new passphrase")
    assert (data_dir / DB_NAME).read_bytes() == db_before
    with pytest.raises(WrongPassphrase):
        Store.open(data_dir, PASSPHRASE)
    with Store.open(data_dir, "a brand new passphrase") as s:
        assert s.get_prescription(rx.id).id == rx.id


def test_prescription_round_trip_with_signatures_and_versions(store):
    import datetime as dt

    from app.signing import Signature, SignatureRole, SignerIdentity

    rx = make_prescription()
    rx.mark_signed()
    sig = Signature(
        SignatureRole.PRESCRIBER, b"\x30\x03cms", SignerIdentity("دکتر", medical_council_number="123456"),
        dt.datetime(2026, 11, 22, 10, 0, 0, tzinfo=dt.timezone.utc),
    )
    store.save_prescription(rx, [sig])
    back = store.get_prescription(rx.id)
    assert back.to_dict() == rx.to_dict() and back.state is RxState.SIGNED
    assert store.prescription_signatures(rx.id) == [sig]
    assert store.find_prescriptions(patient_value=rx.patient.id.value)[0].id == rx.id


def test_a_failing_transaction_writes_nothing(store):
    rx = make_prescription()

    def boom(conn):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.save_prescription(rx, also=boom)
    assert store.find_prescriptions() == []
    from app.errors import NotFound

    with pytest.raises(NotFound):
        store.get_prescription(rx.id)


def test_blobs(store):
    assert store.get_blob("trust-list") is None
    store.put_blob("trust-list", b"\x00\x01")
    assert store.get_blob("trust-list") == b"\x00\x01"


def test_the_store_is_composed_of_repositories(store):
    from app.store.audit import AuditLog
    from app.store.db import Database
    from app.store.outbox import OutboxRepository
    from app.store.prescriptions import PrescriptionRepository
    from app.store.results import ExchangeResults

    assert isinstance(store.db, Database)
    assert isinstance(store.prescriptions, PrescriptionRepository)
    assert isinstance(store.outbox, OutboxRepository)
    assert isinstance(store.results, ExchangeResults)
    assert isinstance(store.audit, AuditLog)
    for repo in (store.prescriptions, store.patients, store.dispensings, store.outbox, store.results,
                 store.metadata, store.blobs, store.audit):
        assert repo.db is store.db  # one database, one connection per thread, shared transactions


def test_work_through_several_repositories_commits_together_or_not_at_all(store):
    rx = make_prescription()
    with pytest.raises(RuntimeError), store.transaction():
        store.prescriptions.save(rx)
        store.outbox.enqueue(op="register", subject=f"rx:{rx.id}", chain=f"rx:{rx.id}", payload={})
        store.results.keep(f"rx:{rx.id}", "registration", {"trackingCode": "1"})
        raise RuntimeError("power cut")
    assert store.find_prescriptions() == [] and sum(store.outbox.counts().values()) == 0
    assert store.exchange_results_for_prescription(rx.id) == {}
    with store.transaction():
        store.prescriptions.save(rx)
        store.outbox.enqueue(op="register", subject=f"rx:{rx.id}", chain=f"rx:{rx.id}", payload={})
    assert store.get_prescription(rx.id).id == rx.id and store.outbox.counts()["pending"] == 1


def test_a_savepoint_undoes_only_its_own_part(store):
    from app.errors import StoreError

    with pytest.raises(StoreError), store.savepoint():
        pass  # outside a transaction there is nothing to be part of
    with store.transaction():
        store.set_meta("kept", "1")
        with pytest.raises(KeyError), store.savepoint():
            store.set_meta("undone", "1")
            raise KeyError("bad answer")
    assert store.meta("kept") == "1" and store.meta("undone") is None


def test_exchange_results_for_a_prescription_and_its_chain(store):
    rx = make_prescription()
    store.save_prescription(rx)
    store.outbox.enqueue(op="dispense", subject="disp:d1", chain=f"rx:{rx.id}", payload={})
    store.results.keep(f"rx:{rx.id}", "registration", {"trackingCode": "100000000007"})
    store.results.keep("disp:d1", "receipt", {"receipt": "R1", "cost": {"insurer": 900, "patient": 100}})
    store.results.keep("disp:other", "receipt", {"receipt": "R2"})
    assert store.exchange_results_for_prescription(rx.id) == {
        f"rx:{rx.id}/registration": {"trackingCode": "100000000007"},
        "disp:d1/receipt": {"receipt": "R1", "cost": {"insurer": 900, "patient": 100}},
    }
    assert store.results.get("disp:other", "receipt") == {"receipt": "R2"}
    assert store.results.get("disp:other", "status") is None


def test_the_schema_the_repositories_rely_on(store):
    """Introspected with sqlite-utils: the outbox's columns are the row type's, the retrieval keys are
    indexed (section 9-2 step 3), and the append-only guards are in place."""
    import sqlite_utils

    from app.store.outbox import _COLUMNS

    db = sqlite_utils.Database(store.conn())
    assert tuple(db["outbox"].columns_dict) == _COLUMNS
    leading = {i.columns[0] for i in db["prescriptions"].indexes}
    assert {"patient_value", "tracking_code", "hid", "state", "prescribed_at"} <= leading
    assert {t.name for t in db["audit_log"].triggers} == {"audit_log_no_update", "audit_log_no_delete"}
    assert {t.name for t in db["outbox"].triggers} == {"outbox_no_delete"}
    assert db["exchange_results"].pks == ["subject", "kind"]
