"""``hilt sheets sync``: backfill a sheet from a JSONL file, with a progress bar, idempotently."""

from __future__ import annotations

import os
from pathlib import Path

from hilt.cli import main

from tests.sheets._helpers import data_rows, event_ids, write_events


def _sync(sheets, credentials, path: Path, monkeypatch) -> int:
    monkeypatch.setenv("HILT_SHEETS_ENDPOINT", sheets.endpoint)
    monkeypatch.setenv("HILT_FLUSH_INTERVAL", "0")
    return main(["sheets", "sync", "--file", str(path), "--sheet-id", sheets.spreadsheet_id, "--credentials", str(credentials)])


def test_sync_backfills_a_file_in_batches_with_progress(sheets, credentials, tmp_path, monkeypatch, capsys):
    """``hilt sheets sync --file`` sends 1,200 rows in three 500-row appends, as text, with a progress bar."""
    path = tmp_path / "app.jsonl"
    ids = write_events(path, 1200)
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    assert event_ids(sheets) == ids
    assert {row[8] for row in data_rows(sheets)} == {"=1+1"}  # RAW: text, not a formula
    assert sheets.count("append") == 1 + 3  # header + 1200 rows in batches of 500
    out, err = capsys.readouterr()
    assert "1200 rows appended" in out
    assert "100.0%" in err


def test_sync_twice_adds_only_new_rows_even_without_its_checkpoint(sheets, credentials, tmp_path, monkeypatch, capsys):
    """Syncing a file again adds only its new rows, even after its checkpoint was deleted."""
    path = tmp_path / "app.jsonl"
    first = write_events(path, 5)
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    more = write_events(path, 3, start=5)
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    assert event_ids(sheets) == first + more
    checkpoints = list(Path(os.environ["XDG_STATE_HOME"]).rglob("*.checkpoint"))
    assert checkpoints
    for checkpoint in checkpoints:
        checkpoint.unlink()  # even with the progress forgotten, rows already in the sheet are skipped
    assert _sync(sheets, credentials, path, monkeypatch) == 0
    assert event_ids(sheets) == first + more


def test_sync_reports_a_sheet_that_is_not_shared(sheets, credentials, tmp_path, monkeypatch, capsys):
    """A sync to a sheet not shared exits 1 with an error naming the email to share with."""
    path = tmp_path / "app.jsonl"
    write_events(path, 2)
    sheets.forbidden = True
    assert _sync(sheets, credentials, path, monkeypatch) == 1
    err = capsys.readouterr().err
    assert "hilt: error:" in err and "share the sheet with hilt-test@" in err
