"""The transactional outbox and the use cases that fill it (no network involved)."""

from __future__ import annotations

import pytest

from app.errors import IllegalTransition, NoskheError
from app.lifecycle import RxState
from app.services import outbox
from app.services.dispensing import DispenseLine, keep_prescription, record_dispensing
from app.services.outbox import OutboxState
from app.services.prescribing import ItemRequest, cancel_prescription, edit_prescription, write_prescription
from exchange import devworld
from tests.sync import harness


@pytest.fixture
def store(tmp_path, tokens):
    s = harness.new_store(tmp_path / "clinic", devworld.CLINIC, tokens)
    yield s
    s.close()


@pytest.fixture
def signers(tokens):
    return harness.signers_for(tokens, devworld.CLINIC)


def _write(store, signers, n=1):
    return harness.write_many(harness.workstation_over(store, *signers), n)


def test_writing_queues_eligibility_then_registration_in_one_transaction(store, signers) -> None:
    (rx,) = _write(store, signers)
    assert rx.state is RxState.QUEUED and rx.hid is None
    rows = store.outbox.for_chain(outbox.chain_of(rx.id))
    assert [r.op for r in rows] == ["eligibility", "register"]
    assert all(r.state == "pending" and r.idem_key for r in rows)
    assert len(store.signatures(rx.id, 1)) == 2


def test_a_failed_save_leaves_no_outbox_row(store, signers) -> None:
    class Boom(Exception):
        pass

    (rx,) = _write(store, signers)
    before = store.outbox.counts()

    def fail(conn):
        store.outbox.enqueue(op="edit", subject=f"rx:{rx.id}", chain=outbox.chain_of(rx.id), payload={})
        raise Boom

    with pytest.raises(Boom):
        store.save_prescription(rx, also=fail)
    assert store.outbox.counts() == before


def test_a_signing_failure_keeps_an_unsigned_draft_and_queues_nothing(store, signers) -> None:
    class BrokenSigner:
        role = signers[1].role

        def sign(self, data):
            raise NoskheError("token removed", "توکن جدا شد")

    with pytest.raises(NoskheError):
        write_prescription(
            harness.workstation_over(store, signers[0], BrokenSigner()),
            patient=harness.patients(1)[0],
            prescriber=devworld.GP,
            items=[ItemRequest("101002", 10)],
        )
    (draft,) = store.find_prescriptions()  # what the GP wrote is kept, unsigned
    assert draft.state is RxState.DRAFT and store.prescription_signatures(draft.id) == []
    assert sum(store.outbox.counts().values()) == 0


def test_rows_are_never_deleted(store, signers) -> None:
    _write(store, signers)
    with pytest.raises(Exception, match="never deleted"), store.transaction() as c:
        c.execute("DELETE FROM outbox")


def test_heads_keep_order_within_a_prescription_and_not_across(store, signers) -> None:
    a, b = _write(store, signers, 2)
    edit_prescription(harness.workstation_over(store, *signers), a.id, notes="v2")
    heads = store.outbox.heads()
    assert [(h.subject_id, h.op) for h in heads] == [(a.id, "eligibility"), (b.id, "eligibility")]
    store.outbox.finish(heads[0])
    heads = store.outbox.heads()
    assert [(h.subject_id, h.op) for h in heads] == [(a.id, "register"), (b.id, "eligibility")]


def test_edit_before_first_send_goes_out_as_register_then_edit(store, signers) -> None:
    (rx,) = _write(store, signers)
    rx2 = edit_prescription(harness.workstation_over(store, *signers), rx.id, items=[ItemRequest("103011", 5, "شب")])
    assert rx2.version == 2 and rx2.state is RxState.QUEUED
    ops = [(r.op, r.version) for r in store.outbox.for_chain(outbox.chain_of(rx.id))]
    assert ops == [("eligibility", 1), ("register", 1), ("edit", 2)]


def test_attention_rows_can_be_acknowledged_or_requeued_but_nothing_else(store, signers) -> None:
    _write(store, signers)
    row = store.outbox.heads()[0]
    with pytest.raises(NoskheError):
        store.outbox.acknowledge(row.id)
    store.outbox.hold(row, OutboxState.REJECTED, NoskheError("no", "نه"), action=("fix", "اصلاح"))
    assert [r.id for r in store.outbox.attention()] == [row.id]
    assert store.outbox.heads() == []  # the chain waits behind its rejected head
    assert store.outbox.requeue(row.id).state == "pending"
    store.outbox.hold(store.outbox.get(row.id), "conflict", NoskheError("no", "نه"))
    assert store.outbox.acknowledge(row.id).state == "acknowledged"
    assert store.outbox.heads()[0].op == "register"


