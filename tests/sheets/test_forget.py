"""``hilt logs forget`` with the Sheets backend: the journal's lines and the sheet's rows of a user go, the rest is sent once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.cli import main
from hilt.writers.sheets._checkpoint import SenderLock

from tests.privacy._calls import call
from tests.sheets._helpers import data_rows, sheets_writer

_USER_COLUMN = 19  # "user" in the default columns


def _configure(monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], columns: str | None = None) -> None:
    """The same Sheets configuration for the ``hilt`` command, through HILT_* variables."""
    for key in ("sheet_id", "credentials_path", "sheets_endpoint", "journal_path"):
        monkeypatch.setenv(f"HILT_{key.upper()}", options[key])
    monkeypatch.setenv("HILT_BACKEND", "sheets")
    if columns:
        monkeypatch.setenv("HILT_COLUMNS", columns)


def _journal_users(journal: Path) -> list[str]:
    return [json.loads(line)["extensions"]["user"] for line in journal.read_text().splitlines()]


def _sent_and_pending(sheets: Any, options: dict[str, Any], client: Any) -> None:
    """alice then bob, sent to the sheet; then alice then bob again, left pending in the journal (sheet refused)."""
    hilt.instrument(**options)
    call(client, "alice", "conv_a", "alice sent")
    call(client, "bob", "conv_b", "bob sent")
    assert sheets_writer().flush(10)
    hilt.uninstrument()
    sheets.forbidden = True
    hilt.instrument(**options)
    call(client, "alice", "conv_a", "alice pending")
    call(client, "bob", "conv_b", "bob pending")
    hilt.uninstrument()
    sheets.forbidden = False


def test_forget_deletes_sheet_rows_and_journal_lines(sheets, sheet_options, client, monkeypatch, capsys):
    """forget --user alice deletes her 2 rows from the sheet and her 4 journal lines; bob's pending rows are then sent once."""
    _sent_and_pending(sheets, sheet_options, client)
    journal = Path(sheet_options["journal_path"])
    assert [row[_USER_COLUMN] for row in data_rows(sheets)] == ["alice", "alice", "bob", "bob"]
    _configure(monkeypatch, sheet_options)

    assert main(["logs", "forget", "--user", "alice"]) == 0

    assert capsys.readouterr().out.splitlines() == [
        f"{journal}: removed 4 event(s)",
        "sheet worksheet 'Logs': deleted rows 2-3",
        "total: removed 4 event(s) from 1 file(s), 2 sheet row(s)",
    ]
    assert [row[_USER_COLUMN] for row in data_rows(sheets)] == ["bob", "bob"]
    assert _journal_users(journal) == ["bob"] * 4
    hilt.instrument(**sheet_options)
    assert sheets_writer().flush(10)
    hilt.uninstrument()
    journal_ids = [json.loads(line)["event_id"] for line in journal.read_text().splitlines()]
    assert [row[2] for row in data_rows(sheets)] == journal_ids  # the pending bob rows, once, none of alice's


