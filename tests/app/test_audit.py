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
    row = dict(zip(
        ("seq", "at", "user", "role", "facility", "action", "patient", "object", "outcome"),
        c.execute("SELECT seq, at, user, role, facility, action, patient, object, outcome FROM audit_log WHERE seq=3").fetchone(),
    ))
    prev = c.execute("SELECT prev_hash FROM audit_log WHERE seq = 3").fetchone()[0]
    row["user"] = "forger"
    c.execute("UPDATE audit_log SET user = 'forger', hash = ? WHERE seq = 3", (audit.row_hash(prev, row),))
    _, problem = logged.audit.verify()
    assert problem.seq == 4
