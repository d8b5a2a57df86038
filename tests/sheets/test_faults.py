"""Faults of Google's side and of HILT's own: the sender never dies, never stalls, never reopens the sheet to retry."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import hilt
from hilt.cli import main
from hilt.testing import wait_for
from hilt.writers.sheets import _backoff
from hilt.writers.sheets._backoff import RETRY_AFTER_CAP, backoff_delay, retry_after_seconds
from hilt.writers.sheets._checkpoint import Checkpoint, SenderLock
from hilt.writers.sheets._sender import Sender

from tests.sheets._helpers import chat, event_ids, sheets_writer, write_events


def _connected(sheets: Any, options: dict[str, Any]) -> Path:
    """Instrument, send two rows (the worker is then connected), forget the requests so far; returns the journal."""
    journal = Path(options["journal_path"])
    write_events(journal, 2)
    hilt.instrument(**options)
    assert sheets_writer().flush(5)
    sheets.clear_requests()
    return journal


def _kinds(sheets: Any) -> dict[str, int]:
    return {kind: sheets.count(kind) for kind in ("token", "metadata", "values_get", "append")}


# --- malformed replies and odd Retry-After values -------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "body"),
    [
        (200, "metadata", b"[]"),  # an array where the spreadsheet object belongs
        (200, "metadata", b"<html>not json</html>"),
        (200, "metadata", b'{"spreadsheetId": "fake-spreadsheet-id"}'),  # "properties" and "sheets" missing
        (200, "values_get", b'{"range": "x", "values": "not rows"}'),  # the header read
        (503, "metadata", b"<html>Service Unavailable</html>"),
    ],
)
def test_a_malformed_reply_is_retried_and_the_rows_arrive(client, sheets, sheet_options, status, kind, body):
    """One malformed reply while opening the sheet is retried with back-off; the worker lives on and sends every row."""
    from hilt.writers.sheets._rows import ALL_COLUMNS

    sheets.add_worksheet("Logs", [list(ALL_COLUMNS)])  # so that opening reads the header row
    sheets.fail(status, times=1, kind=kind, body=body)
    hilt.instrument(**sheet_options)
    chat(client, 2)
    assert sheets_writer().flush(5)
    assert len(event_ids(sheets)) == 4
    assert sheets.worksheets() == ["Sheet1", "Logs"]
    assert sheets_writer()._worker.thread.is_alive()


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "100000", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_odd_retry_after_values_neither_kill_nor_stall_the_worker(sheets, sheet_options, monkeypatch, caplog, value):
    """A 429 whose Retry-After is infinite, not a number, negative or huge delays the retry by at most the cap."""
    monkeypatch.setattr(_backoff, "RETRY_AFTER_CAP", 0.3)
    journal = _connected(sheets, sheet_options)
    sheets.fail(429, times=1, headers={"Retry-After": value})
    with caplog.at_level(logging.WARNING, logger="hilt"):
        write_events(journal, 2, start=2)
        started = time.monotonic()
        assert sheets_writer().flush(5)
    assert time.monotonic() - started < 3.0
    assert len(event_ids(sheets)) == 4
    assert [r.status for r in sheets.requests if r.kind == "append"] == [429, 200]
    # Another test's worker that outlived it may log too (seen once in a full run): judge every refusal's delay.
    retries = [r.getMessage() for r in caplog.records if "did not take the rows" in r.getMessage()]
    assert retries and all(float(m.rsplit("retrying in ", 1)[1].split(" ")[0]) <= 0.3 for m in retries), retries


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0", 0.0), ("2.5", 2.5), ("100000", 300.0), ("inf", None), ("-inf", None), ("nan", None), ("-5", None),
     ("soon", None), (None, None)],
)
def test_retry_after_is_finite_non_negative_and_capped_at_five_minutes(header, seconds):
    """Retry-After counts only as a finite, non-negative number of seconds, at most RETRY_AFTER_CAP (300 s)."""
    assert RETRY_AFTER_CAP == 300.0
    assert retry_after_seconds(header) == seconds


def test_backoff_delay_never_exceeds_the_caps(monkeypatch):
    """The back-off for any attempt number stays under BACKOFF_CAP, and a server's wait under RETRY_AFTER_CAP."""
    monkeypatch.setattr(_backoff, "BACKOFF_BASE", 1.0)  # the shipped values, not the tests' fast ones
    monkeypatch.setattr(_backoff, "BACKOFF_CAP", 64.0)
    assert 32.0 <= backoff_delay(10_000) <= 64.0
    assert backoff_delay(1, retry_after=1e9) == 300.0
    assert backoff_delay(1, retry_after=float("inf")) <= 1.0


# --- retries touch only the append ---------------------------------------------------------------


