"""The sync engine: one object the UI and the CLI hold, and the schedules that drive it in the background.

    engine = SyncEngine(store, client)
    engine.run()                 # drain now (what `noskhe sync run` does)
    engine.start()               # APScheduler: periodic drain, connectivity probe, reference refresh
    engine.status()              # counts, oldest queued age, last success, online/offline, data ages

The probe switches the workstation online/offline; going online makes every queued row due at once (the
outage, not the rows, was the problem) and starts a drain. A drain begun while the exchange was last seen
down probes first, and a drain that gets answers again after a failed round does the same reset
(`sync.drain`), so one `noskhe sync run` after an outage sends the whole queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from sync import reference
from sync.client import ExchangeClient, ExchangeRefused, ExchangeUnavailable
from sync.drain import Backoff, Drainer, DrainReport
from sync.status import SyncStatus, is_online, mark_offline, mark_online, sync_status
from sync.statuses import pull_statuses

if TYPE_CHECKING:
    from app.store import Store

log = logging.getLogger(__name__)


class SyncEngine:
    def __init__(
        self,
        store: Store,
        client: ExchangeClient,
        *,
        batch_size: int = 50,
        backoff: Backoff | None = None,
        drain_every: float = 30.0,
        probe_every: float = 15.0,
        refresh_every: float = 6 * 3600.0,
        patience: float = 5.0,
    ) -> None:
        self.store, self.client = store, client
        self.drainer = Drainer(
            store, client, batch_size=batch_size, backoff=backoff or Backoff(), patience=patience
        )
        self.intervals = {"drain": drain_every, "probe": probe_every, "refresh": refresh_every}
        self.listeners: list[Callable[[str, Any], None]] = []
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()

    def _tell(self, event: str, data: Any) -> None:
        for fn in list(self.listeners):
            try:
                fn(event, data)
            except Exception:
                log.exception("sync listener failed")

    def run(
        self, progress: Callable[[DrainReport], None] | None = None, *, batch_size: int | None = None
    ) -> DrainReport:
        """Drain the outbox now, then bring open local prescriptions in step; returns what happened.
        `batch_size` (items per request, at least 1) replaces the engine's from now on when given. When the
        exchange was last seen down (or failing as a whole), it is probed first: if it is back, every
        queued row is due at once (`probe`), not only those whose backoff ran out."""
        if batch_size is not None:
            self.drainer.batch_size = max(1, batch_size)
        if is_online(self.store) is False:
            self.probe()
        if is_online(self.store) is not False:
            self.refresh_if_never()  # national codes, prices and rules before the first send
        report = self.drainer.drain(progress=progress)
        if not report.offline and not report.error:
            try:
                report.statuses = pull_statuses(self.store, self.client)
            except (ExchangeUnavailable, ExchangeRefused) as exc:
                log.info("status pull failed: %s", exc.en)
        self._tell("drained", report)
        return report

    def probe(self) -> bool:
        """Ask the exchange if it is there; on the offline→online switch, drain at once."""
        was = is_online(self.store)
        up = self.client.probe()
        if up:
            mark_online(self.store)
        else:
            mark_offline(self.store, "the exchange did not answer the probe")
        if up and was is not True:
            self.store.outbox.due_now()
            self._tell("online", None)
            self.kick()
        elif not up and was is not False:
            self._tell("offline", None)
        return up

    def refresh(self) -> dict[str, str]:
        """Fetch the reference data that changed (MOXA codes, tariffs…, section 8): per kind "updated",
        "current" or "failed: reason"; never raises for one kind. Tells listeners "refreshed"."""
        out = reference.refresh(self.store, self.client)
        self._tell("refreshed", out)
        return out

    def refresh_if_never(self) -> dict[str, str]:
        """Fetch the reference data kinds never fetched on this workstation (`reference.never_fetched`):
        per kind as `refresh` says; {} when every kind was fetched once. Never raises for one kind (a failed
        login raises as the drain's own would)."""
        missing = reference.never_fetched(self.store)
        if not missing:
            return {}
        out = reference.refresh(self.store, self.client, missing)
        self._tell("refreshed", out)
        return out

    def status(self) -> SyncStatus:
        """The local sync state, without asking the exchange: queued counts, oldest queued age (seconds),
        last success (UTC), online/offline, reference data ages."""
        return sync_status(self.store)

    # ---- background schedules -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the schedules (idempotent). Jobs never overlap themselves; missed runs are merged."""
        with self._lock:
            if self._scheduler is not None:
                return
            s = BackgroundScheduler(
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
            )
            s.add_job(self._safe(self.run), "interval", seconds=self.intervals["drain"], id="drain")
            s.add_job(self._safe(self.probe), "interval", seconds=self.intervals["probe"], id="probe")
            s.add_job(self._safe(self.refresh), "interval", seconds=self.intervals["refresh"], id="refresh")
            s.start()
            self._scheduler = s
        self.kick("probe")
        self.kick("refresh")

    def kick(self, job: str = "drain") -> None:
        """Run a scheduled job now, in the background (no-op when the schedules are not started)."""
        with self._lock:
            if self._scheduler is not None:
                import datetime as dt

                self._scheduler.modify_job(job, next_run_time=dt.datetime.now(dt.UTC))

    def stop(self) -> None:
        """Stop the schedules and wait for a running job to end (idempotent; no-op when not started)."""
        with self._lock:
            s, self._scheduler = self._scheduler, None
        if s is not None:
            s.shutdown(wait=True)

    @staticmethod
    def _safe(fn: Callable[[], Any]) -> Callable[[], None]:
        def job() -> None:
            try:
                fn()
            except Exception:
                log.exception("sync job %s failed", getattr(fn, "__name__", fn))

        return job
