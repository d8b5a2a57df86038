"""The Google Sheets backend: a journal writer plus a background worker that appends rows in batches.

In the request path (:meth:`SheetsWriter.write`) nothing talks to Google: the event is already in the
journal (the :class:`~hilt.writers.jsonl.JsonlWriter` that :func:`build_sheets_writers` puts first), and
``write`` only counts it and starts the worker the first time. The journal is the queue, so it is bounded
only by the disk and a row can never be dropped for lack of memory.

The worker (one daemon thread per process, started lazily, restarted in a forked child) sends at most
one append per ``flush_interval`` (sooner when a full batch is waiting), retries 429/5xx/network errors
with exponential back-off and jitter, and is drained by :meth:`SheetsWriter.close` within
``shutdown_timeout``; what is not sent by then is sent by the next run. Exactly-once delivery is the job
of :class:`~hilt.writers._sheets_sender.Sender`; across processes sharing a journal, one of them at a
time (the holder of the sender lock) sends everybody's rows.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._safety import report, report_exception
from ..exceptions import ConfigError, WriterError
from ._sheets_client import Credentials, check_credentials, require_gspread
from ._sheets_rows import resolve_columns
from ._sheets_sender import BATCH_ROWS, Retryable, Sender
from .jsonl import JsonlWriter

if TYPE_CHECKING:
    from .._config import Settings

__all__ = ["SheetsWriter", "build_sheets_writers", "checkpoint_path_for", "default_journal_path"]

BACKOFF_BASE = 1.0
"""First retry delay in seconds; doubled per failure, with jitter, up to :data:`BACKOFF_CAP`."""
BACKOFF_CAP = 64.0
SETUP_RETRY = 60.0
"""Seconds between attempts while the sheet needs the user (not shared, bad credentials, header conflict)."""
LARGE_BATCH_GAP = 1.5
"""Least seconds between appends while full batches are waiting (≤ 40 writes a minute)."""
LOCK_POLL = 2.0
"""Most seconds between attempts to become the sender while another process is."""


def default_journal_path(sheet_id: str) -> Path:
    """``<user state dir>/hilt/sheets/<sheet_id>.jsonl`` (``~/.local/state/hilt/sheets/...`` on Linux)."""
    import platformdirs

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", sheet_id) or "sheet"
    return platformdirs.user_state_path("hilt", appauthor=False) / "sheets" / f"{safe}.jsonl"


def journal_path_for(settings: Settings) -> Path:
    """``journal_path``, else an explicitly set ``filepath``, else :func:`default_journal_path`."""
    if settings.journal_path:
        return Path(settings.journal_path).expanduser()
    if settings.filepath and settings.sources.get("filepath", "default") != "default":
        return Path(settings.filepath).expanduser()
    return default_journal_path(settings.sheet_id or "sheet")


def checkpoint_path_for(journal: Path, settings: Settings, columns: tuple[str, ...]) -> Path:
    """``<journal>.<digest>.checkpoint``: one checkpoint per journal, sheet, worksheet and column set."""
    key = "\x1f".join([settings.sheet_id or "", settings.worksheet_name or "Logs", *columns])
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return journal.with_name(f"{journal.name}.{digest}.checkpoint")


def validate_sheets_settings(settings: Settings) -> tuple[tuple[str, ...], Credentials]:
    """The columns and credentials of a Sheets configuration; raises ``ConfigError``/``WriterError``."""
    source = settings.sources.get("columns", "instrument()") if settings.sources else "instrument()"
    columns = resolve_columns(settings.columns, source)
    if not settings.sheet_id:
        raise ConfigError(
            settings.sources.get("sheet_id", "instrument()") if settings.sources else "instrument()",
            "sheet_id",
            "the id of the Google Sheet (the long part of its URL between /d/ and /edit); HILT_SHEET_ID",
        )
    require_gspread()
    return columns, check_credentials(settings)


def build_sheets_writers(settings: Settings) -> list[Any]:
    """The journal writer and the Sheets writer for ``settings`` (validated here; no network)."""
    columns, credentials = validate_sheets_settings(settings)
    journal = journal_path_for(settings)
    return [JsonlWriter(journal), SheetsWriter(settings, credentials, columns, journal)]


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): exponential, "equal jitter"."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)


class _Worker:
    """One run of the background sender: a daemon thread, its wake-up event and its stop deadline."""

    def __init__(self, writer: SheetsWriter) -> None:
        self.writer = writer
        self.settings = writer.settings
        self.sender = Sender(writer.settings, writer.credentials, writer.columns, writer.journal, writer.checkpoint_path)
        self.pid = os.getpid()
        self.wake = threading.Event()
        self.backlog = 0  # events written in this process since the last append (approximate)
        self.closing = False
        self.deadline = float("inf")
        self.urgent = False  # flush() asked: skip the interval once
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
        except Exception as exc:
            report_exception("send rows to Google Sheets", exc)
        finally:
            self.sender.close()

    def _loop(self) -> None:
        interval = max(self.settings.flush_interval, 0.0)
        last_write = float("-inf")
        gap = interval
        not_before = 0.0
        attempt = 0
        while True:
            now = time.monotonic()
            if self.closing and now >= self.deadline:
                return
            gate = not_before if (self.closing or self.urgent) else max(not_before, last_write + gap)
            if not self.closing and self.backlog >= BATCH_ROWS:
                gate = max(not_before, last_write + min(gap, LARGE_BATCH_GAP))
            if now < gate:
                self._sleep(gate - now)
                continue
            try:
                if not self.sender.acquire():
                    if self.closing:
                        return  # another process is the sender; it (or the next run) sends our rows
                    not_before = time.monotonic() + min(max(interval, 0.05), LOCK_POLL)
                    continue
                if not self.sender.connected:
                    self.sender.connect()
                result = self.sender.step()
            except Retryable as exc:
                attempt += 1
                delay = backoff_delay(attempt, exc.retry_after)
                report("sheets-retry", "HILT: Google Sheets did not take the rows (%s); retrying in %.1f s", exc, delay)
                not_before = time.monotonic() + delay
                continue
            except WriterError as exc:
                attempt = 0
                report("sheets-setup:" + str(exc), "HILT cannot write to Google Sheets: %s", exc)
                self.sender.disconnect()
                if self.closing:
                    return
                not_before = time.monotonic() + max(SETUP_RETRY, interval)
                continue
            attempt = 0
            if result.rows:
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


class SheetsWriter:
    """Sends the journal's events to a Google Sheet from a background thread (see the module doc)."""

    def __init__(self, settings: Settings, credentials: Credentials, columns: tuple[str, ...], journal: Path) -> None:
        self.settings = settings
        self.credentials = credentials
        self.columns = columns
        self.journal = journal
        self.checkpoint_path = checkpoint_path_for(journal, settings, columns)
        self._worker: _Worker | None = None
        self._lock = threading.Lock()
        _live_writers.add(self)

    def write(self, event: dict[str, Any]) -> None:
        """Note one more event (already journaled); starts the worker on the first one. Never blocks on I/O."""
        worker = self._worker
        if worker is None or worker.pid != os.getpid():
            worker = self._start()
        worker.backlog += 1
        if worker.backlog >= BATCH_ROWS:
            worker.wake.set()

    def _start(self) -> _Worker:
        with self._lock:
            worker = self._worker
            if worker is None or worker.pid != os.getpid():
                worker = _Worker(self)
                self._worker = worker
                worker.start()
            return worker

    def flush(self, timeout: float | None = None) -> bool:
        """Wake the worker and wait (at most ``timeout``, default ``shutdown_timeout``) until the journal is sent.

        Returns ``True`` when everything journaled before the call is in the sheet. Only the process holding
        the sender lock can get there; in the others this returns ``False`` at the time-out.
        """
        try:
            target = self.journal.stat().st_size
        except FileNotFoundError:
            return True
        worker = self._worker
        if worker is None or worker.pid != os.getpid():
            worker = self._start()
        timeout = self.settings.shutdown_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        worker.urgent = True
        worker.wake.set()
        while True:
            if worker.sent_up_to() >= target:
                return True
            if time.monotonic() >= deadline or not worker.thread.is_alive():
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
