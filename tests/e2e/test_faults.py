"""Faults between the client and a real exchange process: answers lost after commit, 5xx, restarts."""

from __future__ import annotations

from app.services.outbox import Outbox
from app.store import Store
from sync.drain import Backoff, Drainer
from tests.e2e.test_offline_to_online import assert_registered_exactly_once
from tests.sync import harness


def drain_until_empty(store, client, *, rounds: int = 30, **kw) -> int:
    """Drain again and again (as the schedule would) until nothing is pending; returns the drains needed."""
    for n in range(1, rounds + 1):
        Outbox(store).due_now()
        report = Drainer(store, client, backoff=Backoff(0.01, 0.2), patience=0.5, **kw).drain()
        assert report.quarantined == 0 and report.rejected == 0
        if report.remaining == 0:
            return n
    raise AssertionError("the outbox did not empty")


def test_answers_dropped_after_commit_never_duplicate(tokens, written_200, copy_of, exchange_process) -> None:
    ex = exchange_process.start()
    ex.faults(drop_rate=0.3, seed=4)
    with Store.open(copy_of(written_200), harness.PASSPHRASE) as store:
        client = harness.client_for(store, ex.url, harness.signer(tokens, "noskhe-clinic"))
        drain_until_empty(store, client, batch_size=10)
        stats = ex.stats()
        assert stats["events"]["replayed"] > 0  # work was done, the answer lost, the retry replayed it
        assert_registered_exactly_once(store, ex, 200)


def test_twenty_percent_5xx_all_delivered_zero_duplicates(
    tokens, written_200, copy_of, exchange_process
) -> None:
    ex = exchange_process.start()
    ex.faults(error_rate=0.2, seed=11)
    with Store.open(copy_of(written_200), harness.PASSPHRASE) as store:
        client = harness.client_for(store, ex.url, harness.signer(tokens, "noskhe-clinic"))
        drain_until_empty(store, client, batch_size=1)  # one by one: 800 calls, ~160 of them failing
        assert_registered_exactly_once(store, ex, 200)
        assert max(r[0] for r in store.conn().execute("SELECT attempts FROM outbox")) > 1


def test_an_exchange_restart_mid_drain_changes_nothing(
    tokens, written_200, copy_of, exchange_process
) -> None:
    ex = exchange_process.start()
    with Store.open(copy_of(written_200), harness.PASSPHRASE) as store:
        client = harness.client_for(store, ex.url, harness.signer(tokens, "noskhe-clinic"))
        first = Drainer(store, client, batch_size=20, backoff=Backoff(0.01, 0.1)).drain(
            progress=lambda r: ex.stop() if r.done >= 100 and ex.proc.poll() is None else None
        )
        assert first.offline and 100 <= first.done < 400
        ex.port = int(ex.url.rsplit(":", 1)[1])
        ex.start()  # same port, same data; its bearer tokens are gone: the client logs in again
        drain_until_empty(store, client, batch_size=20)
        assert_registered_exactly_once(store, ex, 200)