def test_dry_run_deletes_nothing(sheets, sheet_options, client, monkeypatch, capsys):
    """forget --dry-run names the rows it would delete and changes neither the sheet nor the journal."""
    _sent_and_pending(sheets, sheet_options, client)
    journal = Path(sheet_options["journal_path"])
    before_rows, before_journal = sheets.rows("Logs"), journal.read_bytes()
    _configure(monkeypatch, sheet_options)
    sheets.clear_requests()
    assert main(["logs", "forget", "--user", "alice", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "sheet worksheet 'Logs': would delete rows 2-3",
        "total: would remove 4 event(s) from 1 file(s), 2 sheet row(s)",
    ]
    assert (sheets.rows("Logs"), journal.read_bytes()) == (before_rows, before_journal)
    assert sheets.count("batch_update") == 0


def test_without_a_user_column_rows_are_found_by_event_id_and_the_rest_is_explained(sheets, sheet_options, client, monkeypatch, capsys):
    """With columns lacking user and speaker, alice's rows are found through the journal's event ids; exit 1 says what to check by hand."""
    options = {**sheet_options, "columns": ["timestamp", "event_id", "message"]}
    hilt.instrument(**options)
    call(client, "alice", "conv_a", "alice sent")
    call(client, "bob", "conv_b", "bob sent")
    assert sheets_writer().flush(10)
    hilt.uninstrument()
    _configure(monkeypatch, sheet_options, "timestamp,event_id,message")
    assert main(["logs", "forget", "--user", "alice"]) == 1
    out = capsys.readouterr().out
    assert "sheet worksheet 'Logs': deleted rows 2-3" in out
    assert "by hand: worksheet 'Logs' has neither a 'user' nor a 'speaker' column" in out
    assert [row[2] for row in data_rows(sheets)] == ["bob sent", "Hello! How can I help you today?"]


def test_a_running_sender_makes_forget_stop(sheets, sheet_options, client, monkeypatch, capsys, tmp_path):
    """While another process holds the sender lock, forget exits 1 with what to do and leaves the journal and the sheet as they are."""
    _sent_and_pending(sheets, sheet_options, client)
    journal = Path(sheet_options["journal_path"])
    before_rows, before_journal = sheets.rows("Logs"), journal.read_bytes()
    (checkpoint,) = journal.parent.glob("*.checkpoint")
    lock = SenderLock(str(checkpoint) + ".lock")
    _configure(monkeypatch, sheet_options)
    held = _hold_lock_in_child(lock.path)
    try:
        assert main(["logs", "forget", "--user", "alice"]) == 1
    finally:
        held.terminate()
        held.wait(10)
        held.stdout.close()
    assert "a running process is sending" in capsys.readouterr().err
    assert (sheets.rows("Logs"), journal.read_bytes()) == (before_rows, before_journal)


def _hold_lock_in_child(path: Path) -> Any:
    """A child process holding the ``flock`` on ``path`` until terminated (started once it holds it)."""
    import subprocess
    import sys

    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_refused_deletion_names_the_rows_to_delete_by_hand(sheets, sheet_options, client, monkeypatch, capsys):
    """When Google refuses the row deletion, forget exits 1 and names the rows to delete by hand; the journal is cleaned anyway."""
    _sent_and_pending(sheets, sheet_options, client)
    journal = Path(sheet_options["journal_path"])
    _configure(monkeypatch, sheet_options)
    sheets.fail(403, kind="batch_update")
    assert main(["logs", "forget", "--user", "alice"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "sheet worksheet 'Logs': no row deleted (rows found: 2-3)"
    assert out[2].startswith("  by hand: Google refused the deletion (")
    assert out[2].endswith("): delete rows 2-3 of worksheet 'Logs' by hand (Edit > Delete, bottom first)")
    assert [row[_USER_COLUMN] for row in data_rows(sheets)] == ["alice", "alice", "bob", "bob"]
    assert _journal_users(journal) == ["bob"] * 4


def test_rows_apart_are_deleted_bottom_up(sheets, sheet_options, client, monkeypatch, capsys):
    """alice's rows 2-3 and 6-7 around bob's 4-5 are deleted in one batchUpdate, bottom run first, leaving exactly bob's rows."""
    hilt.instrument(**sheet_options)
    call(client, "alice", "conv_a", "one")
    call(client, "bob", "conv_b", "two")
    call(client, "alice", "conv_a", "three")
    assert sheets_writer().flush(10)
    hilt.uninstrument()
    bob_rows = data_rows(sheets)[2:4]
    _configure(monkeypatch, sheet_options)
    sheets.clear_requests()
    assert main(["logs", "forget", "--user", "alice"]) == 0
    assert "sheet worksheet 'Logs': deleted rows 2-3, 6-7" in capsys.readouterr().out
    assert data_rows(sheets) == bob_rows
    (request,) = [r for r in sheets.requests if r.kind == "batch_update"]
    ranges = [(r["deleteDimension"]["range"]["startIndex"], r["deleteDimension"]["range"]["endIndex"]) for r in json.loads(request.body)["requests"]]
    assert ranges == [(5, 7), (1, 3)]
