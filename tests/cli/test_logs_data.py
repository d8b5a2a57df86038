"""``hilt logs export``, ``validate``, ``sql``, the file selection, the flat rows, and the exit codes."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from pathlib import Path

import pytest

from hilt.logs import EVENT_COLUMNS, event_rows, iter_events

from tests.cli._make import LEGACY_PAIR, call, write_log


def test_export_csv_calls(hilt_cli, known_log: Path) -> None:
    """export --rows calls --to csv writes one row per call with the call columns; a 0.2.8 string cost is a number."""
    done = hilt_cli("logs", "export", "--rows", "calls", "--to", "csv", str(known_log))
    assert done.returncode == 0
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["prompt"] for r in rows] == ["first question", "second question", "rate me", "custom model", "Hello"]
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "ok", "ok"]
    assert rows[0]["tags"] == "support" and rows[3]["tags"] == "batch,support"
    assert rows[4]["cost_usd"] == "6e-06" and rows[3]["cost_usd"] == "" and rows[3]["cost_status"] == "unknown_model"
    assert "2 corrupt line(s) skipped" in done.stderr


def test_export_jsonl_events_have_the_sheets_columns(hilt_cli, known_log: Path, tmp_path: Path) -> None:
    """export --to jsonl -o writes one object per event with exactly the Sheets view columns."""
    out = tmp_path / "rows.jsonl"
    assert hilt_cli("logs", "export", "--to", "jsonl", "-o", str(out), str(known_log)).returncode == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 10
    assert list(rows[0]) == list(EVENT_COLUMNS)
    assert rows[1]["speaker"] == "agent: openai" and rows[1]["tokens_in"] == 100 and rows[1]["cost_usd"] == 0.002
    assert rows[1]["session"] == "Conv.aaa111" and rows[1]["reply_to"] == rows[0]["event_id"]


def test_export_to_dash_writes_standard_output(hilt_cli, known_log: Path, tmp_path: Path) -> None:
    """-o - writes to standard output (no file named "-"), the same bytes as no -o; parquet refuses it."""
    plain = hilt_cli("logs", "export", "--to", "jsonl", str(known_log))
    dashed = hilt_cli("logs", "export", "--to", "jsonl", "-o", "-", str(known_log))
    assert (dashed.returncode, dashed.stdout) == (0, plain.stdout)
    assert len(dashed.stdout.splitlines()) == 10
    assert not (Path.cwd() / "-").exists()
    refused = hilt_cli("logs", "export", "--to", "parquet", "-o", "-", str(known_log))
    assert refused.returncode == 2 and "needs -o OUT (a file, not standard output)" in refused.stderr


def test_event_rows_match_the_sheets_writer(known_log: Path) -> None:
    """Each flat event row holds the values the Sheets writer puts in the same columns (numbers as numbers)."""
    from hilt.writers.sheets._rows import event_to_row

    for event, row in zip(iter_events([known_log]), event_rows(iter_events([known_log]))):
        sheet = event_to_row(event, EVENT_COLUMNS)
        expected = [None if cell == "" else cell for cell in sheet]
        if isinstance(expected[EVENT_COLUMNS.index("cost_usd")], str):  # 0.2.8 writes "0.000006"
            expected[EVENT_COLUMNS.index("cost_usd")] = float(expected[EVENT_COLUMNS.index("cost_usd")])
        assert list(row) == expected


def test_export_parquet(hilt_cli, known_log: Path, tmp_path: Path) -> None:
    """export --to parquet writes typed columns: UTC timestamps, integer tokens, float costs."""
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "events.parquet"
    done = hilt_cli("logs", "export", "--to", "parquet", "-o", str(out), "--model", "gpt-4o-mini", str(known_log))
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out)
    assert table.column_names == list(EVENT_COLUMNS)
    assert table.num_rows == 7  # the 0.2.8 prompt names no model, so --model leaves it out
    assert str(table.schema.field("timestamp").type) == "timestamp[us, tz=UTC]"
    assert table.column("tokens_in").to_pylist() == [None, 100, None, 150, None, None, 11]
    assert table.column("cost_usd").to_pylist()[-1] == 6e-06


def test_parquet_without_output_is_a_usage_error(hilt_cli, known_log: Path) -> None:
    """export --to parquet needs -o (exit status 2)."""
    done = hilt_cli("logs", "export", "--to", "parquet", str(known_log))
    assert done.returncode == 2 and "--to parquet needs -o OUT" in done.stderr


def test_missing_extra_is_named(hilt_cli, known_log: Path, tmp_path: Path) -> None:
    """Without duckdb, sql says which extra to install and exits with status 3."""
    blocker = tmp_path / "blocked" / "duckdb"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    done = hilt_cli("logs", "sql", "SELECT 1", str(known_log), env={"PYTHONPATH": str(blocker.parent)})
    assert done.returncode == 3
    assert "pip install 'hilt[analytics]'" in done.stderr and "duckdb" in done.stderr


def test_validate_reports_bad_lines_and_exits_1(hilt_cli, known_log: Path) -> None:
    """validate lists each bad line with its number (corrupt JSON, and 0.2.8's string cost) and exits 1."""
    done = hilt_cli("logs", "validate", str(known_log))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{known_log}:5",
        f"{known_log}:10",
        f"{known_log}:11",
        f"{known_log}:12",
    ]
    assert lines[-1] == "12 lines checked in 1 file(s): 8 valid, 4 invalid"


