"""The Google Sheets backend: a journal writer plus a background worker that appends rows in batches.

The journal (a HILT JSONL file) is the queue, so it is bounded only by the disk and a row can never be
dropped for lack of memory. One module per job:

``_settings``   journal and checkpoint paths, validation of a Sheets configuration (no network)
``_client``     credentials and an authenticated gspread client
``_rows``       event → row: the column set and the cell rules
``_journal``    reading the journal in batches of complete lines
``_checkpoint`` what the sheet holds (a small JSON file) and the one-sender-per-journal lock
``_worksheet``  which worksheet, and its header row
``_errors``     Google's failures → ``Retryable`` or ``WriterError``
``_sender``     one exactly-once step: reconcile an unknown outcome, or append the next batch
``_backoff``    retry delays
``_worker``     the background thread: pacing, retries, the exit drain
``_writer``     :class:`SheetsWriter`, the pipeline's writer
``_sync``       ``hilt sheets sync``: the same sender, in the foreground
``_dashboard``  ``hilt sheets dashboard`` and ``dashboard = true``: build or repair the Dashboard worksheet
``_dashboard_plan`` the Dashboard's cells (formulas) and charts, from the log's header (no network)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..jsonl import JsonlWriter
from ._settings import checkpoint_path_for, default_journal_path, journal_path_for, validate_sheets_settings
from ._writer import SheetsWriter

if TYPE_CHECKING:
    from ..._config import Settings

__all__ = ["SheetsWriter", "build_sheets_writers", "checkpoint_path_for", "default_journal_path"]


def build_sheets_writers(settings: Settings) -> list[Any]:
    """The journal writer and the Sheets writer for ``settings`` (validated here; no network)."""
    columns, credentials = validate_sheets_settings(settings)
    journal = journal_path_for(settings)
    return [JsonlWriter(journal), SheetsWriter(settings, credentials, columns, journal)]
