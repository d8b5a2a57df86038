"""Send a whole JSONL file to a Google Sheet now, in the foreground: ``hilt sheets sync``.

Without a file, this catches the sheet up from the configured journal, sharing the background
worker's checkpoint. With a file (any HILT JSONL log), it keeps a checkpoint of its own in the user
state folder and, before the first append, reads the worksheet's ``event_id`` column once, so rows
already in the sheet are skipped: syncing the same file twice adds nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...exceptions import WriterError
from ._backoff import backoff_delay
from ._errors import Retryable
from ._sender import Sender
from ._settings import checkpoint_path_for, journal_path_for, validate_sheets_settings
from ._worker import LARGE_BATCH_GAP

__all__ = ["SyncReport", "sync_to_sheet"]

MAX_ATTEMPTS = 8
"""Consecutive retryable failures before giving up (the checkpoint keeps the progress)."""

Progress = Callable[[int, int, int], None]  # (bytes done, bytes total, rows appended)


@dataclass(frozen=True)
class SyncReport:
    """What a sync did."""

    source: Path
    worksheet: str
    rows: int
    requests: int  # append requests, a refused one (400) included
    skipped_lines: int


def _sync_checkpoint(path: Path, settings: Any, columns: tuple[str, ...]) -> Path:
    import platformdirs

    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    folder = platformdirs.user_state_path("hilt", appauthor=False) / "sheets" / "sync"
    return checkpoint_path_for(folder / f"{path.name}-{digest}", settings, columns)


def sync_to_sheet(settings: Any, file: str | Path | None = None, progress: Progress | None = None) -> SyncReport:
    """Append every row of ``file`` (default: the journal) that the sheet lacks; returns a summary.

    Raises:
        WriterError: bad credentials, sheet not shared, another process is sending the same file, or
            Google kept failing (progress so far is kept; run again).
        ConfigError: a bad setting (unknown column, no sheet id).
    """
    columns, credentials = validate_sheets_settings(settings)
    if file is None:
        source = journal_path_for(settings)
        checkpoint = checkpoint_path_for(source, settings, columns)
        skip = None
    else:
        source = Path(file).expanduser()
        if not source.is_file():
            raise WriterError(f"{source} is not a file")
        checkpoint = _sync_checkpoint(source, settings, columns)
        skip = Sender.existing_keys
    sender = Sender(settings, credentials, columns, source, checkpoint, skip_keys=skip)
    if not sender.acquire():
        raise WriterError(f"another process is sending {source} to this sheet right now; try again when it is done")
    try:
        return _run(sender, settings, source, progress)
    finally:
        sender.close()


def _run(sender: Sender, settings: Any, source: Path, progress: Progress | None) -> SyncReport:
    assert sender.checkpoint is not None
    start = sender.checkpoint.offset
    total = max(0, source.stat().st_size - start) if source.exists() else 0
    gap = min(max(settings.flush_interval, 0.0), LARGE_BATCH_GAP)
    rows = requests = attempt = 0
    last = float("-inf")
    if progress:
        progress(0, total, 0)
    while True:
        try:
            if not sender.connected:
                sender.connect()
            wait = last + gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            result = sender.step()
        except Retryable as exc:
            attempt += 1
            if attempt > MAX_ATTEMPTS:
                raise WriterError(f"Google Sheets kept failing ({exc}); the progress is saved, run the sync again") from exc
            time.sleep(backoff_delay(attempt, exc.retry_after))
            continue
        attempt = 0
        rows += result.rows
        if result.requests:
            requests += result.requests
            last = time.monotonic()
        if progress:
            progress(min(total, sender.checkpoint.offset - start), total, rows)
        if not result.more and not sender.checkpoint.inflight:
            break
    title = sender.checkpoint.worksheet or settings.worksheet_name
    return SyncReport(source, title, rows, requests, sender.bad_lines)
