"""UI operations: a piece of work on the workstation, run on a lane, its result or its error brought back.

Every action in the window is a small module-level function that takes the workstation and plain values and
returns an `Op` (Anki's `CollectionOp`/`QueryOp`); the widget that started it says what to do with the
result and runs it:

    write_prescription(ws, patient=p, items=items).success(self.signed).failure(self.show_error).run(host)

- The work never sees a widget; it runs on the store lane, or the network lane when it may wait on the
  exchange or a token (`Lane`).
- A write names what it changed (`Changes`); after its success the host publishes them and every view
  that shows those things refreshes itself (`ChangeHub`).
- An error goes to the op's failure callback, else to the host's one failure path (a message in the
  user's language, never a traceback).
- `with_progress(label)` shows the host's progress indicator while the work runs.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from ui.common.taskman import Lane

if TYPE_CHECKING:
    from app.workstation import Workstation
    from ui.common.host import Host

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    """What a write changed, so views know whether to refresh: prescription ids (or every prescription,
    after a drain), the outbox (queue counts, attention items), the connection to the exchange, settings,
    reference data, the user's session. `by_sync` marks what the sync engine itself changed (a write by
    the user kicks a drain; a drain's own changes do not)."""

    prescriptions: frozenset[str] = field(default_factory=frozenset)
    every_prescription: bool = False
    outbox: bool = False
    connection: bool = False
    settings: bool = False
    reference: bool = False
    session: bool = False
    by_sync: bool = False

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.prescriptions | other.prescriptions,
            self.every_prescription or other.every_prescription,
            self.outbox or other.outbox,
            self.connection or other.connection,
            self.settings or other.settings,
            self.reference or other.reference,
            self.session or other.session,
            self.by_sync and other.by_sync,
        )

    def touches(self, rx_id: str) -> bool:
        """True when prescription `rx_id` may have changed."""
        return self.every_prescription or rx_id in self.prescriptions

    @property
    def any_prescription(self) -> bool:
        return self.every_prescription or bool(self.prescriptions)

    @classmethod
    def of_prescription(cls, rx_id: str, *, outbox: bool = True) -> Changes:
        """One prescription changed (and, usually, what is queued for it)."""
        return cls(prescriptions=frozenset({rx_id}), outbox=outbox)


class ChangeHub(QObject):
    """The one place writes are announced; views connect to `changed` and refresh what they show."""

    changed = Signal(object)  # Changes

    def publish(self, changes: Changes) -> None:
        self.changed.emit(changes)


class Op(Generic[T]):
    """One operation: `work()` on `lane`; then `success(result)` or `failure(exc)` on the UI thread, and
    the changes (fixed, or computed from the result) published after a success."""

    def __init__(
        self,
        work: Callable[[], T],
        *,
        lane: Lane = Lane.STORE,
        changes: Changes | Callable[[T], Changes] | None = None,
    ) -> None:
        self._work = work
        self.lane = lane
        self._changes = changes
        self._success: Callable[[T], Any] | None = None
        self._failure: Callable[[Exception], Any] | None = None
        self._progress: str | None = None

    def success(self, fn: Callable[[T], Any] | None) -> Op[T]:
        self._success = fn
        return self

    def failure(self, fn: Callable[[Exception], Any] | None) -> Op[T]:
        self._failure = fn
        return self

    def with_progress(self, label: str) -> Op[T]:
        self._progress = label
        return self

    def changes_of(self, result: T) -> Changes | None:
        return self._changes(result) if callable(self._changes) else self._changes

    def run(self, host: Host) -> Future[T]:
        """Queue the work; returns its future (tests may wait on it, widgets should not)."""
        token = host.progress.start(self._progress) if self._progress else None

        def done(future: Future[T]) -> None:
            if token is not None:
                host.progress.finish(token)
            exc = future.exception()
            if exc is not None:
                if not isinstance(exc, Exception):
                    future.result()  # KeyboardInterrupt, SystemExit: not ours to swallow
                (self._failure or host.show_error)(host.named(exc))  # type: ignore[arg-type]
                return
            result = future.result()
            try:
                if self._success is not None:
                    self._success(result)
            finally:
                changes = self.changes_of(result)
                if changes is not None:
                    host.changes.publish(changes)

        return host.tasks.run(self.lane, self._work, done)


def query(ws: Workstation, fn: Callable[[Workstation], T]) -> Op[T]:
    """A read on the store lane: `fn(ws)`; nothing is published."""
    return Op(lambda: fn(ws), lane=Lane.STORE)


__all__ = ["ChangeHub", "Changes", "Lane", "Op", "query"]
