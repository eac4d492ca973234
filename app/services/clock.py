"""The clock the use cases read: injected, so tests and the demo can pin time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from app.domain import now as iran_now

Clock = Callable[[], dt.datetime]

system_clock: Clock = iran_now
