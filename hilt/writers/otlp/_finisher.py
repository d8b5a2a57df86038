"""One daemon thread that finishes spans off the request path (attributes, end, metrics).

The application's thread only starts a span (the conventions' start attributes, ~20 µs) and queues
the reply event (~1 µs); converting the events to attributes, validating them and recording the
metrics (~150 µs with the SDK) happens here. ``drain`` waits until the queue is empty.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from ..._safety import report_exception

__all__ = ["Finisher"]


class Finisher:
    """Runs ``handle(item)`` for every ``put`` item, in order, on one daemon thread (restarted after a fork)."""

    def __init__(self, handle: Callable[[Any], None]) -> None:
        self._handle = handle
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def put(self, item: Any) -> None:
        """Queue ``item`` (starts the thread on first use, and again in a forked child)."""
        thread = self._thread
        if thread is None or self._pid != os.getpid() or not thread.is_alive():
            self._start()
        self._queue.put(item)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            if self._pid != os.getpid():
                self._queue = queue.Queue()  # the parent's items and lock state are not ours
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="hilt-otlp", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        work = self._queue
        while True:
            item = work.get()
            try:
                self._handle(item)
            except Exception as exc:
                report_exception("finish an OpenTelemetry span", exc)
            finally:
                work.task_done()

    def drain(self, timeout_s: float) -> bool:
        """Wait until every queued item is handled, at most ``timeout_s`` seconds; ``True`` if it was."""
        work = self._queue
        deadline = time.monotonic() + timeout_s
        with work.all_tasks_done:
            while work.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not work.all_tasks_done.wait(remaining):
                    return not work.unfinished_tasks
        return True
