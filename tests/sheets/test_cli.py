"""``hilt sheets sync``: backfill a sheet from a JSONL file, with a progress bar, idempotently."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hilt.cli import main

from ._helpers import data_rows, event_ids


def _log(path: Path, n: int, start: int = 0) -> list[str]:
    ids = [f"00000000-0000-7000-8000-{i:012d}" for i in range(start, start + n)]
    with path.open("a", encoding="utf-8") as handle:
        for event_id in ids:
            event = {"event_id": event_id, "timestamp": "2026-01-01T00:00:00+00:00", "session_id": "conv_x",
                     "actor": {"type": "human", "id": "user"}, "action": "prompt", "content": {"text": "=1+1"}}
            handle.write(json.dumps(event) + "\n")
    return ids


def _sync(sheets, credentials, path: Path, monkeypatch) -> int:
    monkeypatch.setenv("HILT_SHEETS_ENDPOINT", sheets.endpoint)
    monkeypatch.setenv("HILT_FLUSH_INTERVAL", "0")
    return main(["sheets", "sync", "--file", str(path), "--sheet-id", sheets.spreadsheet_id, "--credentials", str(credentials)])


def test_sync_backfills_a_file_in_batches_with_progress(sheets, credentials, tmp_path, monkeypatch, capsys):
    path = tmp_path / "app.jsonl"
    ids = _log(path, 1200)
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    assert event_ids(sheets) == ids
    assert {row[8] for row in data_rows(sheets)} == {"=1+1"}  # RAW: text, not a formula
    assert sheets.count("append") == 1 + 3  # header + 1200 rows in batches of 500
    out, err = capsys.readouterr()
    assert "1200 rows appended" in out
    assert "100.0%" in err


def test_sync_twice_adds_only_new_rows_even_without_its_checkpoint(sheets, credentials, tmp_path, monkeypatch, capsys):
    path = tmp_path / "app.jsonl"
    first = _log(path, 5)
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    more = _log(path, 3, start=5)
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    assert event_ids(sheets) == first + more
    checkpoints = list(Path(os.environ["XDG_STATE_HOME"]).rglob("*.checkpoint"))
    assert checkpoints
    for checkpoint in checkpoints:
        checkpoint.unlink()  # even with the progress forgotten, rows already in the sheet are skipped
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    assert event_ids(sheets) == first + more


def test_sync_reports_a_sheet_that_is_not_shared(sheets, credentials, tmp_path, monkeypatch, capsys):
    path = tmp_path / "app.jsonl"
    _log(path, 2)
    sheets.forbidden = True
    assert _sync(sheets, credentials, path, monkeypatch) == 1
    err = capsys.readouterr().err
    assert "hilt: error:" in err and "share the sheet with hilt-test@" in err
