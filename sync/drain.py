"""Draining the outbox: at-least-once delivery with an exactly-once effect.

Each round takes the chain heads that are due (one row per prescription at most, so create → edit → cancel
and eligibility → registration keep their order), sends them as one batch (or one by one when the batch
size is 1), and applies every answer in one local transaction together with its row's new state. Rounds
overlap: the next round is picked (never a row of a chain with a row in flight) and sent while the answers
of the one before are applied, so the exchange and this workstation work at the same time.

- No answer (refused connection, timeout, dropped connection): every row of the round is retried later
  with the *same* idempotency key; after a few such rounds the drain stops and the workstation is offline.
- 5xx for an item: retried with exponential backoff and full jitter (capped); an item that keeps failing
  while others pass is quarantined, so it never holds back unrelated prescriptions.
- 409 → conflict, 422/403/404 → rejected, 400 → quarantined: the row needs a person, its reason is kept;
  refusals that can pass on their own (prescription not registered yet, claimed by another pharmacy) are
  retried later instead.
A killed process loses nothing: a row is done only in the transaction that applies its answer, and the
resend after a restart replays the stored answer at the exchange.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import fcntl
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.errors import NoskheError
from app.services.outbox import CONFLICT, QUARANTINED, OutboxRow
from sync import messages, results
from sync.client import ExchangeClient, ExchangeRefused, ExchangeUnavailable, Reply
from sync.fhir.common import FhirError
from sync.status import is_online, mark_offline, mark_online

if TYPE_CHECKING:
    from app.store import Store

_process_lock = threading.Lock()


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt n+1: uniform in [0, min(cap, base·2ⁿ)] ("full jitter")."""

    base: float = 2.0
    cap: float = 300.0

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after `attempts` tries."""
        return (rng or random).uniform(0, min(self.cap, self.base * 2 ** min(attempts, 30)))


@dataclass
class DrainReport:
    """What one drain did: rows sent, done, rejected, in conflict, quarantined, retried later; requests
    made; whether the exchange was offline or another drain was busy; the last error; seconds taken; rows
    still pending; done rows per op; what the status pull found."""

    sent: int = 0
    done: int = 0
    rejected: int = 0
    conflicts: int = 0
    quarantined: int = 0
    retried: int = 0
    requests: int = 0
    offline: bool = False
    busy: bool = False
    error: str | None = None
    elapsed: float = 0.0
    remaining: int = 0
    by_op: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Every field, for `noskhe sync run --json`."""
        return dict(vars(self))


