"""The background sender of one process: a daemon thread that paces appends and retries failures.

At most one append per ``flush_interval`` (sooner when a full batch is waiting, but never more than one per
:data:`LARGE_BATCH_GAP`), back-off on :class:`~hilt.writers.sheets._errors.Retryable` failures and on any
unexpected exception (reported once; the thread never dies of one), a slow retry while the sheet needs the
user (``WriterError``), and a last drain bounded by ``shutdown_timeout``.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

from ..._safety import report, report_exception
from ...exceptions import WriterError
from ._backoff import backoff_delay
from ._errors import Retryable
from ._journal import BATCH_ROWS
from ._sender import Sender, StepResult

if TYPE_CHECKING:
    from ._writer import SheetsWriter

__all__ = ["LARGE_BATCH_GAP", "LOCK_POLL", "SETUP_RETRY", "Worker"]

SETUP_RETRY = 60.0
"""Seconds between attempts while the sheet needs the user (not shared, bad credentials, header conflict)."""
LARGE_BATCH_GAP = 1.5
"""Least seconds between appends while full batches are waiting (≤ 40 writes a minute)."""
LOCK_POLL = 2.0
"""Most seconds between attempts to become the sender while another process is."""


class Worker:
    """One run of the background sender: a daemon thread, its wake-up event and its stop deadline."""

    def __init__(self, writer: SheetsWriter) -> None:
        self.settings = writer.settings
        self.sender = Sender(writer.settings, writer.credentials, writer.columns, writer.journal, writer.checkpoint_path)
        self.pid = os.getpid()
        self.wake = threading.Event()
        self.backlog = 0  # events written in this process since the last append (approximate)
        self.closing = False
        self.deadline = float("inf")
        self.urgent = False  # flush() asked: skip the interval once
        self.not_before = 0.0  # no attempt before this monotonic time (back-off)
        self.attempt = 0  # consecutive failures
        self.finished = False  # the thread has ended (the writer starts a new worker on the next write)
        self.thread = threading.Thread(target=self._run, name="hilt-sheets", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float) -> None:
        """Ask for a last drain and wait at most ``timeout`` seconds."""
        self.deadline = time.monotonic() + timeout
        self.closing = True
        self.wake.set()
        self.thread.join(timeout)

    def sent_up_to(self) -> int:
        """Journal bytes confirmed in the sheet (-1 before the checkpoint is loaded)."""
        checkpoint = self.sender.checkpoint
        if checkpoint is None or checkpoint.inflight:
            return -1 if checkpoint is None else int(checkpoint.inflight["start"])
        return checkpoint.offset

    # --- the loop --------------------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        if self.closing:
            seconds = min(seconds, self.deadline - time.monotonic())
        if seconds > 0:
            self.wake.wait(seconds)
            self.wake.clear()

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # a bug in the loop itself; the writer starts a new worker on the next write
            report_exception("send rows to Google Sheets", exc)
        finally:
            self.finished = True
            self.sender.close()

    def _loop(self) -> None:
        interval = max(self.settings.flush_interval, 0.0)
        last_write = float("-inf")
        gap = interval
        while True:
            now = time.monotonic()
            if self.closing and now >= self.deadline:
                return
            gate = self.not_before if (self.closing or self.urgent) else max(self.not_before, last_write + gap)
            if not self.closing and self.backlog >= BATCH_ROWS:
                gate = max(self.not_before, last_write + min(gap, LARGE_BATCH_GAP))
            if now < gate:
                self._sleep(gate - now)
                continue
            result = self._attempt(interval)
            if result is None:
                if self.closing and self.not_before == float("inf"):
                    return
                continue
            if result.requests:
                self.backlog = max(0, self.backlog - result.rows)
                last_write = time.monotonic()
                gap = min(interval, LARGE_BATCH_GAP) if result.more else interval
            if result.more:
                continue
            self.urgent = False
            if self.closing:
                return
            self.backlog = 0
            self._sleep(max(interval, 0.05))

    def _attempt(self, interval: float) -> StepResult | None:
        """One :meth:`Sender.step` (connecting first if needed); on failure, ``None`` and :attr:`not_before` set.

        ``not_before`` is infinite when a closing worker should give up (the next run sends the rows).
        """
        try:
            if not self.sender.acquire():
                # another process is the sender; it (or the next run) sends our rows
                self.not_before = float("inf") if self.closing else time.monotonic() + min(max(interval, 0.05), LOCK_POLL)
                return None
            if not self.sender.connected:
                self.sender.connect()
                if self.settings.dashboard:
                    self._start_dashboard()
            result = self.sender.step()
        except Retryable as exc:
            self._back_off(exc.retry_after)
            report("sheets-retry", "HILT: Google Sheets did not take the rows (%s); retrying in %.1f s", exc, self.not_before - time.monotonic())
            return None
        except WriterError as exc:
            self.attempt = 0
            report("sheets-setup:" + str(exc), "HILT cannot write to Google Sheets: %s", exc)
            self.sender.disconnect()
            self.not_before = float("inf") if self.closing else time.monotonic() + max(SETUP_RETRY, interval)
            return None
        except Exception as exc:  # anything else (the disk, a bug): retried like a network error, reported once
            self._back_off(None)
            report(
                f"sheets-unexpected:{type(exc).__name__}",
                "HILT: sending rows to Google Sheets failed (%s: %s); retrying in %.1f s",
                type(exc).__name__,
                exc,
                self.not_before - time.monotonic(),
            )
            self.sender.disconnect()
            return None
        self.attempt = 0
        return result

    def _start_dashboard(self) -> None:
        """``dashboard = true``: build the dashboard once per process, in its own thread (the rows do not wait)."""
        from ._dashboard import start_dashboard_once

        start_dashboard_once(self.settings, self.sender.credentials, self.sender.columns)

    def _back_off(self, retry_after: float | None) -> None:
        self.attempt += 1
        self.not_before = time.monotonic() + backoff_delay(self.attempt, retry_after)
