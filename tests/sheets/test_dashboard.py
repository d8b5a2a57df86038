"""``hilt sheets dashboard`` and ``dashboard = true``: formulas and native charts over the log, added once, repaired
idempotently, the log worksheet never written (real gspread against the loopback fake Sheets API)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from hilt._config import load_settings
from hilt.cli import main
from hilt.exceptions import ConfigError
from hilt.testing import wait_for
from hilt.writers.sheets._client import check_credentials, open_client
from hilt.writers.sheets._rows import ALL_COLUMNS

from tests.sheets._helpers import chat, sheets_writer

LOG_ROWS = [
    list(ALL_COLUMNS),
    ["2026-01-01T10:00:00+00:00", "conv_a", "e1", "", "", "Conv.a", "human: user", "prompt", "hi", "", "", "", "", "gpt-4o-mini"],
    ["2026-01-01T10:00:01+00:00", "conv_a", "e2", "e1", 200, "Conv.a", "agent: openai", "completion", "hello", 5, 7, 0.001, 120, "gpt-4o-mini"],
]
CHART_TITLES = [
    "HILT · calls and errors per day",
    "HILT · cost per day (USD)",
    "HILT · tokens per day",
    "HILT · cost per model (USD)",
    "HILT · calls and errors per model",
]


def run(sheets: Any, credentials: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setenv("HILT_SHEETS_ENDPOINT", sheets.endpoint)
    return main(["sheets", "dashboard", "--sheet-id", sheets.spreadsheet_id, "--credentials", str(credentials), *extra])


def cell(sheets: Any, a1: str, title: str = "Dashboard") -> Any:
    """The stored value (a formula as written) of one cell such as ``"B3"``."""
    column, row = ord(a1[0]) - 64, int(a1[1:])
    rows = sheets.rows(title)
    return rows[row - 1][column - 1] if row <= len(rows) and column <= len(rows[row - 1]) else ""


def writes(sheets: Any) -> list[tuple[str, str]]:
    """``(range, valueInputOption)`` of every values update and append the fake received."""
    from urllib.parse import unquote

    return [(unquote(r.path.split("/values/")[1]), r.query.get("valueInputOption", "")) for r in sheets.requests if r.kind in ("values_update", "append")]


def test_dashboard_writes_formulas_over_the_logs_columns_and_adds_five_charts(sheets, credentials, monkeypatch, capsys):
    """A first run adds the Dashboard worksheet: formulas over whole log columns found by header name, and five charts."""
    sheets.add_worksheet("Logs", LOG_ROWS)
    assert run(sheets, credentials, monkeypatch) == 0
    assert cell(sheets, "A3") == "calls" and cell(sheets, "B3") == "=COUNTIFS('Logs'!D2:D,\"<>\")"  # reply_to is column D
    assert cell(sheets, "B4") == "=COUNTIFS('Logs'!S2:S,\"<>\")"  # error_type is column S
    assert cell(sheets, "B5") == "=IF(B3=0,,B4/B3)"
    assert cell(sheets, "B6") == "=SUM('Logs'!L2:L)"  # cost_usd
    assert cell(sheets, "B9") == "=IFERROR(PERCENTILE('Logs'!M2:M,0.5),)"  # latency_ms
    assert cell(sheets, "D4") == "=ARRAYFORMULA(IFERROR(SORT(UNIQUE(FILTER(LEFT('Logs'!A2:A,10),'Logs'!A2:A<>\"\"))),))"
    assert cell(sheets, "E4") == "=ARRAYFORMULA(IF(D4:D=\"\",,COUNTIFS('Logs'!A2:A,D4:D&\"*\",'Logs'!D2:D,\"<>\")))"
    assert cell(sheets, "G4") == "=ARRAYFORMULA(IF(D4:D=\"\",,SUMIFS('Logs'!L2:L,'Logs'!A2:A,D4:D&\"*\")))"
    assert cell(sheets, "K4") == "=IFERROR(SORT(UNIQUE(FILTER('Logs'!N2:N,'Logs'!N2:N<>\"\",'Logs'!D2:D<>\"\"))),)"
    assert cell(sheets, "N4") == "=ARRAYFORMULA(IF(K4:K=\"\",,SUMIFS('Logs'!L2:L,'Logs'!N2:N,K4:K)))"
    assert cell(sheets, "R4") == (
        "=IFERROR(QUERY({'Logs'!B2:B,'Logs'!L2:L},\"select Col1, sum(Col2) where Col2 > 0 group by Col1 order by sum(Col2) desc "
        "limit 10 label Col1 '', sum(Col2) ''\",0),)"
    )
    assert [c["spec"]["title"] for c in sheets.charts("Dashboard")] == CHART_TITLES
    per_day = sheets.charts("Dashboard")[0]["spec"]["basicChart"]
    dashboard_id = next(c for c in sheets.charts("Dashboard"))["position"]["overlayPosition"]["anchorCell"]["sheetId"]
    ranges = [(s["startColumnIndex"], s["startRowIndex"], s["endRowIndex"]) for s in
              [per_day["domains"][0]["domain"]["sourceRange"]["sources"][0]] + [x["series"]["sourceRange"]["sources"][0] for x in per_day["series"]]]
    assert ranges == [(3, 2, 1000), (4, 2, 1000), (5, 2, 1000)]  # D (day), E (calls), F (errors) from the header row down
    assert {s["sheetId"] for x in per_day["series"] for s in x["series"]["sourceRange"]["sources"]} == {dashboard_id}
    assert sheets.rows("Logs") == LOG_ROWS  # the log is only read
    assert all(r.startswith("'Dashboard'!") and option == "USER_ENTERED" for r, option in writes(sheets))
    assert capsys.readouterr().out.splitlines() == [
        "created worksheet 'Dashboard' over worksheet 'Logs'",
        "formulas: 6 blocks written",
        *[f"chart added: {title!r}" for title in CHART_TITLES],
    ]


def test_a_second_run_sends_no_chart_and_no_write(sheets, credentials, monkeypatch, capsys):
    """Running the command again reads the sheet, writes nothing and adds no chart."""
    sheets.add_worksheet("Logs", LOG_ROWS)
    assert run(sheets, credentials, monkeypatch) == 0
    sheets.clear_requests()
    capsys.readouterr()
    assert run(sheets, credentials, monkeypatch) == 0
    assert sheets.batch_requests() == [] and writes(sheets) == []
    assert len(sheets.charts("Dashboard")) == 5
    assert capsys.readouterr().out.splitlines() == [
        "found worksheet 'Dashboard' over worksheet 'Logs'",
        "formulas: up to date, left alone",
        "charts left alone: 5 already there",
    ]


def test_a_deleted_chart_and_an_edited_formula_are_repaired_alone(sheets, credentials, monkeypatch, capsys):
    """After a chart is deleted and a formula overwritten through the API, a re-run adds exactly that chart and rewrites that block."""
    sheets.add_worksheet("Logs", LOG_ROWS)
    assert run(sheets, credentials, monkeypatch) == 0
    charts = sheets.charts("Dashboard")
    settings = load_settings({"backend": "sheets", "credentials_path": str(credentials), "sheets_endpoint": sheets.endpoint})
    spreadsheet = open_client(settings, check_credentials(settings)).open_by_key(sheets.spreadsheet_id)
    spreadsheet.batch_update({"requests": [{"deleteEmbeddedObject": {"objectId": charts[2]["chartId"]}}]})
    spreadsheet.values_update("'Dashboard'!B6", params={"valueInputOption": "USER_ENTERED"}, body={"values": [["=1"]]})
    sheets.clear_requests()
    capsys.readouterr()
    assert run(sheets, credentials, monkeypatch) == 0
    added = sheets.batch_requests("addChart")
    assert [a["addChart"]["chart"]["spec"]["title"] for a in added] == ["HILT · tokens per day"]
    assert added[0]["addChart"]["chart"]["position"] == charts[2]["position"]  # back where it was
    assert sorted(c["spec"]["title"] for c in sheets.charts("Dashboard")) == sorted(CHART_TITLES)
    assert writes(sheets) == [("'Dashboard'!A2:B14", "USER_ENTERED")]  # the totals block only
    assert cell(sheets, "B6") == "=SUM('Logs'!L2:L)"
    assert capsys.readouterr().out.splitlines() == [
        "found worksheet 'Dashboard' over worksheet 'Logs'",
        "formulas: 1 block written",
        "chart added: 'HILT · tokens per day'",
        "charts left alone: 4 already there",
    ]


def test_a_column_subset_gets_the_panels_it_can_feed_and_names_the_others(sheets, credentials, monkeypatch, capsys):
    """With only timestamp, conversation_id and cost_usd, the formulas use their letters and the other panels are skipped."""
    sheets.add_worksheet("Logs", [["timestamp", "conversation_id", "cost_usd"], ["2026-01-01T10:00:00+00:00", "conv_a", 0.5]])
    assert run(sheets, credentials, monkeypatch, "--columns", "timestamp,conversation_id,cost_usd") == 0
    assert [cell(sheets, a) for a in ("A3", "B3", "D3", "E3", "E4")] == [
        "cost_usd", "=SUM('Logs'!C2:C)", "day", "cost_usd", "=ARRAYFORMULA(IF(D4:D=\"\",,SUMIFS('Logs'!C2:C,'Logs'!A2:A,D4:D&\"*\")))",
    ]
    assert [c["spec"]["title"] for c in sheets.charts("Dashboard")] == ["HILT · cost per day (USD)"]
    out = capsys.readouterr().out
    assert "skipped: calls and error rate (need a reply_to or status_code column)\n" in out
    assert "skipped: per-model table and charts (need a model column and a metric)\n" in out
    assert "skipped: errors (need an error_type or status_code column)\n" in out


def test_a_dashboard_worksheet_hilt_did_not_make_is_never_written(sheets, credentials, monkeypatch, capsys):
    """A user's own worksheet called Dashboard makes the command fail with a clear error and stay untouched."""
    sheets.add_worksheet("Logs", LOG_ROWS)
    sheets.add_worksheet("Dashboard", [["my own numbers", 42]])
    assert run(sheets, credentials, monkeypatch) == 1
    assert "worksheet 'Dashboard' exists and HILT did not make it" in capsys.readouterr().err
    assert sheets.rows("Dashboard") == [["my own numbers", 42]] and sheets.charts() == [] and writes(sheets) == []


