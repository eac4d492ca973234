import itertools

import pytest

from app.errors import IllegalTransition
from app.lifecycle import TRANSITIONS, RxEvent, RxState, next_state
from tests.conftest import make_prescription

ILLEGAL = [(s, e) for s, e in itertools.product(RxState, RxEvent) if (s, e) not in TRANSITIONS]


@pytest.mark.parametrize("state,event", ILLEGAL, ids=[f"{s.value}-{e.value}" for s, e in ILLEGAL])
def test_every_illegal_transition_raises(state, event):
    with pytest.raises(IllegalTransition) as exc:
        next_state(state, event)
    assert exc.value.en and exc.value.fa


def test_happy_path_with_partial_dispensing():
    rx = make_prescription(n_items=2)
    rx.mark_signed()
    rx.mark_queued()
    rx.mark_registered("000000000018")
    rx.record_dispensing([1])
    assert rx.state is RxState.PARTIALLY_DISPENSED
    with pytest.raises(IllegalTransition, match="dispensing began"):
        rx.edit(notes="changed")
    with pytest.raises(IllegalTransition, match="dispensing began"):
        rx.cancel()
    rx.record_dispensing([2])
    assert rx.state is RxState.DISPENSED and rx.dispensed_lines == [1, 2]


def test_edit_after_signing_makes_a_new_unsigned_version():
    rx = make_prescription()
    rx.mark_signed()
    rx.mark_queued()
    rx.edit(notes="dose changed")
    assert rx.state is RxState.DRAFT and rx.version == 2
    rx.edit(notes="again")  # editing a draft keeps its version
    assert rx.version == 2


def test_cancel_until_first_dispensing():
    for steps in ([], ["mark_signed"], ["mark_signed", "mark_queued"]):
        rx = make_prescription()
        for step in steps:
            getattr(rx, step)()
        rx.cancel()
        assert rx.state is RxState.CANCELLED
        with pytest.raises(IllegalTransition):
            rx.edit(notes="x")


def test_signing_needs_items():
    rx = make_prescription(n_items=0)
    with pytest.raises(Exception, match="at least one item"):
        rx.mark_signed()


def test_reconcile_adopts_the_exchange_record_but_never_undoes_dispensing():
    rx = make_prescription(n_items=2)
    rx.mark_signed()
    rx.mark_queued()
    rx.reconcile("dispensed", [1, 2])  # dispensed elsewhere while our copy was still queued
    assert rx.state is RxState.DISPENSED and rx.dispensed_lines == [1, 2]
    rx.reconcile("partially_dispensed", [1])
    assert rx.state is RxState.DISPENSED and rx.dispensed_lines == [1, 2]
    with pytest.raises(IllegalTransition):
        rx.edit(notes="too late")