@pytest.mark.parametrize("body", [None, b"<html><title>429 Too Many Requests</title></html>"])
def test_after_a_429_only_the_append_is_retried(sheets, sheet_options, body):
    """A 429 (with Google's JSON error or an HTML page) is retried with the append alone: no token, metadata or header read."""
    journal = _connected(sheets, sheet_options)
    sheets.fail(429, times=3, body=body)
    write_events(journal, 2, start=2)
    assert sheets_writer().flush(5)
    assert _kinds(sheets) == {"token": 0, "metadata": 0, "values_get": 0, "append": 4}
    assert len(event_ids(sheets)) == 4


def test_after_a_5xx_the_retry_reads_back_one_column_then_appends(sheets, sheet_options):
    """A 503 leaves the outcome unknown: each retry reads back the event_id column below the last known row, nothing more."""
    journal = _connected(sheets, sheet_options)
    sheets.fail(503, times=3)
    write_events(journal, 2, start=2)
    assert sheets_writer().flush(5)
    assert _kinds(sheets) == {"token": 0, "metadata": 0, "values_get": 3, "append": 4}
    assert {unquote(r.path.rsplit("/", 1)[1]) for r in sheets.requests if r.kind == "values_get"} == {"'Logs'!C3:C"}
    assert len(event_ids(sheets)) == 4


# --- the worker survives and is replaced ---------------------------------------------------------