@contextlib.contextmanager
def drain_lock(store: Store) -> Iterator[bool]:
    """One drain at a time per store, across threads and processes (CLI beside the UI): yields True to
    the one holder (a lock file, `sync.lock`, in the data directory), False to anyone else meanwhile."""
    if not _process_lock.acquire(blocking=False):
        yield False
        return
    try:
        fd = os.open(store.data_dir / "sync.lock", os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # one made 0644 before is tightened too
        with os.fdopen(fd, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        _process_lock.release()


@dataclass
class _Flight:
    """A round sent: its calls and the answers to come (from the sender thread)."""

    outgoing: list[messages.Outgoing]
    answers: concurrent.futures.Future[list[tuple[messages.Outgoing, int, Any]]]

    @property
    def ids(self) -> set[str]:
        return {o.row.id for o in self.outgoing}


def _entry_status(text: str) -> int:
    try:
        return int(str(text).split()[0])
    except (ValueError, IndexError):
        return 500


class Drainer:
    """Sends what the outbox holds and applies the answers (see the module's docstring)."""

    def __init__(
        self,
        store: Store,
        client: ExchangeClient,
        *,
        batch_size: int = 50,
        backoff: Backoff | None = None,
        max_failures: int = 8,
        max_unreachable: int = 3,
        patience: float = 0.0,
        wait_for_others: float = 30.0,
        max_sends_per_drain: int = 12,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store, self.client, self.outbox = store, client, store.outbox
        self.batch_size, self.backoff, self.max_failures = batch_size, backoff or Backoff(), max_failures
        self.max_unreachable, self.patience, self.clock = max_unreachable, patience, clock
        self.wait_for_others, self.max_sends = wait_for_others, max_sends_per_drain
        self.rng = rng or random.Random()

    def drain(
        self, *, progress: Callable[[DrainReport], None] | None = None, deadline: float | None = None
    ) -> DrainReport:
        """Send what is due until nothing is (waiting up to `patience` s for backoffs), the exchange is
        unreachable `max_unreachable` rounds in a row, or `deadline` (a clock value) passes. No row is sent
        more than `max_sends_per_drain` times in one drain, so a drain always ends.

        Rounds overlap: while the exchange works on one round, the answers of the round before are applied
        here (two rounds at most, never two rows of one chain: a row in flight holds back its chain)."""
        report = DrainReport()
        start = time.monotonic()
        with drain_lock(self.store) as mine:
            if not mine:
                report.busy = True
                return report
            with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="noskhe-drain") as sender:
                self._rounds(sender, report, progress, deadline)
        report.remaining = self.outbox.counts()["pending"]
        report.elapsed = time.monotonic() - start
        return report

    def _rounds(
        self,
        sender: concurrent.futures.Executor,
        report: DrainReport,
        progress: Callable[[DrainReport], None] | None,
        deadline: float | None,
    ) -> None:
        """The drain's loop: pick the next round's heads and send it, then settle the round before."""
        unreachable = 0
        sends: dict[str, int] = {}
        flying: _Flight | None = None  # sent, its answers not applied yet
        stop = False
        troubled = is_online(self.store) is False  # last seen down or failing as a whole
        while True:
            flight = None
            if not stop and (deadline is None or self.clock() < deadline):
                now = self.clock()
                capped = {k for k, n in sends.items() if n >= self.max_sends}
                skip = capped | (flying.ids if flying else set())
                heads = [h for h in self.outbox.heads(now, self.batch_size + len(skip)) if h.id not in skip]
                heads = heads[: self.batch_size]
                for h in heads:
                    sends[h.id] = sends.get(h.id, 0) + 1
                if heads:
                    flight = self._send(heads, report, sender)
                elif flying is None:
                    if capped:
                        break
                    due = self.outbox.next_due()
                    if due is None or due - now > self.patience:
                        break
                    time.sleep(max(0.0, min(due - now, self.patience)))
                    continue
            else:
                stop = True
            if flying is not None:
                outcome, statuses = self._settle(flying, report)
                if outcome == "unreachable":
                    unreachable += 1
                    troubled = True
                    stop = stop or unreachable >= self.max_unreachable
                elif outcome == "refused":
                    stop = True
                else:
                    unreachable = 0
                    whole = len(statuses) > 1 or statuses[:1] == [503]
                    if statuses and whole and all(s >= 500 for s in statuses):  # failing as a whole
                        mark_offline(self.store, f"the exchange answered {statuses[0]}")
                        troubled = True
                    elif troubled and any(200 <= s < 300 for s in statuses):
                        troubled = False  # it is back: the outage, not the rows, was the problem
                        self.outbox.due_now()
                    if progress is not None:
                        report.remaining = self.outbox.counts()["pending"]
                        progress(report)
            flying = flight
            if stop and flying is None:
                break

    # ---- one round -----------------------------------------------------------------------------------

    def _send(
        self, heads: list[OutboxRow], report: DrainReport, sender: concurrent.futures.Executor
    ) -> _Flight | None:
        """Build the calls for `heads` (a row that cannot be built is quarantined), count the attempt, and
        hand the request to the sender thread; None when nothing was left to send."""
        outgoing: list[messages.Outgoing] = []
        for row in heads:
            try:
                outgoing.append(messages.build(self.store, row))
            except (FhirError, KeyError, ValueError, NoskheError) as exc:
                err = NoskheError(f"This item cannot be sent: {exc}.", "این مورد قابل ارسال نیست.")
                self.outbox.hold(row, QUARANTINED, err, action=results.DEFAULT_ACTION[QUARANTINED])
                report.quarantined += 1
        if not outgoing:
            return None
        self.outbox.mark_sent([o.row for o in outgoing])  # committed before the request leaves
        report.sent += len(outgoing)
        report.requests += 1
        return _Flight(outgoing, sender.submit(self._call, outgoing))

    def _settle(self, flight: _Flight, report: DrainReport) -> tuple[str, list[int]]:
        """Wait for a round's answers and apply them: ("ok", the HTTP status of each answer), or
        ("unreachable", []) (every row retried later, the workstation offline) or ("refused", []) (the
        login itself was refused)."""
        rows = [o.row for o in flight.outgoing]
        try:
            replies = flight.answers.result()
        except ExchangeUnavailable as exc:  # no answer, or the login failed on the server
            self._later(rows, item_failure=False, reason=exc)
            report.retried += len(rows)
            report.offline, report.error = True, exc.en
            mark_offline(self.store, exc.en)
            return "unreachable", []
        except ExchangeRefused as exc:  # the login itself: unknown facility, refused certificate
            report.error = f"{exc.en} | {exc.fa}"
            mark_offline(self.store, exc.en)
            return "refused", []
        report.offline, report.error = False, None
        self._apply(replies, report)  # marks the exchange online in the same transaction
        return "ok", [status for _, status, _ in replies]

    def _call(self, outgoing: list[messages.Outgoing]) -> list[tuple[messages.Outgoing, int, Any]]:
        """The request for one round and its answer per call (on the sender thread: HTTP only)."""
        if len(outgoing) == 1 or self.batch_size == 1:
            o = outgoing[0]
            reply = self.client.call(o.method, o.path, body=o.body, headers=o.headers())
            return [(o, reply.status, reply.body)]
        reply = self.client.call(
            "POST",
            "/batch",
            body={"resourceType": "Bundle", "type": "batch", "entry": [o.batch_entry() for o in outgoing]},
        )
        if reply.status == 413:
            self.batch_size = max(1, self.batch_size // 2)
        if reply.status != 200 or not isinstance(reply.body, dict):
            return [(o, reply.status if reply.status >= 500 else 503, reply.body) for o in outgoing]
        entries = reply.body.get("entry") or []
        if len(entries) != len(outgoing):
            return [(o, 502, None) for o in outgoing]
        return [
            (
                o,
                _entry_status(e.get("response", {}).get("status")),
                e.get("resource") if e.get("resource") is not None else e.get("response", {}).get("outcome"),
            )
            for o, e in zip(outgoing, entries)
        ]

    def _later(self, rows: list[OutboxRow], *, item_failure: bool, reason: NoskheError | None) -> None:
        with self.store.transaction():
            for row in rows:
                at = self.clock() + self.backoff.delay(row.attempts, self.rng)
                self.outbox.retry_later(row, at, item_failure=item_failure, reason=reason)

    def _apply(self, replies: list[tuple[messages.Outgoing, int, Any]], report: DrainReport) -> None:
        """Every answer of a round, that the exchange answered, and the rows done, in one local
        transaction; the answers in one savepoint, and only when one of them cannot be applied, each in its
        own (`_apply_each`)."""
        done: list[tuple[OutboxRow, dict[str, Any] | None]] = []
        with self.store.transaction():
            mark_online(self.store)
            counted = copy.deepcopy(report)
            try:
                with self.store.savepoint("round"):  # every answer at once: the usual case
                    for o, status, body in replies:
                        self._apply_one(o.row, status, body, report, done)
            except Exception:  # noqa: BLE001 — one answer could not be applied: undone, each applied alone
                for name, value in vars(counted).items():
                    setattr(report, name, value)
                done.clear()
                self._apply_each(replies, report, done)
            self.outbox.finish_many(done)

    def _apply_each(
        self,
        replies: list[tuple[messages.Outgoing, int, Any]],
        report: DrainReport,
        done: list[tuple[OutboxRow, dict[str, Any] | None]],
    ) -> None:
        """The answers one by one, each in its own savepoint: one that cannot be applied quarantines its row
        alone."""
        for o, status, body in replies:
            row = o.row
            try:
                with self.store.savepoint("answer"):  # what a failed answer wrote is undone, alone
                    self._apply_one(row, status, body, report, done)
            except Exception as exc:  # noqa: BLE001 — an answer we cannot apply must not stop the others
                err = NoskheError(
                    f"The exchange's answer could not be applied ({type(exc).__name__}: {exc}).",
                    "پاسخ سامانهٔ تبادل قابل اعمال نبود.",
                )
                self.outbox.hold(row, QUARANTINED, err, action=results.DEFAULT_ACTION[QUARANTINED])
                report.quarantined += 1

    def _apply_one(
        self,
        row: OutboxRow,
        status: int,
        body: Any,
        report: DrainReport,
        done: list[tuple[OutboxRow, dict[str, Any] | None]],
    ) -> None:
        if 200 <= status < 300:
            done.append((row, results.applied(self.store, row, body)))  # finished with the round's others
            report.done += 1
            report.by_op[row.op] = report.by_op.get(row.op, 0) + 1
            return
        reply = Reply(status, body, {})
        at = self.clock() + self.backoff.delay(row.attempts, self.rng)
        if status >= 500 or status in (401, 429):
            err = NoskheError(
                f"The exchange answered {status}; will retry.",
                f"سامانهٔ تبادل پاسخ {status} داد؛ دوباره تلاش می‌شود.",
            )
            if row.failures + 1 >= self.max_failures:
                self.outbox.hold(row, QUARANTINED, err, action=results.DEFAULT_ACTION[QUARANTINED])
                report.quarantined += 1
            else:
                self.outbox.retry_later(row, at, item_failure=True, reason=err)
                report.retried += 1
            return
        refusal = reply.refusal()
        if refusal.code in results.PASSING:
            # waiting on someone else (the prescriber's sync, another pharmacy's claim): not on a backoff scale
            at = self.clock() + self.wait_for_others + self.backoff.delay(row.attempts, self.rng)
            self.outbox.retry_later(row, at, item_failure=False, reason=refusal)
            report.retried += 1
            return
        state = results.refused(self.store, row, refusal)
        self.outbox.hold(
            row,
            state,
            refusal,
            action=results.action_for(state, refusal.code),
            result={"status": status, "code": refusal.code, "details": refusal.details},
        )
        if state == QUARANTINED:
            report.quarantined += 1
        elif state == CONFLICT:
            report.conflicts += 1
        else:
            report.rejected += 1
