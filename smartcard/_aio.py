"""Running pyHanko's coroutines from plain synchronous code, even when the caller has an event loop.

Each thread keeps one event loop for this and reuses it (`asyncio.run` made and tore down a loop, its
selector and its executor for every verification); a thread that already runs a loop hands the coroutine
to a helper thread instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


def _loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
        weakref.finalize(threading.current_thread(), loop.close)  # closed with its thread, not left open
    return loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result, run to completion on this thread's own loop, or on a helper thread when
    this thread already runs a loop. What the coroutine raises propagates."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _loop().run_until_complete(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