def test_without_a_log_worksheet_the_command_explains_what_to_do(sheets, credentials, monkeypatch, capsys):
    """A sheet with no HILT log yet gets an error saying to log or sync first, and no Dashboard."""
    assert run(sheets, credentials, monkeypatch) == 1
    assert "no HILT log worksheet 'Logs' with HILT's header in this sheet yet" in capsys.readouterr().err
    assert sheets.worksheets() == ["Sheet1"]


def test_dashboard_setting_builds_it_in_the_background_once(client, sheets, sheet_options):
    """With dashboard=True the writer adds the dashboard after its first open; the calls and rows are unaffected, and once only."""
    import hilt

    hilt.instrument(**sheet_options, dashboard=True)
    chat(client, 2)
    assert sheets_writer().flush(5)
    wait_for(lambda: len(sheets.charts("Dashboard")) == 5)
    assert [row[7] for row in sheets.rows("Logs")[1:]] == ["prompt", "completion"] * 2
    chat(client, 1)
    assert sheets_writer().flush(5)
    assert len(sheets.batch_requests("addChart")) == 5 and len(sheets.batch_requests("addSheet")) == 2  # Logs, Dashboard


def test_a_failing_dashboard_is_reported_once_and_rows_still_arrive(client, sheets, sheet_options, caplog):
    """If the dashboard cannot be built (a foreign Dashboard worksheet), one warning on the hilt logger and the rows still go."""
    import hilt

    sheets.add_worksheet("Dashboard", [["mine"]])
    with caplog.at_level(logging.WARNING, logger="hilt"):
        hilt.instrument(**sheet_options, dashboard=True)
        chat(client, 2)
        wait_for(lambda: len(sheets.rows("Logs")) == 1 + 4)
        wait_for(lambda: any("dashboard" in r.getMessage() for r in caplog.records))
    messages = [r.getMessage() for r in caplog.records if "dashboard" in r.getMessage()]
    assert messages == ["HILT could not build the Google Sheets dashboard (WriterError: worksheet 'Dashboard' exists and HILT did not make it: rename it, HILT never overwrites it)"]
    assert sheets.rows("Dashboard") == [["mine"]]


