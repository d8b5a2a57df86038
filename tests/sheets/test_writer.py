"""The Sheets backend in-process: batching, RAW input, retries, header policy, credentials, request path."""

from __future__ import annotations

import json
import logging
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import hilt
from hilt.exceptions import ConfigError, WriterError
from hilt.testing import CLIENT_EMAIL, read_lines, service_account_info, wait_for

from tests.sheets._helpers import chat, data_rows, event_ids, sheets_writer


def _journal(options: dict[str, Any]) -> list[dict[str, Any]]:
    return read_lines(Path(options["journal_path"]))


def _assert_exactly_once(sheets: Any, options: dict[str, Any], title: str = "Logs") -> None:
    journal_ids = [e["event_id"] for e in _journal(options)]
    sheet_ids = event_ids(sheets, title)
    assert len(sheet_ids) == len(set(sheet_ids)), "a row was appended twice"
    assert sheet_ids == journal_ids


def test_batching_sends_far_fewer_requests_than_events(client, sheets, sheet_options):
    """120 events reach the sheet exactly once in at most 12 RAW appends, with no row read at start-up."""
    hilt.instrument(**dict(sheet_options, flush_interval=0.3))
    chat(client, 60)
    assert sheets_writer().flush(5)
    hilt.uninstrument()
    _assert_exactly_once(sheets, sheet_options)
    appends = [r for r in sheets.requests if r.kind == "append"]
    assert len(data_rows(sheets)) == 120
    assert len(appends) <= 12, len(appends)  # header + a few batches, not 120 requests
    assert all(r.query["valueInputOption"] == "RAW" for r in appends)
    assert sheets.count("values_get") == 0  # start-up reads no rows: the worksheet was created


def test_formulas_arrive_as_text_and_numbers_as_numbers(client, sheets, sheet_options):
    """A formula-like prompt is stored as text, token counts and latency as numbers, the timestamp with its zone."""
    hilt.instrument(**sheet_options)
    formula = '=HYPERLINK("http://evil.example","click")'
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": formula}])
    assert sheets_writer().flush(5)
    header, prompt, completion = sheets.rows()
    row = dict(zip(header, prompt))
    assert row["message"] == formula
    done = dict(zip(header, completion))
    assert isinstance(done["tokens_in"], int) and isinstance(done["latency_ms"], int)
    assert done["timestamp"].endswith("+00:00")


def test_columns_choose_what_the_sheet_holds(client, sheets, sheet_options):
    """``columns`` sets the header and the cells sent; a left-out message never leaves the machine but stays in the journal."""
    hilt.instrument(**sheet_options, columns=["timestamp", "event_id", "action", "model"])
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "secret prompt"}])
    assert sheets_writer().flush(5)
    assert sheets.rows()[0] == ["timestamp", "event_id", "action", "model"]
    assert [r[2] for r in data_rows(sheets)] == ["prompt", "completion"]
    assert not any(b"secret prompt" in r.body for r in sheets.requests)
    assert "secret prompt" in json.dumps(_journal(sheet_options))  # the local journal keeps everything


def test_unknown_column_fails_at_instrument(sheet_options):
    """An unknown column name is a ConfigError at ``instrument()`` that names it and lists the valid ones."""
    with pytest.raises(ConfigError) as info:
        hilt.instrument(**sheet_options, columns=["timestamp", "bogus"])
    assert "bogus" in str(info.value) and "relevance_score" in str(info.value)


def test_429_storm_then_recovery_delivers_every_row_once(client, sheets, sheet_options):
    """After twelve 429s in a row, every journaled row is in the sheet exactly once."""
    hilt.instrument(**sheet_options)
    chat(client, 2)
    assert sheets_writer().flush(5)
    sheets.fail(429, times=12)
    chat(client, 10)
    assert sheets_writer().flush(10)
    hilt.uninstrument()
    _assert_exactly_once(sheets, sheet_options)
    assert sum(1 for r in sheets.requests if r.kind == "append" and r.status == 429) == 12


def test_500s_before_and_after_the_write_never_duplicate(client, sheets, sheet_options):
    """5xx answers before and after the write are read back, never resent: 28 rows, each once."""
    hilt.instrument(**sheet_options)
    chat(client, 2)
    assert sheets_writer().flush(5)
    sheets.fail(500, times=2)  # refused
    sheets.fail_after_apply(500, times=3)  # written, then an error: HILT must read back, not resend
    for _ in range(4):
        chat(client, 3)
        time.sleep(0.1)
    assert sheets_writer().flush(10)
    hilt.uninstrument()
    _assert_exactly_once(sheets, sheet_options)
    assert len(data_rows(sheets)) == 28
    assert sheets.count("values_get") >= 1  # the read-back of the last rows


def test_header_mismatch_appends_to_a_worksheet_named_after_the_columns(client, sheets, sheet_options, caplog):
    """A foreign header is never overwritten: rows go to ``Logs [event_id,action]``, now and on later runs, with one warning."""
    sheets.add_worksheet("Logs", [["when", "what"], ["yesterday", "kept"]])
    hilt.instrument(**sheet_options, columns=["event_id", "action"])
    with caplog.at_level(logging.WARNING, logger="hilt"):
        chat(client, 2)
        assert sheets_writer().flush(5)
    assert sheets.rows("Logs") == [["when", "what"], ["yesterday", "kept"]]  # never overwritten
    title = "Logs [event_id,action]"
    assert sheets.rows(title)[0] == ["event_id", "action"]
    assert [r[0] for r in data_rows(sheets, title)] == [e["event_id"] for e in _journal(sheet_options)]
    assert title in caplog.text
    hilt.uninstrument()
    hilt.instrument(**sheet_options, columns=["event_id", "action"])  # next run goes straight there
    chat(client, 1)
    assert sheets_writer().flush(5)
    assert len(data_rows(sheets, title)) == 6


