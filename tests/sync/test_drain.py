"""Delivery: backoff, retries with the same key, quarantine that blocks nothing else, offline, locking."""

from __future__ import annotations

import random
import threading

import pytest

from app.services.outbox import Outbox, chain_of
from sync import results
from sync.client import Reply
from sync.drain import Backoff, Drainer
from sync.status import is_online
from tests.sync import harness


class Recording:
    """The real client, recording every idempotency key sent and answering 500 for poisoned subjects."""

    def __init__(self, client, poisoned: set[str] = frozenset()):  # type: ignore[assignment]
        self.client, self.poisoned, self.keys = client, poisoned, []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def _poisoned(self, body) -> bool:
        return any(p in repr(body) for p in self.poisoned)

    def call(self, method, path, *, body=None, headers=None, **kw):
        if path != "/batch":
            self.keys.append(headers["Idempotency-Key"])
            if self._poisoned(body):
                return Reply(500, None, {})
            return self.client.call(method, path, body=body, headers=headers, **kw)
        entries = body["entry"]
        self.keys += [e["request"]["ifNoneExist"].split("=", 1)[1] for e in entries]
        keep = [e for e in entries if not self._poisoned(e)]
        reply = self.client.call(method, path, body={**body, "entry": keep}, headers=headers, **kw)
        answers = iter(reply.body["entry"])
        merged = [
            {"response": {"status": "500 Internal Server Error"}} if self._poisoned(e) else next(answers)
            for e in entries
        ]
        return Reply(reply.status, {**reply.body, "entry": merged}, reply.headers)


def drainer(store, client, **kw):
    kw.setdefault("backoff", Backoff(0.01, 0.05))
    kw.setdefault("patience", 1.0)
    return Drainer(store, client, **kw)


def test_full_jitter_stays_within_its_capped_exponential_bound() -> None:
    b = Backoff(base=1.0, cap=60.0)
    rng = random.Random(7)
    for attempts in range(12):
        bound = min(60.0, 2.0**attempts)
        delays = [b.delay(attempts, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # spread over the whole range, not just near the bound


def test_keys_are_chosen_before_the_first_send_and_reused_on_every_retry(
    exchange, clinic, clinic_client, clinic_ws
) -> None:
    with harness.exchange_down(exchange):  # written offline: eligibility and registration queued
        (rx,) = harness.write_many(clinic_ws, 1)
    stored = {r.op: r.idem_key for r in Outbox(clinic).for_chain(chain_of(rx.id))}
    rec = Recording(clinic_client)
    exchange.faults(drop_rate=1.0)  # every answer lost after the work is committed
    report = drainer(clinic, rec, max_unreachable=2).drain()
    assert report.offline and report.done == 0
    exchange.faults(drop_rate=0.0)
    assert drainer(clinic, rec).drain().done == 2
    assert set(rec.keys) == set(stored.values()) and len(rec.keys) > 2
    stats = exchange.stats()
    assert stats["prescriptions"] == 1 and stats["hids"] == 1 and stats["duplicate_registrations"] == 0
    rows = Outbox(clinic).for_chain(chain_of(rx.id))
    assert all(r.state == "done" for r in rows) and rows[0].attempts >= 2


@pytest.mark.parametrize("batch", [1, 10])
def test_an_item_that_keeps_failing_is_quarantined_and_blocks_nothing_else(
    clinic, clinic_client, clinic_ws, batch
) -> None:
    rxs = harness.write_many(clinic_ws, 4)
    bad = rxs[1]
    rec = Recording(clinic_client, poisoned={bad.id})
    report = drainer(clinic, rec, batch_size=batch, max_failures=3, max_sends_per_drain=10).drain()
    assert report.quarantined == 1
    assert [clinic.get_prescription(r.id).state.value for r in rxs] == [
        "registered",
        "queued",
        "registered",
        "registered",
    ]
    (held,) = Outbox(clinic).attention()
    assert held.state == "quarantined" and held.subject == f"rx:{bad.id}" and held.failures == 2
    assert "500" in held.reason_en and held.action_en
    # the person re-queues it once the cause is gone
    Outbox(clinic).requeue(held.id)
    assert drainer(clinic, clinic_client).drain().by_op == {"register": 1}
    assert clinic.get_prescription(bad.id).state.value == "registered"


def test_unreachable_exchange_marks_offline_and_keeps_everything(tokens, exchange, clinic, clinic_ws) -> None:
    with harness.exchange_down(exchange):  # written offline: eligibility and registration queued
        harness.write_many(clinic_ws, 2)
    client = harness.client_for(clinic, "http://127.0.0.1:9", clinic_ws.seal(), timeout=(0.5, 0.5))
    report = drainer(clinic, client, max_unreachable=2).drain()
    assert report.offline and report.done == 0 and report.remaining == 4
    assert is_online(clinic) is False
    rows = Outbox(clinic).heads(now=1e12)
    assert all(r.attempts >= 1 and r.failures == 0 for r in rows)
    assert Outbox(clinic).due_now() == 4


def test_an_answer_that_cannot_be_applied_quarantines_only_its_row(
    monkeypatch, exchange, clinic, clinic_client, clinic_ws
) -> None:
    with harness.exchange_down(exchange):  # written offline: eligibility and registration queued
        a, b = harness.write_many(clinic_ws, 2)
    real = results.applied

    def flaky(store, row, body):
        if row.subject_id == a.id and row.op == "register":
            raise KeyError("trackingCode")
        return real(store, row, body)

    monkeypatch.setattr(results, "applied", flaky)
    report = drainer(clinic, clinic_client).drain()
    assert report.quarantined == 1 and report.done == 3
    assert clinic.get_prescription(b.id).state.value == "registered"
    assert "could not be applied" in Outbox(clinic).attention()[0].reason_en


def test_one_drain_at_a_time(clinic, clinic_client, clinic_ws) -> None:
    harness.write_many(clinic_ws, 1)
    gate, release = threading.Event(), threading.Event()
    first = drainer(clinic, clinic_client)

    def slow(report):
        gate.set()
        release.wait(5)

    t = threading.Thread(target=lambda: first.drain(progress=slow))
    t.start()
    gate.wait(5)
    assert drainer(clinic, clinic_client).drain().busy
    release.set()
    t.join()


def test_progress_is_reported_per_round(exchange, clinic, clinic_client, clinic_ws) -> None:
    with harness.exchange_down(exchange):  # written offline: eligibility and registration queued
        harness.write_many(clinic_ws, 3)
    seen = []
    drainer(clinic, clinic_client, batch_size=2).drain(progress=lambda r: seen.append((r.done, r.remaining)))
    assert seen[-1] == (6, 0) and len(seen) == 4