def test_an_unusable_checkpoint_is_retried_with_backoff(client, sheets, sheet_options, caplog):
    """An OSError of HILT's own (the checkpoint path is a folder) is reported once and retried; the rows arrive once it clears."""
    hilt.instrument(**sheet_options)
    checkpoint = sheets_writer().checkpoint_path
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.mkdir()
    with caplog.at_level(logging.WARNING, logger="hilt"):
        chat(client, 2)
        wait_for(lambda: "IsADirectoryError" in caplog.text, timeout=5)
        assert sheets_writer().flush(0.2) is False
    checkpoint.rmdir()
    assert sheets_writer().flush(5)
    assert len(event_ids(sheets)) == 4
    assert sum("IsADirectoryError" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the injected SystemExit
def test_a_worker_that_died_is_replaced_by_the_next_write(client, sheets, sheet_options, monkeypatch):
    """If the sender thread ends anyway (here a SystemExit inside it), the next write starts a new one and the rows arrive."""
    original = Sender.step
    deaths = []

    def step_once_fatal(self: Sender) -> Any:
        if not deaths:
            deaths.append(1)
            raise SystemExit("injected")
        return original(self)

    monkeypatch.setattr(Sender, "step", step_once_fatal)
    hilt.instrument(**sheet_options)
    chat(client, 1)
    dead = sheets_writer()._worker
    wait_for(lambda: not dead.thread.is_alive(), timeout=5)
    chat(client, 1)
    assert sheets_writer()._worker is not dead
    assert sheets_writer().flush(5)
    assert len(event_ids(sheets)) == 4


# --- 400: a row Google refuses -------------------------------------------------------------------


def test_a_cell_of_30000_emoji_is_cut_to_50000_utf16_units_and_accepted(client, sheets, sheet_options):
    """A prompt of 30,000 emoji (60,000 UTF-16 units) reaches the sheet cut to Google's 50,000-unit limit, with no 400."""
    hilt.instrument(**sheet_options)
    chat(client, 1, "😀" * 30_000)
    assert sheets_writer().flush(5)
    header, prompt, _ = sheets.rows()
    message = dict(zip(header, prompt))["message"]
    assert len(message.encode("utf-16-le")) // 2 == 50_000
    assert message.endswith("😀…[truncated by HILT]")
    assert [r.status for r in sheets.requests if r.kind == "append"] == [200, 200]


def test_a_rejected_row_becomes_a_placeholder_and_later_rows_go_on(sheets, sheet_options, monkeypatch, caplog):
    """A batch refused with 400 is bisected; the bad row is replaced by a placeholder (event_id, timestamp, why), warned once."""
    from hilt.writers.sheets import _rows

    monkeypatch.setattr(_rows, "CELL_LIMIT", 10**6)  # HILT's own cut off: only Google refuses the long cell
    journal = Path(sheet_options["journal_path"])
    ids = write_events(journal, 10, texts={2: "x" * 50_001})
    with caplog.at_level(logging.WARNING, logger="hilt"):
        hilt.instrument(**sheet_options)
        assert sheets_writer().flush(5)
    assert event_ids(sheets) == ids
    header, *rows = sheets.rows()
    bad = dict(zip(header, rows[2]))
    assert bad["event_id"] == ids[2] and bad["timestamp"] == "2026-01-01T00:00:02+00:00"
    assert bad["message"] == (
        "[HILT: Google Sheets rejected this row (Your input contains more than the maximum of 50000 characters in a "
        "single cell.); the full event is in the local journal]"
    )
    assert {k for k, v in bad.items() if v != ""} == {"event_id", "timestamp", "message"}
    assert [dict(zip(header, row))["message"] for row in rows[3:]] == ["=1+1"] * 7
    # header; 10 rows refused; 5 refused; 2 sent; 2 refused; the bad row refused; its placeholder; the last 7
    assert [r.status for r in sheets.requests if r.kind == "append"] == [200, 400, 400, 200, 400, 400, 200, 200]
    assert sum("rejected a row" in r.getMessage() for r in caplog.records) == 1


def test_a_400_for_every_row_stops_without_placeholders(sheets, sheet_options, caplog):
    """When Google refuses even a placeholder (the problem is not the rows), nothing is replaced and the rows wait."""
    from hilt.writers.sheets._rows import ALL_COLUMNS

    sheets.add_worksheet("Logs", [list(ALL_COLUMNS)])
    journal = Path(sheet_options["journal_path"])
    write_events(journal, 2)
    sheets.fail(400, times=1000)
    with caplog.at_level(logging.WARNING, logger="hilt"):
        hilt.instrument(**sheet_options)
        wait_for(lambda: "rejects every row" in caplog.text, timeout=5)
    assert sheets.rows("Logs") == [list(ALL_COLUMNS)]
    # the 2 rows refused; the first alone refused; its placeholder refused: then HILT waits for the user
    assert [r.status for r in sheets.requests if r.kind == "append"][:3] == [400, 400, 400]
    assert "replaced by a placeholder" not in caplog.text


# --- folders, backlog ----------------------------------------------------------------------------


def test_checkpoint_and_lock_folders_are_private(tmp_path):
    """Every folder HILT creates for a checkpoint or a sender lock is mode 0700, parents included."""
    old = os.umask(0o022)
    try:
        Checkpoint(tmp_path / "a" / "b" / "x.checkpoint").save()
        lock = SenderLock(tmp_path / "c" / "d" / "x.lock")
        assert lock.acquire()
        lock.release()
    finally:
        os.umask(old)
    for folder in ("a", "a/b", "c", "c/d"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder


def test_sync_creates_its_state_folders_private(sheets, credentials, tmp_path, monkeypatch):
    """``hilt sheets sync --file`` keeps its checkpoint under state folders created 0700."""
    path = tmp_path / "app.jsonl"
    write_events(path, 3)
    monkeypatch.setenv("HILT_SHEETS_ENDPOINT", sheets.endpoint)
    old = os.umask(0o022)
    try:
        assert main(["sheets", "sync", "--file", str(path), "--sheet-id", sheets.spreadsheet_id,
                     "--credentials", str(credentials), "--no-progress"]) == 0
    finally:
        os.umask(old)
    state = Path(os.environ["XDG_STATE_HOME"])
    for folder in ("hilt", "hilt/sheets", "hilt/sheets/sync"):
        assert stat.S_IMODE((state / folder).stat().st_mode) == 0o700, folder


def test_sync_survives_a_malformed_reply_and_a_huge_retry_after(sheets, credentials, tmp_path, monkeypatch, capsys):
    """``hilt sheets sync`` retries a malformed metadata reply and caps Retry-After: it finishes instead of crashing or stalling."""
    monkeypatch.setattr(_backoff, "RETRY_AFTER_CAP", 0.2)
    path = tmp_path / "app.jsonl"
    ids = write_events(path, 3)
    sheets.fail(200, kind="metadata", body=b"[]")
    sheets.fail(429, headers={"Retry-After": "100000"})
    monkeypatch.setenv("HILT_SHEETS_ENDPOINT", sheets.endpoint)
    started = time.monotonic()
    assert main(["sheets", "sync", "--file", str(path), "--sheet-id", sheets.spreadsheet_id,
                 "--credentials", str(credentials), "--no-progress"]) == 0
    assert time.monotonic() - started < 5.0
    assert event_ids(sheets) == ids
    assert "3 rows appended" in capsys.readouterr().out


def test_instrument_with_a_backlog_catches_up_at_once_in_the_background(sheets, sheet_options):
    """Rows left in the journal by an earlier run are sent right after ``instrument()``, with no LLM call, without waiting for Google."""
    journal = Path(sheet_options["journal_path"])
    ids = write_events(journal, 5)
    sheets.hang = True  # a catch-up done in the foreground would block instrument() here
    started = time.monotonic()
    hilt.instrument(**dict(sheet_options, flush_interval=30.0))
    elapsed = time.monotonic() - started
    wait_for(lambda: sheets.waiting, timeout=5)  # the worker is already talking to Google
    assert elapsed < 0.5, elapsed
    sheets.release()
    wait_for(lambda: event_ids(sheets) == ids, timeout=5)


def test_instrument_without_a_backlog_starts_no_thread(sheets, sheet_options):
    """An empty or fully sent journal starts no sender thread at instrument() (it starts with the first event)."""
    journal = Path(sheet_options["journal_path"])
    hilt.instrument(**sheet_options)
    assert sheets_writer()._worker is None
    write_events(journal, 2)
    assert sheets_writer().flush(5)
    hilt.uninstrument()
    hilt.instrument(**sheet_options)
    assert sheets_writer()._worker is None
    assert sheets.count("append") == 2