def test_existing_worksheet_with_the_right_header_is_reused_without_reading_rows(client, sheets, sheet_options):
    """A worksheet with HILT's header gets rows appended below, and only its header row is read."""
    sheets.add_worksheet("Logs", [["event_id", "action"], ["old", "prompt"]])
    hilt.instrument(**sheet_options, columns=["event_id", "action"])
    chat(client, 1)
    assert sheets_writer().flush(5)
    assert sheets.rows("Logs")[:2] == [["event_id", "action"], ["old", "prompt"]]
    assert len(sheets.rows("Logs")) == 4
    gets = [r for r in sheets.requests if r.kind == "values_get"]
    assert [unquote(r.path.rsplit("/", 1)[-1]) for r in gets] == ["'Logs'!1:1"]  # the header row only


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("{not json", "not valid JSON"),
        ('{"type": "authorized_user"}', "not a service-account key"),
        ('{"type": "service_account"}', "lacks client_email"),
    ],
)
def test_bad_credentials_files_fail_at_instrument_with_advice(tmp_path, sheet_options, content, expected):
    """A missing or malformed key file fails ``instrument()`` with a WriterError naming the file and the problem."""
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(WriterError) as info:
        hilt.instrument(**dict(sheet_options, credentials_path=str(path)))
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_missing_sheet_id_is_a_config_error(sheet_options):
    """A Sheets backend without ``sheet_id`` is a ConfigError that names the setting."""
    with pytest.raises(ConfigError, match="sheet_id"):
        hilt.instrument(**dict(sheet_options, sheet_id=None))


def test_sheet_not_shared_says_which_email_to_share_with(client, sheets, sheet_options, caplog):
    """A 403 is reported with the service account's email; once shared, the worker delivers every row by itself."""
    sheets.forbidden = True
    hilt.instrument(**sheet_options)
    with caplog.at_level(logging.WARNING, logger="hilt"):
        chat(client, 1)
        wait_for(lambda: CLIENT_EMAIL in caplog.text, timeout=5)
    assert "403" in caplog.text and "share the sheet" in caplog.text
    sheets.forbidden = False  # the user shares the sheet: the worker recovers by itself
    assert sheets_writer().flush(5)
    _assert_exactly_once(sheets, sheet_options)


def test_rejected_credentials_are_reported(client, sheets, sheet_options, caplog):
    """A token request Google refuses is reported as refused credentials, and the rows stay in the journal."""
    sheets.fail(400, times=100, kind="token")
    hilt.instrument(**sheet_options)
    with caplog.at_level(logging.WARNING, logger="hilt"):
        chat(client, 1)
        wait_for(lambda: "refused the credentials" in caplog.text, timeout=5)
    assert data_rows(sheets) == []
    assert len(_journal(sheet_options)) == 2  # kept for later


def test_credentials_json_from_the_environment(client, sheets, sheet_options, monkeypatch):
    """``HILT_CREDENTIALS_JSON`` alone is enough credentials to deliver both rows of a call."""
    monkeypatch.setenv("HILT_CREDENTIALS_JSON", json.dumps(service_account_info(sheets.token_uri)))
    hilt.instrument(**dict(sheet_options, credentials_path=None))
    chat(client, 1)
    assert sheets_writer().flush(5)
    assert len(data_rows(sheets)) == 2


def test_application_default_credentials(client, sheets, sheet_options, credentials, monkeypatch):
    """Without a key setting, ``GOOGLE_APPLICATION_CREDENTIALS`` (ADC) is used and both rows arrive."""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
    hilt.instrument(**dict(sheet_options, credentials_path=None))
    chat(client, 1)
    assert sheets_writer().flush(5)
    assert len(data_rows(sheets)) == 2


def test_google_traffic_never_becomes_hilt_events(client, sheets, sheet_options):
    """HILT's own requests to Google are never logged: three calls give six events and one token request."""
    hilt.instrument(**sheet_options)
    chat(client, 3)
    assert sheets_writer().flush(5)
    hilt.uninstrument()
    events = _journal(sheet_options)
    assert [e["action"] for e in events] == ["prompt", "completion"] * 3
    assert sheets.count("token") == 1


def _median_call_ms(client: Any, n: int) -> float:
    times = []
    for i in range(n):
        start = time.perf_counter()
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"q{i}"}])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_a_slow_sheets_api_does_not_slow_the_llm_call(client, sheets, sheet_options, tmp_path):
    """With every Google request taking 2 s, the LLM call costs about what it costs with the JSONL backend."""
    sheets.delay = 2.0  # every Google request takes 2 s
    hilt.instrument(backend="local", filepath=str(tmp_path / "local.jsonl"))
    _median_call_ms(client, 5)  # warm-up
    jsonl = _median_call_ms(client, 25)
    hilt.instrument(**dict(sheet_options, flush_interval=0.0, shutdown_timeout=0.5))
    _median_call_ms(client, 5)  # starts the worker, which imports gspread/google-auth (CPU, under the GIL) ...
    wait_for(lambda: sheets.waiting_or_served(), timeout=5)  # ... and then waits on Google
    start = time.perf_counter()
    sheet = _median_call_ms(client, 25)
    elapsed = time.perf_counter() - start
    hilt.uninstrument()
    assert elapsed < 2.0, "the calls waited for Google"
    assert sheet < jsonl * 2 + 5, (sheet, jsonl)
