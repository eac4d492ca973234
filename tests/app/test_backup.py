import pytest

from app.errors import StoreError, WrongPassphrase
from app.store import Store
from app.store.backup import create_backup, restore_backup, verify_backup
from tests.conftest import PASSPHRASE, make_prescription


def test_backup_restore_round_trip(store, data_dir, tmp_path):
    kept = [make_prescription() for _ in range(3)]
    for rx in kept:
        store.save_prescription(rx)
    backup = tmp_path / "clinic.nbk"
    header = create_backup(store, backup, PASSPHRASE)
    assert header["counts"]["prescriptions"] == 3
    # Plaintext never reaches the backup file either.
    assert kept[0].patient.id.value.encode() not in backup.read_bytes()

    lost = make_prescription()
    store.save_prescription(lost)  # written after the backup: the restore takes the store back
    store.close()
    result = restore_backup(backup, data_dir, PASSPHRASE)
    assert (data_dir / result["previous"].split("/")[-1]).is_dir()
    with Store.open(data_dir, PASSPHRASE) as s:
        assert {rx.id for rx in s.find_prescriptions()} == {rx.id for rx in kept}
        assert s.integrity_problems() == []
        assert s.audit.verify()[1] is None


def test_restore_onto_a_new_machine(store, tmp_path):
    rx = make_prescription()
    store.save_prescription(rx)
    create_backup(store, tmp_path / "b.nbk", PASSPHRASE)
    fresh = tmp_path / "new-machine"
    restore_backup(tmp_path / "b.nbk", fresh, PASSPHRASE)
    with Store.open(fresh, PASSPHRASE) as s:
        assert s.get_prescription(rx.id).id == rx.id


def test_restore_with_the_wrong_passphrase_changes_nothing(store, data_dir, tmp_path):
    create_backup(store, tmp_path / "b.nbk", PASSPHRASE)
    store.close()
    before = sorted(p.name for p in data_dir.iterdir())
    with pytest.raises(WrongPassphrase):
        restore_backup(tmp_path / "b.nbk", data_dir, "wrong passphrase")
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_damaged_backup_is_refused(store, tmp_path):
    path = tmp_path / "b.nbk"
    create_backup(store, path, PASSPHRASE)
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="damaged"):
        verify_backup(path, PASSPHRASE)
    path.write_bytes(b"hello")
    with pytest.raises(StoreError, match="not a Noskhe backup"):
        verify_backup(path, PASSPHRASE)
