"""The transactional outbox and the use cases that fill it (no network involved)."""

from __future__ import annotations

import pytest

from app.errors import IllegalTransition, NoskheError
from app.lifecycle import RxState
from app.services import outbox
from app.services.dispensing import DispenseLine, keep_prescription, record_dispensing
from app.services.outbox import Outbox
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
    return harness.write_many(store, n, signers)


def test_writing_queues_eligibility_then_registration_in_one_transaction(store, signers) -> None:
    (rx,) = _write(store, signers)
    assert rx.state is RxState.QUEUED and rx.hid is None
    rows = Outbox(store).for_chain(outbox.chain_of(rx.id))
    assert [r.op for r in rows] == ["eligibility", "register"]
    assert all(r.state == "pending" and r.idem_key for r in rows)
    assert len(store.signatures(rx.id, 1)) == 2


def test_a_failed_save_leaves_no_outbox_row(store, signers) -> None:
    class Boom(Exception):
        pass

    (rx,) = _write(store, signers)
    before = Outbox(store).counts()

    def fail(conn):
        outbox.enqueue(conn, op="edit", subject=f"rx:{rx.id}", chain=outbox.chain_of(rx.id), payload={})
        raise Boom

    with pytest.raises(Boom):
        store.save_prescription(rx, also=fail)
    assert Outbox(store).counts() == before


def test_a_signing_failure_keeps_an_unsigned_draft_and_queues_nothing(store, signers) -> None:
    class BrokenSigner:
        role = signers[1].role

        def sign(self, data):
            raise NoskheError("token removed", "توکن جدا شد")

    with pytest.raises(NoskheError):
        write_prescription(
            store,
            patient=harness.patients(1)[0],
            prescriber=devworld.GP,
            items=[ItemRequest("101002", 10)],
            signers=[signers[0], BrokenSigner()],
        )
    (draft,) = store.find_prescriptions()  # what the GP wrote is kept, unsigned
    assert draft.state is RxState.DRAFT and store.prescription_signatures(draft.id) == []
    assert sum(Outbox(store).counts().values()) == 0


def test_rows_are_never_deleted(store, signers) -> None:
    _write(store, signers)
    with pytest.raises(Exception, match="never deleted"), store.transaction() as c:
        c.execute("DELETE FROM outbox")


def test_heads_keep_order_within_a_prescription_and_not_across(store, signers) -> None:
    a, b = _write(store, signers, 2)
    edit_prescription(store, a.id, signers=signers, notes="v2")
    heads = Outbox(store).heads()
    assert [(h.subject_id, h.op) for h in heads] == [(a.id, "eligibility"), (b.id, "eligibility")]
    with store.transaction() as c:
        Outbox.finish(c, heads[0])
    heads = Outbox(store).heads()
    assert [(h.subject_id, h.op) for h in heads] == [(a.id, "register"), (b.id, "eligibility")]


def test_edit_before_first_send_goes_out_as_register_then_edit(store, signers) -> None:
    (rx,) = _write(store, signers)
    rx2 = edit_prescription(store, rx.id, signers=signers, items=[ItemRequest("103011", 5, "شب")])
    assert rx2.version == 2 and rx2.state is RxState.QUEUED
    ops = [(r.op, r.version) for r in Outbox(store).for_chain(outbox.chain_of(rx.id))]
    assert ops == [("eligibility", 1), ("register", 1), ("edit", 2)]


def test_attention_rows_can_be_acknowledged_or_requeued_but_nothing_else(store, signers) -> None:
    _write(store, signers)
    row = Outbox(store).heads()[0]
    with pytest.raises(NoskheError):
        Outbox(store).acknowledge(row.id)
    with store.transaction() as c:
        Outbox.hold(c, row, "rejected", NoskheError("no", "نه"), action=("fix", "اصلاح"))
    assert [r.id for r in Outbox(store).attention()] == [row.id]
    assert Outbox(store).heads() == []  # the chain waits behind its rejected head
    assert Outbox(store).requeue(row.id).state == "pending"
    with store.transaction() as c:
        Outbox.hold(c, Outbox(store).get(row.id), "conflict", NoskheError("no", "نه"))
    assert Outbox(store).acknowledge(row.id).state == "acknowledged"
    assert Outbox(store).heads()[0].op == "register"


def test_a_new_version_answers_an_open_rejection(store, signers) -> None:
    (rx,) = _write(store, signers)
    rows = Outbox(store).for_chain(outbox.chain_of(rx.id))
    with store.transaction() as c:
        Outbox.finish(c, rows[0])
        Outbox.hold(c, rows[1], "rejected", NoskheError("rules", "قواعد"))
    rx = store.get_prescription(rx.id)
    rx.mark_rejected()
    store.save_prescription(rx)
    edit_prescription(store, rx.id, signers=signers, items=[ItemRequest("101002", 7, "")])
    states = [(r.op, r.state) for r in Outbox(store).for_chain(outbox.chain_of(rx.id))]
    assert states == [("eligibility", "done"), ("register", "acknowledged"), ("register", "pending")]


def test_cancel_is_signed_and_queued_only_if_the_exchange_will_know(store, signers) -> None:
    (rx,) = _write(store, signers)
    cancelled = cancel_prescription(store, rx.id, signer=signers[0])
    assert cancelled.state is RxState.CANCELLED
    row = Outbox(store).for_chain(outbox.chain_of(rx.id))[-1]
    assert row.op == "cancel" and row.payload["document"]["prescription"] == rx.id
    with pytest.raises(IllegalTransition):
        edit_prescription(store, rx.id, signers=signers, notes="x")


def test_edit_is_refused_locally_once_dispensed(store, signers) -> None:
    (rx,) = _write(store, signers)
    rx = store.get_prescription(rx.id)
    rx.state = RxState.DISPENSED
    store.save_prescription(rx)
    with pytest.raises(IllegalTransition, match="dispensing began"):
        edit_prescription(store, rx.id, signers=signers, notes="late")


def test_dispensing_is_signed_queued_and_refuses_a_line_twice(tmp_path, tokens) -> None:
    store = harness.new_store(tmp_path / "pharmacy", devworld.PHARMACY, tokens)
    signers = harness.signers_for(tokens, devworld.PHARMACY)
    (rx,) = harness.write_many(
        harness.new_store(tmp_path / "c", devworld.CLINIC, tokens),
        1,
        harness.signers_for(tokens, devworld.CLINIC),
    )
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
    (row,) = Outbox(store).for_chain(outbox.chain_of(rx.id))
    assert row.op == "dispense" and row.payload["claim"] == "secret"
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
