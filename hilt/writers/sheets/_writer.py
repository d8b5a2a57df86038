"""The Sheets writer of the pipeline: counts journaled events and runs this process's background worker.

In the request path (:meth:`SheetsWriter.write`) nothing talks to Google: the event is already in the
journal (the :class:`~hilt.writers.jsonl.JsonlWriter` that :func:`~hilt.writers.sheets.build_sheets_writers`
puts first), and ``write`` only counts it and starts the worker the first time. The worker is started at once when the
journal holds unsent rows (a backlog from an earlier run), restarted in a forked child, and replaced by
the next ``write`` or ``flush`` if it ever stopped (see :mod:`~hilt.writers.sheets._worker`).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._safety import report
from ._checkpoint import Checkpoint
from ._client import Credentials
from ._journal import BATCH_ROWS
from ._settings import checkpoint_path_for
from ._worker import Worker

if TYPE_CHECKING:
    from ..._config import Settings

__all__ = ["SheetsWriter"]


class SheetsWriter:
    """Sends the journal's events to a Google Sheet from a background thread (see the module doc)."""

    def __init__(self, settings: Settings, credentials: Credentials, columns: tuple[str, ...], journal: Path) -> None:
        self.settings = settings
        self.credentials = credentials
        self.columns = columns
        self.journal = journal
        self.checkpoint_path = checkpoint_path_for(journal, settings, columns)
        self._worker: Worker | None = None
        self._lock = threading.Lock()
        _live_writers.add(self)
        if self._has_backlog():
            self._start()  # catch up now, in the background, not at the first LLM call

    def _has_backlog(self) -> bool:
        """True when the journal holds rows the checkpoint does not count as sent (a stat and a small read)."""
        try:
            size = os.stat(self.journal).st_size
        except OSError:
            return False
        if size == 0:
            return False
        try:
            checkpoint = Checkpoint.load(self.checkpoint_path)
        except OSError:
            return True  # the worker reports the broken checkpoint
        return size > checkpoint.offset or checkpoint.inflight is not None

    def write(self, event: dict[str, Any]) -> None:
        """Note one more event (already journaled); starts the worker on the first one. Never blocks on I/O."""
        worker = self._worker
        if worker is None or worker.finished or worker.pid != os.getpid():
            worker = self._start()
        worker.backlog += 1
        if worker.backlog >= BATCH_ROWS:
            worker.wake.set()

    def _start(self) -> Worker:
        """The running worker of this process: a new one if there is none, or if the last one ended."""
        with self._lock:
            worker = self._worker
            if worker is None or worker.finished or worker.pid != os.getpid():
                if worker is not None and worker.finished and worker.pid == os.getpid():
                    report("sheets-worker-restart", "HILT: the Google Sheets sender thread had stopped; started a new one")
                worker = Worker(self)
                self._worker = worker
                worker.start()
            return worker

    def flush(self, timeout: float | None = None) -> bool:
        """Wake the worker and wait (at most ``timeout``, default ``shutdown_timeout``) until the journal is sent.

        Returns ``True`` when everything journaled before the call is in the sheet. Only the process holding
        the sender lock can get there; in the others this returns ``False`` at the time-out. A worker that
        stopped meanwhile is replaced.
        """
        try:
            target = self.journal.stat().st_size
        except FileNotFoundError:
            return True
        timeout = self.settings.shutdown_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        worker = None
        while True:
            if worker is None or worker.finished:
                worker = self._start()
                worker.urgent = True
                worker.wake.set()
            if worker.sent_up_to() >= target:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def close(self) -> None:
        """Drain for at most ``shutdown_timeout`` seconds, then stop; unsent rows stay in the journal."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None and worker.pid == os.getpid():
            worker.stop(self.settings.shutdown_timeout)

    def _after_fork_in_child(self) -> None:
        worker, self._worker = self._worker, None
        self._lock = threading.Lock()
        if worker is not None:
            worker.sender.forget_after_fork()

    def __repr__(self) -> str:
        return f"SheetsWriter(sheet_id={self.settings.sheet_id!r}, journal={str(self.journal)!r})"


_live_writers: weakref.WeakSet[SheetsWriter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for writer in list(_live_writers):
        writer._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
