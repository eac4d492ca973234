"""Background work for the window: two lanes, results back on the UI thread by signal.

| lane      | thread          | what runs there                                                        |
|-----------|-----------------|------------------------------------------------------------------------|
| `STORE`   | `noskhe-store`  | reads and local writes of the encrypted store (milliseconds each)      |
| `NETWORK` | `noskhe-net`    | anything that may wait on the outside: the exchange, tokens, PIN pads  |

Each lane is one thread, so work on it is serialised (two drains never overlap, a signature never races a
login) and a slow exchange never holds up a list refresh. Work receives plain values (the workstation, ids),
never a widget; `on_done` runs on the UI thread with the finished future. Tests call `wait()`, which keeps
the event loop turning while it waits (a worker may be waiting for a PIN dialog on the UI thread).
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

T = TypeVar("T")
Closure = Callable[[], None]


class Lane(enum.Enum):
    STORE = "store"
    NETWORK = "network"


class TaskManager(QObject):
    """Runs work on its lane's thread and brings `on_done(future)` back to the UI thread."""

    _closures_pending = Signal()
    #: how many tasks are queued or running (for a busy indicator)
    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lanes = {
            Lane.STORE: ThreadPoolExecutor(max_workers=1, thread_name_prefix="noskhe-store"),
            Lane.NETWORK: ThreadPoolExecutor(max_workers=1, thread_name_prefix="noskhe-net"),
        }
        self._closures: list[Closure] = []
        self._lock = threading.Lock()
        self._running: set[Future[Any]] = set()
        self._closed = False
        self._closures_pending.connect(self._run_closures)

    # ---- running ------------------------------------------------------------------------------------

    def run_on_main(self, closure: Closure) -> None:
        """Run `closure` on the UI thread soon (at once when called there from a UI callback's end)."""
        with self._lock:
            self._closures.append(closure)
        self._closures_pending.emit()

    def run(
        self,
        lane: Lane,
        work: Callable[[], T],
        on_done: Callable[[Future[T]], None] | None = None,
    ) -> Future[T]:
        """Queue `work` on `lane`; `on_done(future)` follows on the UI thread (errors are in the future)."""
        if self._closed:
            raise RuntimeError("the task manager is shut down")
        future = self._lanes[lane].submit(work)
        with self._lock:
            self._running.add(future)
        self.busy_changed.emit(len(self._running))

        def finished(f: Future[T]) -> None:
            def back() -> None:
                with self._lock:
                    self._running.discard(f)
                    count = len(self._running)
                try:
                    if on_done is not None:
                        on_done(f)
                finally:
                    self.busy_changed.emit(count)

            self.run_on_main(back)

        future.add_done_callback(finished)
        return future

    @property
    def busy(self) -> int:
        """Tasks queued or running, and those whose result has not reached the UI yet."""
        with self._lock:
            return len(self._running)

    def _run_closures(self) -> None:
        with self._lock:
            closures, self._closures = self._closures, []
        for closure in closures:
            closure()

    # ---- waiting and closing ------------------------------------------------------------------------

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until every task has run and its result reached the UI, turning the event loop meanwhile.
        True when all finished within `timeout` seconds. Call it on the UI thread (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        on_ui = QThread.currentThread() is self.thread()
        while True:
            if on_ui:
                QCoreApplication.processEvents()
                self._run_closures()
            with self._lock:
                idle = not self._running and not self._closures
            if idle:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)

    @property
    def closed(self) -> bool:
        """True once `shutdown` has run: a timer firing after its window closed has nothing to start."""
        return self._closed

    def shutdown(self, timeout: float = 30.0) -> None:
        """Finish what is queued (results still delivered), then stop both lanes."""
        self.wait(timeout)
        self._closed = True
        for executor in self._lanes.values():
            executor.shutdown(wait=True, cancel_futures=True)


__all__ = ["Lane", "TaskManager"]