def test_a_new_version_answers_an_open_rejection(store, signers) -> None:
    (rx,) = _write(store, signers)
    rows = store.outbox.for_chain(outbox.chain_of(rx.id))
    with store.transaction():
        store.outbox.finish(rows[0])
        store.outbox.hold(rows[1], OutboxState.REJECTED, NoskheError("rules", "قواعد"))
    rx = store.get_prescription(rx.id)
    rx.mark_rejected()
    store.save_prescription(rx)
    edit_prescription(harness.workstation_over(store, *signers), rx.id, items=[ItemRequest("101002", 7, "")])
    states = [(r.op, r.state) for r in store.outbox.for_chain(outbox.chain_of(rx.id))]
    assert states == [("eligibility", "done"), ("register", "acknowledged"), ("register", "pending")]


def test_cancel_is_signed_and_queued_only_if_the_exchange_will_know(store, signers) -> None:
    (rx,) = _write(store, signers)
    cancelled = cancel_prescription(harness.workstation_over(store, *signers), rx.id)
    assert cancelled.state is RxState.CANCELLED
    row = store.outbox.for_chain(outbox.chain_of(rx.id))[-1]
    assert row.op == "cancel" and row.payload["document"]["prescription"] == rx.id
    with pytest.raises(IllegalTransition):
        edit_prescription(harness.workstation_over(store, *signers), rx.id, notes="x")


def test_edit_is_refused_locally_once_dispensed(store, signers) -> None:
    (rx,) = _write(store, signers)
    rx = store.get_prescription(rx.id)
    rx.state = RxState.DISPENSED
    store.save_prescription(rx)
    with pytest.raises(IllegalTransition, match="dispensing began"):
        edit_prescription(harness.workstation_over(store, *signers), rx.id, notes="late")


def test_dispensing_is_signed_queued_and_refuses_a_line_twice(tmp_path, tokens) -> None:
    store = harness.new_store(tmp_path / "pharmacy", devworld.PHARMACY, tokens)
    signers = harness.signers_for(tokens, devworld.PHARMACY)
    (rx,) = harness.write_many(harness.new_workstation(tmp_path / "c", devworld.CLINIC, tokens), 1)
    rx.state, rx.tracking_code = RxState.REGISTERED, "100000000007"
    keep_prescription(store, rx, source="retrieved")
    d = record_dispensing(
        store,
        rx.id,
        pharmacist=devworld.PHARMACISTS["noskhe-pharmacist"],
        lines=[DispenseLine.parse("1:10:1234567890123456")],
        signers=signers,
        claim="secret",
    )
    assert d.state == "queued" and d.items[0].quantity == 10
    assert store.get_prescription(rx.id).state is RxState.PARTIALLY_DISPENSED
    (row,) = store.outbox.for_chain(outbox.chain_of(rx.id))
    assert row.op == "dispense" and row.payload["claim"] == "secret"
    rest = record_dispensing(  # the rest of line 1, later: what remains of it
        store,
        rx.id,
        pharmacist=devworld.PHARMACISTS["noskhe-pharmacist"],
        lines=[DispenseLine.parse("1::1234567890123457")],
        signers=signers,
    )
    assert rest.items[0].quantity == rx.items[0].quantity - 10
    assert store.get_prescription(rx.id).dispensed_of(1) == rx.items[0].quantity
    with pytest.raises(NoskheError, match="already dispensed"):
        record_dispensing(
            store,
            rx.id,
            pharmacist=devworld.PHARMACISTS["noskhe-pharmacist"],
            lines=[DispenseLine(1)],
            signers=signers,
        )
    with pytest.raises(NoskheError, match="prescribed"):
        record_dispensing(
            store,
            rx.id,
            pharmacist=devworld.PHARMACISTS["noskhe-pharmacist"],
            lines=[DispenseLine(2, 999)],
            signers=signers,
        )
    store.close()


def test_states_are_an_enum_stored_and_shown_as_before(store, signers) -> None:
    (rx,) = _write(store, signers)
    row = store.outbox.for_chain(outbox.chain_of(rx.id))[0]
    assert row.state is OutboxState.PENDING and row.state == "pending" and f"{row.state:<8}|" == "pending |"
    (raw,) = store.conn().execute("SELECT DISTINCT state FROM outbox").fetchone()
    assert raw == "pending" and type(raw) is str
    assert list(store.outbox.counts()) == list(outbox.STATES)
    assert store.outbox.counts()["pending"] == 2
    assert [s.value for s in OutboxState if s.needs_attention] == ["rejected", "conflict", "quarantined"]
    assert [s.value for s in OutboxState if s.terminal] == ["done", "acknowledged"]


def test_only_a_state_that_needs_attention_can_hold_a_row(store, signers) -> None:
    _write(store, signers)
    row = store.outbox.heads()[0]
    with pytest.raises(ValueError):
        store.outbox.hold(row, OutboxState.DONE, NoskheError("no", "نه"))
    assert store.outbox.get(row.id).state is OutboxState.PENDING
