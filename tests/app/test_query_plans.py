"""Every list and lookup the desktop and the sync make is served by an index: each statement they run is
captured as SQLite runs it and its `EXPLAIN QUERY PLAN` is checked — no full SCAN of a big table, and no
sort of a whole table for a newest-first list. (How fast is `bench/bench_store.py`'s business, not a test's.)
Also: documents are kept compressed, and rows written before compression still read."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

import pytest

from app.domain import IRAN_TZ
from app.lifecycle import RxState
from app.store import Store, reports
from app.store.outbox import chain_of
from app.store.packing import MARKER, pack, unpack
from tests.conftest import make_patient, make_prescription

BIG = (
    "prescriptions",
    "prescription_versions",
    "dispensings",
    "signatures",
    "outbox",
    "audit_log",
    "exchange_results",
    "patients",
)
#: statements that may scan: the audit log's append reads its last row (rowid order, LIMIT 1)
ALLOWED = (re.compile(r"FROM audit_log ORDER BY seq DESC LIMIT 1"),)
#: lookups by a key that names one prescription (or a handful): sorting what they find costs nothing
FEW = ("by tracking code", "by HID")


def _captured(store: Store, work: Callable[[], object]) -> list[str]:
    seen: list[str] = []
    conn = store.conn()
    conn.set_trace_callback(seen.append)  # type: ignore[attr-defined]
    try:
        work()
    finally:
        conn.set_trace_callback(None)  # type: ignore[attr-defined]
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH"))]


def _plan(store: Store, sql: str) -> list[str]:
    return [str(r[3]) for r in store.conn().execute("EXPLAIN QUERY PLAN " + sql).fetchall()]


def _problems(store: Store, sql: str, *, few: bool = False) -> list[str]:
    if any(a.search(sql) for a in ALLOWED):
        return []
    out = []
    for step in _plan(store, sql):
        m = re.match(r"SCAN (\w+)", step)
        if m and m.group(1) in BIG and "INDEX" not in step:
            out.append(step)
        if "USE TEMP B-TREE FOR ORDER BY" in step and "LIMIT" in sql.upper() and not few:
            out.append(step)
    return out


@pytest.fixture
def filled(store: Store) -> Store:
    patient = make_patient()
    for i in range(30):
        rx = make_prescription(patient if i % 3 == 0 else None)
        rx.prescribed_at = dt.datetime(2026, 1, 1, 9, tzinfo=IRAN_TZ) + dt.timedelta(hours=7 * i)
        rx.tracking_code = f"T{i:07d}" if i % 2 else None
        store.save_prescription(rx)
        store.outbox.enqueue(op="eligibility", subject=f"rx:{rx.id}", chain=chain_of(rx.id), payload={"i": i})
        store.outbox.enqueue(op="register", subject=f"rx:{rx.id}", chain=chain_of(rx.id), payload={"i": i})
    return store


def _lists(store: Store) -> dict[str, Callable[[], object]]:
    rx = store.find_prescriptions(limit=1)[0]
    value = rx.patient.id.value
    day = dt.datetime(2026, 1, 3, tzinfo=IRAN_TZ)
    p = store.prescriptions
    month = dt.timedelta(days=30)
    return {
        "newest first": lambda: p.find(limit=500),
        "today's": lambda: p.find(since=day, until=day + dt.timedelta(days=1), limit=500),
        "date range": lambda: p.find(since=day, until=day + dt.timedelta(days=30), limit=500),
        "by state": lambda: p.find(states=(RxState.QUEUED.value,), limit=500),
        "by state, today's": lambda: p.find(
            states=(RxState.QUEUED.value,), since=day, until=day + dt.timedelta(days=1), limit=500
        ),
        "by patient": lambda: p.find(patient_value=value, limit=500),
        "by patient and state": lambda: p.find(patient_value=value, states=(RxState.QUEUED.value,)),
        "by tracking code": lambda: p.find(tracking_code="T0000001", limit=1),
        "by HID": lambda: p.find(hid="H1", limit=1),
        "one prescription": lambda: (store.get_prescription(rx.id), store.prescription_signatures(rx.id)),
        "what the exchange answered": lambda: store.exchange_results_for_prescription(rx.id),
        "settled": lambda: p.settled_ids((RxState.REGISTERED.value,), 100),
        "outbox heads": lambda: store.outbox.heads(limit=50),
        "outbox next due": lambda: store.outbox.next_due(),
        "outbox of a prescription": lambda: store.outbox.for_chain(chain_of(rx.id)),
        "outbox of a subject": lambda: store.outbox.for_subject(f"rx:{rx.id}"),
        "outbox needing attention": lambda: store.outbox.attention(),
        "oldest pending": lambda: store.outbox.oldest_pending_created_at(),
        "audit by patient": lambda: store.audit.entries(patient=str(rx.patient.id), limit=100),
        "report: prescriptions per day": lambda: reports.prescription_times(store, day, day + month),
        "report: dispensings per day": lambda: reports.dispensing_times(store, day, day + month),
        "report: prescriptions in a range": lambda: reports.prescriptions_between(store, day, day + month),
        "report: by state in a range": lambda: reports.prescriptions_between(
            store, day, day + month, states=(RxState.QUEUED.value,)
        ),
        "report: a patient's": lambda: reports.prescriptions_between(store, None, None, patient_value=value),
        "report: dispensings in a range": lambda: reports.dispensings_between(store, day, day + month),
        "report: a statement's prescriptions": lambda: reports.prescriptions_by_id(store, [rx.id, "x"]),
    }


def test_every_list_and_lookup_uses_an_index(filled: Store) -> None:
    failures = {}
    for label, work in _lists(filled).items():
        statements = _captured(filled, work)
        assert statements, label
        for sql in statements:
            if problems := _problems(filled, sql, few=label in FEW):
                failures[label] = (sql, problems)
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


def test_the_plan_checker_sees_a_full_scan(filled: Store) -> None:
    assert _problems(
        filled, "SELECT id FROM prescriptions WHERE updated_at > '2026' ORDER BY updated_at LIMIT 5"
    )


def test_documents_are_kept_compressed_and_read_back(filled: Store) -> None:
    c = filled.conn()
    doc = c.execute("SELECT document FROM prescriptions LIMIT 1").fetchone()[0]
    assert isinstance(doc, bytes) and doc.startswith(MARKER)
    payload = c.execute("SELECT payload FROM outbox LIMIT 1").fetchone()[0]
    assert bytes(payload).startswith(MARKER)
    big = {"items": [{"name": "آموکسی‌سیلین ۵۰۰", "qty": i} for i in range(50)]}
    assert unpack(pack(big)) == big and len(pack(big)) < len(json.dumps(big, ensure_ascii=False).encode()) / 3


def test_rows_written_before_compression_still_read(filled: Store) -> None:
    """A store written by schema 3 kept TEXT JSON; its rows read unchanged next to compressed ones."""
    c = filled.conn()
    rx = make_prescription()
    filled.save_prescription(rx)
    old_doc = json.dumps(rx.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    with filled.transaction():
        c.execute("UPDATE prescriptions SET document = ? WHERE id = ?", (old_doc, rx.id))
        c.execute(
            "INSERT INTO outbox (id, chain, subject, op, idem_key, payload, created_at, updated_at)"
            " VALUES ('old', ?, ?, 'eligibility', 'k-old', ?, 'x', 'x')",
            (chain_of(rx.id), f"rx:{rx.id}", json.dumps({"old": True})),
        )
    assert isinstance(
        c.execute("SELECT document FROM prescriptions WHERE id = ?", (rx.id,)).fetchone()[0], str
    )
    assert filled.get_prescription(rx.id).to_dict() == rx.to_dict()
    assert rx.id in {r.id for r in filled.find_prescriptions(limit=100)}
    assert filled.outbox.get("old").payload == {"old": True}


def test_migration_keeps_every_old_row_readable(tmp_path, monkeypatch) -> None:
    """A schema-3 store (TEXT JSON documents) upgraded to the latest schema: every row reads as written."""
    from app.store import db, schema
    from tests.conftest import PASSPHRASE

    monkeypatch.setattr(db, "MIGRATIONS", schema.MIGRATIONS[:3])
    monkeypatch.setattr(db, "LATEST", 3)
    path = tmp_path / "old"
    old = Store.create(
        path, PASSPHRASE, role="clinic", facility="12345678", kdf_log2_n=10, seed_reference_data=False
    )
    rxs = [make_prescription() for _ in range(3)]

    def text(obj: object) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    with old.transaction() as c:
        for rx in rxs:
            c.execute(
                "INSERT INTO prescriptions (id, version, state, patient_kind, patient_value, hid, tracking_code,"
                " prescribed_at, updated_at, document) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    rx.id,
                    rx.version,
                    rx.state.value,
                    rx.patient.id.kind,
                    rx.patient.id.value,
                    None,
                    None,
                    rx.prescribed_at.isoformat(),
                    "2026-01-01",
                    text(rx.to_dict()),
                ),
            )
            c.execute(
                "INSERT INTO prescription_versions VALUES (?,?,?,?)", (rx.id, 1, text(rx.document()), "x")
            )
            c.execute(
                "INSERT INTO outbox (id, chain, subject, op, idem_key, payload, created_at, updated_at)"
                " VALUES (?, ?, ?, 'eligibility', ?, ?, 'x', 'x')",
                (rx.id, chain_of(rx.id), f"rx:{rx.id}", f"k-{rx.id}", text({"visit": rx.id})),
            )
    assert old.schema_version() == 3
    old.close()
    monkeypatch.undo()

    store = Store.open(path, PASSPHRASE)
    try:
        assert store.schema_version() == schema.LATEST >= 4
        for rx in rxs:
            assert store.get_prescription(rx.id).to_dict() == rx.to_dict()
            assert store.outbox.for_chain(chain_of(rx.id))[0].payload == {"visit": rx.id}
        assert {r.id for r in store.find_prescriptions(limit=10)} == {r.id for r in rxs}
        # saved again: the same prescription is now kept compressed, and still reads the same
        store.save_prescription(rxs[0])
        raw = (
            store.conn()
            .execute("SELECT document FROM prescriptions WHERE id = ?", (rxs[0].id,))
            .fetchone()[0]
        )
        assert bytes(raw).startswith(MARKER)
        assert store.get_prescription(rxs[0].id).to_dict() == rxs[0].to_dict()
    finally:
        store.close()
