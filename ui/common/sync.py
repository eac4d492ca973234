"""Sync in the window: the main window owns the sync engine's schedules (`ws.sync`: drain, probe, reference
refresh), runs each on the network lane and tells the status bar what really happened.

- "Online" is only ever the answer of a probe (or of a drain that reached the exchange) made by this window;
  before the first answer the light says "checking", and with no exchange configured it says so.
- Going online drains at once; a write by the user (a signed prescription, an edit, a cancellation) kicks
  a drain; a drain never overlaps another (one network lane, and a drain asked for while one runs is run
  once more after it).
- Every result is published on the change hub (`Changes(by_sync=True)`), so lists and the light refresh.

The engine's own APScheduler schedules are not started: these timers are, so that results come back to
the window and the network lane serialises them with signing and the rules check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from ui.common.operations import Changes, Op
from ui.common.taskman import Lane

if TYPE_CHECKING:
    from app.workstation import Workstation
    from sync.drain import DrainReport
    from sync.engine import SyncEngine
    from ui.common.host import Host

SYNC_CHANGES = Changes(every_prescription=True, outbox=True, connection=True, by_sync=True)


# ---- operations -----------------------------------------------------------------------------------------


def open_engine(ws: Workstation) -> Op[SyncEngine]:
    """The workstation's sync engine (opens the facility seal and reads the exchange's address)."""
    return Op(lambda: ws.sync, lane=Lane.NETWORK)


def probe(ws: Workstation) -> Op[bool]:
    """Ask the exchange whether it is there (going online makes queued rows due)."""
    return Op(lambda: ws.sync.probe(), lane=Lane.NETWORK, changes=Changes(connection=True, by_sync=True))


def drain(ws: Workstation) -> Op[DrainReport]:
    """Send what is queued and bring open prescriptions in step."""
    return Op(lambda: ws.sync.run(), lane=Lane.NETWORK, changes=SYNC_CHANGES)


def refresh_reference(ws: Workstation) -> Op[dict[str, str]]:
    """Fetch changed reference data (catalog and prices, rules, trust list)."""

    def work() -> dict[str, str]:
        out = ws.sync.refresh()
        ws.forget_trust()
        return out

    return Op(work, lane=Lane.NETWORK, changes=Changes(reference=True, by_sync=True))


def acknowledge(ws: Workstation, row_id: str) -> Op[Any]:
    """Close an outbox item that needed attention (the person has dealt with it)."""
    return Op(
        lambda: ws.store.outbox.acknowledge(row_id), changes=Changes(outbox=True, every_prescription=True)
    )


def requeue(ws: Workstation, row_id: str) -> Op[Any]:
    """Send an outbox item that needed attention again."""
    return Op(lambda: ws.store.outbox.requeue(row_id), changes=Changes(outbox=True, every_prescription=True))


def sync_status(ws: Workstation) -> Op[Any]:
    """Counts per state, oldest queued age, last success, attention items (`sync.status.SyncStatus`)."""
    from sync.status import sync_status as status

    return Op(lambda: status(ws.store))


# ---- the controller -------------------------------------------------------------------------------------


class SyncController(QObject):
    """Owns the schedules. `state` is `off` (not started), `unconfigured` (no exchange or seal: `reason`
    says why), `checking`, `online` or `offline`; `state_changed` fires when it changes."""

    state_changed = Signal()

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.host = host
        self.state = "off"
        self.reason = ""
        self.last_report: DrainReport | None = None
        self._busy: set[str] = set()
        self._again = False
        self._timers: dict[str, QTimer] = {}
        host.changes.changed.connect(self._on_changes)

    # ---- starting and stopping --------------------------------------------------------------------

    def start(self) -> None:
        """Open the engine (on the network lane) and start the schedules; idempotent."""
        if self.state not in ("off", "unconfigured") or "open" in self._busy:
            return
        self._busy.add("open")
        open_engine(self.host.ws).success(self._started).failure(self._not_configured).run(self.host)

    def _started(self, engine: SyncEngine) -> None:
        self._busy.discard("open")
        self._set("checking", "")
        for job, fn in (("probe", self.probe), ("drain", self.drain), ("refresh", self.refresh)):
            timer = self._timers.get(job) or QTimer(self)
            timer.setInterval(int(engine.intervals[job] * 1000))
            timer.timeout.connect(fn)
            timer.start()
            self._timers[job] = timer
        self.probe()
        self.refresh()

    def _not_configured(self, exc: Exception) -> None:
        self._busy.discard("open")
        self._set("unconfigured", self.host.words.message(exc))

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.stop()
            timer.deleteLater()
        self._timers.clear()
        if self.state != "unconfigured":
            self._set("off", "")

    @property
    def running(self) -> bool:
        return bool(self._timers)

    # ---- the jobs ---------------------------------------------------------------------------------

    def probe(self) -> None:
        if not self.running or "probe" in self._busy:
            return
        self._busy.add("probe")
        probe(self.host.ws).success(self._probed).failure(self._job_failed("probe")).run(self.host)

    def _probed(self, up: bool) -> None:
        self._busy.discard("probe")
        was = self.state
        self._set("online" if up else "offline", "" if up else self.host.words("exchange_not_answering"))
        if up and was != "online":
            self.drain()
            self.refresh()  # a day begun offline gets its price list, rules and trust list now

    def drain(self, *, progress: bool = False) -> None:
        """Drain now (a drain already running is followed by one more)."""
        if not self.running:
            return
        if "drain" in self._busy:
            self._again = True
            return
        self._busy.add("drain")
        op = drain(self.host.ws).success(self._drained).failure(self._job_failed("drain"))
        if progress:
            op.with_progress(self.host.words("progress_sync"))
        op.run(self.host)

    def _drained(self, report: DrainReport) -> None:
        self._busy.discard("drain")
        self.last_report = report
        if report.offline:
            self._set("offline", report.error or self.host.words("exchange_not_answering"))
        elif report.requests and not report.error:
            was = self.state
            self._set("online", "")
            if was != "online":
                self.refresh()
        if self._again:
            self._again = False
            QTimer.singleShot(0, self.drain)

    def refresh(self) -> None:
        if not self.running or "refresh" in self._busy:
            return
        self._busy.add("refresh")
        refresh_reference(self.host.ws).success(lambda _out: self._busy.discard("refresh")).failure(
            self._job_failed("refresh")
        ).run(self.host)

    def _job_failed(self, job: str) -> Any:
        def failed(exc: Exception) -> None:
            self._busy.discard(job)
            if job == "drain" and self._again:
                self._again = False
            self._set("offline" if job != "refresh" else self.state, self.host.words.message(exc))

        return failed

    def kick(self) -> None:
        """A write was queued: drain soon (at once, on the network lane)."""
        if self.running:
            QTimer.singleShot(0, self.drain)

    def _on_changes(self, changes: Changes) -> None:
        if changes.outbox and not changes.by_sync:
            self.kick()

    def _set(self, state: str, reason: str) -> None:
        if (state, reason) != (self.state, self.reason):
            self.state, self.reason = state, reason
            self.state_changed.emit()


__all__ = [
    "SyncController",
    "acknowledge",
    "drain",
    "open_engine",
    "probe",
    "refresh_reference",
    "requeue",
    "sync_status",
]
