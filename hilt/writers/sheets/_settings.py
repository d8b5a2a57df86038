"""Where a Sheets configuration keeps its files (journal, checkpoint), and its validation (no network)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ...exceptions import ConfigError
from ._client import Credentials, check_credentials, require_gspread
from ._rows import resolve_columns

if TYPE_CHECKING:
    from ..._config import Settings

__all__ = ["checkpoint_path_for", "default_journal_path", "journal_path_for", "validate_sheets_settings"]


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
    if settings.columns is None:  # the compliance labels and the sampling rate travel to the sheet too
        columns += (("metadata",) if settings.metadata else ()) + (("sample_rate",) if settings.sample_rate < 1 else ())
    if not settings.sheet_id:
        raise ConfigError(
            settings.sources.get("sheet_id", "instrument()") if settings.sources else "instrument()",
            "sheet_id",
            "the id of the Google Sheet (the long part of its URL between /d/ and /edit); HILT_SHEET_ID",
        )
    require_gspread()
    return columns, check_credentials(settings)