def test_validate_a_real_log_passes(hilt_cli, real_log: Path) -> None:
    """Every line HILT wrote for real SDK calls passes validate (exit 0)."""
    done = hilt_cli("logs", "validate", str(real_log), "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"lines": 8, "valid": 8, "invalid": 0, "errors": []}


def test_sql_over_events_and_calls(hilt_cli, known_log: Path) -> None:
    """sql runs DuckDB over the events and calls tables, printing JSON with --json."""
    pytest.importorskip("duckdb")
    done = hilt_cli(
        "logs",
        "sql",
        "SELECT model, count(*) AS n, sum(tokens_in) AS t FROM events GROUP BY model ORDER BY n DESC",
        str(known_log),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    expected = [
        {"model": "gpt-4o-mini", "n": 7, "t": 261},
        {"model": "my-finetune", "n": 2, "t": 40},
        {"model": None, "n": 1, "t": None},
    ]
    assert json.loads(done.stdout) == expected  # the 0.2.8 prompt names no model
    calls = hilt_cli(
        "logs", "sql", "SELECT status, count(*) AS n FROM calls GROUP BY status ORDER BY status", str(known_log)
    )
    assert calls.stdout.splitlines() == ["status  n", "error   1", "ok      4"]


def test_sql_error_exits_1(hilt_cli, known_log: Path) -> None:
    """A query DuckDB rejects is reported on stderr with exit status 1."""
    pytest.importorskip("duckdb")
    done = hilt_cli("logs", "sql", "SELECT nope FROM events", str(known_log))
    assert done.returncode == 1 and done.stderr.startswith("hilt: SQL error:")


def test_sql_error_keeps_its_lines(hilt_cli, known_log: Path) -> None:
    """DuckDB's several-line error (the message, then the query with a caret) prints as lines, not as \\x0a escapes."""
    pytest.importorskip("duckdb")
    done = hilt_cli("logs", "sql", "selec 1", str(known_log))
    assert done.returncode == 1
    assert "\\x0a" not in done.stderr
    query, caret = done.stderr.splitlines()[-2:]
    assert (query, caret.strip("^")) == ("LINE 1: selec 1", " " * 8)  # the caret's width varies with DuckDB


def test_rotated_gz_and_glob_files(hilt_cli, tmp_path: Path) -> None:
    """A log's rotated siblings (.1, .2.gz) are read oldest first with it; --no-rotated reads the file alone;
    a glob expands; a missing file exits 1."""
    folder = tmp_path / "logs"
    write_log(folder / "app.jsonl", call("conv_c", "2026-11-29T12:00:00Z", "newest", "c"))
    write_log(folder / "app.jsonl.1", call("conv_b", "2026-11-29T11:00:00Z", "middle", "b"))
    old = write_log(folder / "old.jsonl", call("conv_a", "2026-11-29T10:00:00Z", "oldest", "a"))
    with open(old, "rb") as source, gzip.open(folder / "app.jsonl.2.gz", "wb") as target:
        shutil.copyfileobj(source, target)
    old.unlink()
    tail = hilt_cli("logs", "tail", str(folder / "app.jsonl"), "--json").stdout
    assert [json.loads(line)["prompt"] for line in tail.splitlines()] == ["oldest", "middle", "newest"]
    alone = hilt_cli("logs", "tail", "--no-rotated", str(folder / "app.jsonl"), "--json").stdout
    assert [json.loads(line)["prompt"] for line in alone.splitlines()] == ["newest"]
    globbed = json.loads(hilt_cli("logs", "stats", str(folder / "*.gz"), "--json").stdout)
    assert globbed["calls"] == 1
    shown = hilt_cli("logs", "show", "conv_a", str(folder / "app.jsonl"))
    assert "user: oldest" in shown.stdout
    missing = hilt_cli("logs", "stats", str(folder / "nope.jsonl"))
    assert missing.returncode == 1 and "HILT log not found" in missing.stderr
    folder_named = hilt_cli("logs", "stats", str(folder))
    assert (folder_named.returncode, folder_named.stderr) == (1, f"hilt: {folder} is a folder: name a log file in it, or a pattern such as '{folder / '*.jsonl'}'\n")


def test_bad_time_is_a_usage_error(hilt_cli, known_log: Path) -> None:
    """An unreadable --since exits 2 with the accepted forms."""
    done = hilt_cli("logs", "stats", "--since", "last tuesday", str(known_log))
    assert done.returncode == 2 and "use a duration such as 30m, 2h" in done.stderr


def test_every_command_help_has_an_example_and_exit_codes(hilt_cli) -> None:
    """--help of each logs command shows an example and the exit status table."""
    for command in ("tail", "show", "search", "stats", "export", "validate", "sql", "path"):
        text = hilt_cli("logs", command, "--help").stdout
        assert f"example:\n  hilt logs {command}" in text, command
        assert "exit status:" in text and "3  an optional package is missing" in text


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """Piping a long tail into a reader that stops early ends without a traceback."""
    import subprocess
    import sys

    log = write_log(
        tmp_path / "many.jsonl", *[call(f"conv_{i}", "2026-11-29T10:00:00Z", f"q{i}", "a") for i in range(3000)]
    )
    shell = f"{sys.executable} -m hilt.cli logs tail -n 3000 {log} | head -n 1"
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=60)
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_legacy_file_alone(hilt_cli, tmp_path: Path) -> None:
    """A file written by hilt-python 0.2.8 is summed up: status ok derived, string cost read as a number."""
    log = write_log(tmp_path / "legacy.jsonl", *LEGACY_PAIR)
    summary = json.loads(hilt_cli("logs", "stats", str(log), "--json").stdout)
    assert (summary["calls"], summary["errors"], summary["cost_usd"], summary["tokens"]["total"]) == (1, 0, 6e-06, 18)


def test_export_draws_a_progress_bar_on_a_terminal(
    known_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal stderr, export draws a progress bar that ends at 100% with the row count."""
    import sys

    from hilt.cli import _logs_data, main

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(_logs_data, "_PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["logs", "export", str(known_log), "-o", str(tmp_path / "out.csv")]) == 0
    assert terminal.getvalue().split("\r")[-1].startswith("[" + "#" * 30 + "] 100.0%  10 rows\n")


def test_docs_cover_every_logs_command(hilt_cli) -> None:
    """docs/cli.md shows a real run of every hilt logs command the parser offers (scripts/cli_docs.py regenerates it)."""
    import re as regex

    listing = hilt_cli("logs", "--help").stdout
    commands = regex.findall(r"^    (\w+)\s{2,}", listing, regex.M)
    assert commands == ["tail", "show", "search", "stats", "export", "validate", "sql", "report", "forget", "prune", "verify", "path"]
    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in commands:
        assert f"$ hilt logs {command}" in page, command


def test_an_empty_log(hilt_cli, tmp_path: Path) -> None:
    """An empty log: stats counts nothing with null cost and percentiles, tail prints nothing, show --last
    explains there is no conversation (exit 1)."""
    log = tmp_path / "empty.jsonl"
    log.write_text("")
    summary = json.loads(hilt_cli("logs", "stats", str(log), "--json").stdout)
    assert (summary["calls"], summary["cost_usd"], summary["latency_ms"]["p50"], summary["error_rate"]) == (
        0,
        None,
        None,
        None,
    )
    tail = hilt_cli("logs", "tail", str(log))
    assert (tail.returncode, tail.stdout) == (0, "")
    last = hilt_cli("logs", "show", "--last", str(log))
    assert last.returncode == 1 and "no event with a conversation id in the selected logs" in last.stderr


@pytest.mark.parametrize("workers", [2, 3])
def test_parquet_from_workers_equals_one_process(
    known_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """Converted in byte ranges by forked workers, the Parquet file has the same rows in the same order, and the
    corrupt lines keep their line numbers."""
    pq = pytest.importorskip("pyarrow.parquet")
    from hilt.logs import Filters, ReadReport, _scan
    from hilt.logs._export import export_parquet

    alone_report, split_report = ReadReport(), ReadReport()
    assert export_parquet([known_log], tmp_path / "one.parquet", report=alone_report) == 10
    monkeypatch.setattr(_scan, "_PARALLEL_MIN_BYTES", 0)
    assert export_parquet([known_log], tmp_path / "split.parquet", report=split_report, workers=workers) == 10
    assert pq.read_table(tmp_path / "split.parquet").equals(pq.read_table(tmp_path / "one.parquet"))
    assert [(c.line, c.reason) for c in split_report.corrupt] == [(c.line, c.reason) for c in alone_report.corrupt]
    assert [c.line for c in split_report.corrupt] == [5, 10]
    only_bob = export_parquet([known_log], tmp_path / "bob.parquet", filters=Filters(users=("bob",)), workers=workers)
    assert only_bob == 4  # both events of each of bob's two calls