def test_an_untrusted_project_file_cannot_turn_the_dashboard_on(tmp_path, monkeypatch):
    """``dashboard = true`` in an untrusted ./hilt.toml is ignored; a non-boolean names the file, key and expected type."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hilt.toml").write_text("dashboard = true\n")
    assert load_settings().dashboard is False
    config = tmp_path / "mine.toml"
    config.write_text('dashboard = "yes"\n')
    monkeypatch.setenv("HILT_CONFIG", str(config))
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "dashboard" in str(error.value) and str(config) in str(error.value) and "a boolean (true or false)" in str(error.value)
    monkeypatch.setenv("HILT_DASHBOARD", "1")
    config.write_text("dashboard = true\n")
    assert load_settings().dashboard is True


def test_the_fake_refuses_a_chart_batch_naming_a_missing_chart_and_changes_nothing(sheets, credentials):
    """A batch that deletes an unknown chart answers 400 and applies none of its requests, as Google does."""
    from gspread.exceptions import APIError

    settings = load_settings({"backend": "sheets", "credentials_path": str(credentials), "sheets_endpoint": sheets.endpoint})
    spreadsheet = open_client(settings, check_credentials(settings)).open_by_key(sheets.spreadsheet_id)
    chart = {"spec": {"title": "t"}, "position": {"overlayPosition": {"anchorCell": {"sheetId": 1, "rowIndex": 0, "columnIndex": 0}}}}
    with pytest.raises(APIError) as error:
        spreadsheet.batch_update({"requests": [{"addChart": {"chart": chart}}, {"deleteEmbeddedObject": {"objectId": 7}}]})
    assert error.value.code == 400 and sheets.charts() == []
    reply = spreadsheet.batch_update({"requests": [{"addChart": {"chart": chart}}]})
    assert json.loads(json.dumps(reply))["replies"][0]["addChart"]["chart"]["chartId"] == sheets.charts("Sheet1")[0]["chartId"]


def test_a_named_log_worksheet_gets_its_own_dashboard_with_quoted_references(sheets, credentials, monkeypatch, capsys):
    """For worksheet "Bob's log" the dashboard is "Dashboard (Bob's log)" and its formulas quote the name as Sheets does."""
    sheets.add_worksheet("Bob's log", LOG_ROWS)
    assert run(sheets, credentials, monkeypatch, "--worksheet", "Bob's log") == 0
    title = "Dashboard (Bob's log)"
    assert cell(sheets, "B6", title) == "=SUM('Bob''s log'!L2:L)"
    assert [c["spec"]["title"] for c in sheets.charts(title)] == CHART_TITLES
    assert sheets.rows("Bob's log") == LOG_ROWS
    assert capsys.readouterr().out.splitlines()[0] == "created worksheet \"Dashboard (Bob's log)\" over worksheet \"Bob's log\""
