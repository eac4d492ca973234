"""The prescription lifecycle as an explicit state machine.

    draft ──sign──▶ signed ──queue──▶ queued ──register──▶ registered ──dispense──▶ partially dispensed
                      │                  │                     │                          │
                      │               reject                   └──────dispense_all────────┴──▶ dispensed
                      └── dispense / dispense_all (a paper copy at a pharmacy) ──▶ partially dispensed / dispensed

`edit` is allowed until the first dispensing: it makes a new version in `draft` that must be signed again.
`cancel` is allowed until the first dispensing. A pharmacy's copy read from a paper prescription is kept
`signed` (the exchange has not vouched for it yet) and may be dispensed from there too (section 12).
A prescription stays `partially dispensed` until every unit of every line is handed over. Everything not in
the table raises `IllegalTransition`. The exchange's verdicts (cancelled, dispensed elsewhere) are adopted
by `Prescription.reconcile`, not through this table: the table guards what a person may do, not the news.
"""

from __future__ import annotations

from enum import Enum

from app.errors import IllegalTransition


class RxState(str, Enum):
    DRAFT = "draft"
    SIGNED = "signed"
    QUEUED = "queued"
    REGISTERED = "registered"
    REJECTED = "rejected"
    PARTIALLY_DISPENSED = "partially_dispensed"
    DISPENSED = "dispensed"
    CANCELLED = "cancelled"


class RxEvent(str, Enum):
    SIGN = "sign"
    QUEUE = "queue"
    REGISTER = "register"
    REJECT = "reject"
    DISPENSE_PART = "dispense_part"
    DISPENSE_ALL = "dispense_all"
    EDIT = "edit"
    CANCEL = "cancel"


S, E = RxState, RxEvent
_BEFORE_DISPENSING = (S.DRAFT, S.SIGNED, S.QUEUED, S.REGISTERED, S.REJECTED)

TRANSITIONS: dict[tuple[RxState, RxEvent], RxState] = {
    (S.DRAFT, E.SIGN): S.SIGNED,
    (S.SIGNED, E.QUEUE): S.QUEUED,
    (S.QUEUED, E.REGISTER): S.REGISTERED,
    (S.QUEUED, E.REJECT): S.REJECTED,
    (S.SIGNED, E.DISPENSE_PART): S.PARTIALLY_DISPENSED,  # a paper copy at a pharmacy
    (S.SIGNED, E.DISPENSE_ALL): S.DISPENSED,
    (S.REGISTERED, E.DISPENSE_PART): S.PARTIALLY_DISPENSED,
    (S.REGISTERED, E.DISPENSE_ALL): S.DISPENSED,
    (S.PARTIALLY_DISPENSED, E.DISPENSE_PART): S.PARTIALLY_DISPENSED,
    (S.PARTIALLY_DISPENSED, E.DISPENSE_ALL): S.DISPENSED,
    **{(s, E.EDIT): S.DRAFT for s in _BEFORE_DISPENSING},
    **{(s, E.CANCEL): S.CANCELLED for s in _BEFORE_DISPENSING},
}

STATE_FA = {
    S.DRAFT: "پیش‌نویس",
    S.SIGNED: "امضاشده",
    S.QUEUED: "در صف ارسال",
    S.REGISTERED: "ثبت‌شده",
    S.REJECTED: "ردشده",
    S.PARTIALLY_DISPENSED: "بخشی پیچیده‌شده",
    S.DISPENSED: "پیچیده‌شده",
    S.CANCELLED: "ابطال‌شده",
}
EVENT_FA = {
    E.SIGN: "امضا",
    E.QUEUE: "ارسال",
    E.REGISTER: "ثبت",
    E.REJECT: "رد",
    E.DISPENSE_PART: "نسخه‌پیچی بخشی",
    E.DISPENSE_ALL: "نسخه‌پیچی کامل",
    E.EDIT: "ویرایش",
    E.CANCEL: "ابطال",
}


def next_state(state: RxState, event: RxEvent) -> RxState:
    """The state after `event`, or `IllegalTransition` with the reason in both languages."""
    try:
        return TRANSITIONS[(RxState(state), RxEvent(event))]
    except KeyError:
        pass
    state, event = RxState(state), RxEvent(event)
    if event in (E.EDIT, E.CANCEL) and state in (S.PARTIALLY_DISPENSED, S.DISPENSED):
        en = f"A prescription cannot be {'edited' if event is E.EDIT else 'cancelled'} once dispensing began."
        fa = f"نسخه‌ای که نسخه‌پیچی آن آغاز شده قابل {EVENT_FA[event]} نیست."
    else:
        en = f"Cannot {event.value.replace('_', ' ')} a prescription that is {state.value.replace('_', ' ')}."
        fa = f"{EVENT_FA[event]} نسخه در وضعیت «{STATE_FA[state]}» ممکن نیست."
    raise IllegalTransition(en, fa, state=state.value, event=event.value)
