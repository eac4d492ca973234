"""Token presence by polling: blocking slot-event waits are unsupported by many modules, so we ask.

Each tick runs on the module's token thread (like every other PKCS#11 call) and lets each session check
itself; a session whose token or session handle is gone locks at once.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartcard.tokens import Pkcs11Module

log = logging.getLogger(__name__)


class TokenMonitor:
    """Polls every `interval` seconds until `stop()`; a daemon thread, so it never holds up exit."""

    def __init__(self, module: Pkcs11Module, interval: float) -> None:
        self.module = module
        self.interval = max(0.05, float(interval))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="token-monitor", daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def tick(self) -> None:
        """One poll of every session, waited for (tests call this instead of sleeping)."""
        self.module.thread.run(self._poll_all)

    def _poll_all(self) -> None:
        for session in self.module.sessions():
            try:
                session.poll()
            except Exception:
                log.exception("polling token %r failed", session.label)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.module.thread.submit(self._poll_all).result(timeout=max(30.0, self.interval * 10))
            except RuntimeError as exc:
                if self._stop.is_set() or sys.is_finalizing() or "shutdown" in str(exc):
                    return  # the process is exiting (its token thread takes no more work): stop quietly
                log.exception("token monitor tick failed")
            except Exception:
                if self._stop.is_set() or sys.is_finalizing():
                    return
                log.exception("token monitor tick failed")
