"""The optional ``metadata`` and ``sample_rate`` columns: added to the default columns when their setting is on,
an existing sheet's header is never rewritten for them, and the dashboard finds the worksheet the rows go to
(real gspread against the loopback fake Sheets API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.cli import main
from hilt.writers.sheets._rows import ALL_COLUMNS, fallback_worksheet_title

from tests.sheets._helpers import chat, sheets_writer

LABELS = {"legal_basis": "contract"}


def test_turning_metadata_on_over_an_existing_sheet_writes_to_a_new_worksheet(client: Any, sheets: Any, sheet_options: dict) -> None:
    """A Logs worksheet with the 20 default columns is left as it is; the labelled rows go to the worksheet of the
    21-column set, whose last column holds the labels as JSON."""
    sheets.add_worksheet("Logs", [list(ALL_COLUMNS)])
    hilt.instrument(**sheet_options, metadata=LABELS)
    chat(client, 1)
    assert sheets_writer().flush(5)
    hilt.uninstrument()
    title = fallback_worksheet_title("Logs", (*ALL_COLUMNS, "metadata"))
    assert title.startswith("Logs [21 columns ")
    assert sheets.rows("Logs") == [list(ALL_COLUMNS)]
    header, *rows = sheets.rows(title)
    assert header == [*ALL_COLUMNS, "metadata"]
    assert [(row[7], json.loads(row[-1])) for row in rows] == [("prompt", LABELS), ("completion", LABELS)]


def test_sampling_adds_the_sample_rate_column_to_a_new_sheet(client: Any, sheets: Any, sheet_options: dict) -> None:
    """With sample_rate below 1 and no columns setting, a new Logs worksheet gets a sample_rate column after the 20."""
    hilt.instrument(**sheet_options, sample_rate=0.999999)
    with hilt.conversation(id="conv-kept"):
        chat(client, 1)
    assert sheets_writer().flush(5)
    hilt.uninstrument()
    header, *rows = sheets.rows("Logs")
    assert header == [*ALL_COLUMNS, "sample_rate"]
    assert [row[-1] for row in rows] == [0.999999, 0.999999]


def dashboard(sheets: Any, credentials: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("HILT_SHEETS_ENDPOINT", sheets.endpoint)
    return main(["sheets", "dashboard", "--sheet-id", sheets.spreadsheet_id, "--credentials", str(credentials)])


def test_the_dashboard_reads_a_log_worksheet_with_the_optional_columns(sheets: Any, credentials: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """A Logs worksheet whose header ends with metadata and sample_rate is a HILT log: the dashboard is built over it."""
    sheets.add_worksheet("Logs", [[*ALL_COLUMNS, "metadata", "sample_rate"]])
    assert dashboard(sheets, credentials, monkeypatch) == 0
    assert "created worksheet 'Dashboard' over worksheet 'Logs'" in capsys.readouterr().out


def test_the_dashboard_follows_the_rows_to_the_worksheet_of_the_configured_columns(sheets: Any, credentials: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """With metadata configured, the rows go to the 21-column worksheet when Logs has the 20 columns: the dashboard
    is built over that worksheet, not over the old one."""
    fallback = fallback_worksheet_title("Logs", (*ALL_COLUMNS, "metadata"))
    sheets.add_worksheet("Logs", [list(ALL_COLUMNS)])
    sheets.add_worksheet(fallback, [[*ALL_COLUMNS, "metadata"]])
    monkeypatch.setenv("HILT_METADATA", json.dumps(LABELS))
    assert dashboard(sheets, credentials, monkeypatch) == 0
    assert f"created worksheet 'Dashboard ({fallback})' over worksheet '{fallback}'" in capsys.readouterr().out
