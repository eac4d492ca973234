import pytest

from app import audit
from tests.conftest import make_prescription


@pytest.fixture
def logged(store):
    store.as_user("dr.rezaei")
    rxs = [make_prescription() for _ in range(3)]
    for rx in rxs:
        store.save_prescription(rx)
        store.get_prescription(rx.id)
    c = store.conn()
    count, problem = store.audit.verify()
    assert problem is None and count == 6
    # What an attacker with the key would do first: remove the application's guards.
    c.execute("DROP TRIGGER audit_log_no_update")
    c.execute("DROP TRIGGER audit_log_no_delete")
    return store


def test_reads_and_writes_record_who_what_whom(store):
    store.as_user("dr.rezaei")
    rx = make_prescription()
    store.save_prescription(rx)
    store.get_prescription(rx.id)
    rows = store.audit.entries(patient=str(rx.patient.id))
    assert [r["action"] for r in rows] == ["prescription.read", "prescription.save"]
    assert all(r["user"] == "dr.rezaei" and r["role"] == "clinic" and r["facility"] == "12345678" for r in rows)


def test_the_log_refuses_updates_and_deletes(store):
    store.save_prescription(make_prescription())
    with pytest.raises(Exception, match="append-only"):
        store.conn().execute("UPDATE audit_log SET user = 'x'")
    with pytest.raises(Exception, match="append-only"):
        store.conn().execute("DELETE FROM audit_log")


def test_edited_row_is_caught(logged):
    logged.conn().execute("UPDATE audit_log SET user = 'someone-else' WHERE seq = 3")
    _, problem = logged.audit.verify()
    assert problem.seq == 3 and "altered" in problem.reason_en


def test_deleted_row_is_caught(logged):
    logged.conn().execute("DELETE FROM audit_log WHERE seq = 2")
    _, problem = logged.audit.verify()
    assert problem.seq == 2 and "missing" in problem.reason_en


def test_swapped_rows_are_caught(logged):
    c = logged.conn()
    c.execute("UPDATE audit_log SET seq = -2 WHERE seq = 2")
    c.execute("UPDATE audit_log SET seq = 2 WHERE seq = 4")
    c.execute("UPDATE audit_log SET seq = 4 WHERE seq = -2")
    _, problem = logged.audit.verify()
    assert problem.seq == 2


def test_rows_cut_off_the_end_are_caught(logged):
    logged.conn().execute("DELETE FROM audit_log WHERE seq = 6")
    _, problem = logged.audit.verify()
    assert problem is not None and "written up to row 6" in problem.reason_en


def test_rehashing_one_row_breaks_the_next(logged):
    c = logged.conn()
    columns = audit.COLUMNS + audit.PERSON_COLUMNS
    row = dict(zip(columns, c.execute(f"SELECT {', '.join(columns)} FROM audit_log WHERE seq=3").fetchone()))
    prev = c.execute("SELECT prev_hash FROM audit_log WHERE seq = 3").fetchone()[0]
    row["user"] = "forger"
    c.execute("UPDATE audit_log SET user = 'forger', hash = ? WHERE seq = 3", (audit.row_hash(prev, row),))
    _, problem = logged.audit.verify()
    assert problem.seq == 4


def test_rows_name_the_logged_in_person_and_the_workstation(store):
    store.save_prescription(make_prescription())  # nobody logged in: the row says so
    store.audit.person = audit.Person("0012345679", "MC-123456", "Dr Test")
    rx = make_prescription()
    store.save_prescription(rx)
    first, second = reversed(store.audit.entries(limit=2))
    assert (first["person"], first["licence"]) == (audit.NO_PERSON, "")
    assert (second["person"], second["licence"]) == ("0012345679", "MC-123456")
    assert second["workstation"] and second["workstation"] == first["workstation"]
    assert store.audit.verify() == (2, None)


def test_emptying_the_person_of_a_row_is_caught(store):
    store.audit.person = audit.Person("0012345679", "MC-123456")
    store.save_prescription(make_prescription())
    store.save_prescription(make_prescription())
    c = store.conn()
    c.execute("DROP TRIGGER audit_log_no_update")
    c.execute("UPDATE audit_log SET person = NULL, licence = NULL, workstation = NULL WHERE seq = 1")
    _, problem = store.audit.verify()
    assert problem is not None and problem.seq == 1


def test_rows_from_before_schema_5_still_verify(store):
    """A row written by the previous release has no person columns: its hash, made without them, holds."""
    c = store.conn()
    old = {"seq": 1, "at": "2026-11-01T08:00:00.000000+00:00", "user": "os-user", "role": "clinic",
           "facility": "12345678", "action": "prescription.read", "patient": None, "object": None,
           "outcome": "ok"}
    h = audit.row_hash(audit.GENESIS, old)
    c.execute(f"INSERT INTO audit_log ({', '.join(audit.COLUMNS)}, prev_hash, hash) VALUES ({','.join('?' * 11)})",
              (*old.values(), audit.GENESIS, h))
    store.set_meta("audit_head", f"1:{h}")
    store.audit.person = audit.Person("0012345679", "MC-123456")
    store.save_prescription(make_prescription())
    assert store.audit.verify() == (2, None)
