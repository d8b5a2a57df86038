"""Regenerate docs/cli.md: run every ``hilt logs`` command on a log written by ``hilt demo`` and paste
the real output under each example.

Usage: python -m scripts.cli_docs            (writes docs/cli.md; --screenshot also docs/images/report.png)
       python -m scripts.cli_docs --check    (exit 1, with a diff, if docs/cli.md is stale)

Times, ids and latencies change from run to run; the commands and the rest of their output do not:
``--check`` compares a fresh rendering with the page after masking those (``normalize``).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"

INTRO = """\
# The `hilt logs` commands

`hilt logs` answers the questions people ask of a log from the terminal: what is happening now
(`tail -f`), what did this conversation look like (`show`), where is that answer (`search`), what did it
cost per model, day or user and how slow was it (`stats`), how do I get it into my spreadsheet or
database (`export`, `sql`), and is the file sound (`validate`). Every command is a thin layer over the
Python API in `hilt.logs`, so the numbers are the same from a notebook.

The outputs below are real: `scripts/cli_docs.py` runs `hilt demo` (five calls through the real `openai`
SDK against a local fake server) and then each command on the log it wrote.

## Common to every command

- **Files.** `hilt logs COMMAND [FILE ...]` reads the configured log when no file is given
  (`hilt logs path` prints it). Several files and glob patterns are accepted; gzipped files are read as
  they are. A file's rotated siblings (`app.jsonl.1`, `app.jsonl.2.gz`, `app.jsonl-20261129`) are read
  with it, oldest first; `--no-rotated` reads the named file alone.
- **Filters.** `--since WHEN` / `--until WHEN` (`30m`, `2h`, `7d`, `1w`, `today`, `yesterday` or an ISO
  date/time, UTC when it has no zone), `--model NAME` (glob patterns such as `'gpt-4o*'`), `--user ID`,
  `--tag TAG` (each repeatable), `--errors`, `--conversation ID` (an id or a prefix).
- **Output.** On a terminal: aligned tables, colour unless `NO_COLOR` is set to a non-empty value. In a pipe: plain text.
  `--json` prints JSON (`tail` and `search`: one object per line).
  A file written with `-o` (`export`, `report`) is created 0600, like the log: it holds the prompts.
- **Untrusted text.** Prompts and answers can contain terminal control sequences (`ESC[2J`, an OSC
  window title, BEL, C1 controls, bidi overrides). They are printed escaped (`\\x1b[2J`), never
  interpreted; in JSON they are `\\u` escapes, so the data still reads back unchanged. `export` to a file
  or a pipe writes the data as logged (it is data, not display); to a terminal it escapes too.
- **Corrupt lines** are skipped and reported once on stderr with their file and line numbers; they never
  stop a command (`validate` is the one that fails on them). Files written by hilt-python 0.2.8 are read.
- **Optional packages.** `export --to parquet`, `sql` and `validate` need the `analytics` extra:
  `pip install 'hilt[analytics]'` (pyarrow, duckdb, jsonschema). Without it the command says so and exits 3.

### Exit status

| status | meaning |
|---|---|
| 0 | success |
| 1 | a problem in the data: `validate` found bad lines, `verify` found tampering, a conversation id matches nothing or several, a file is missing, an SQL error |
| 2 | bad usage (an unknown option, an unreadable `--since`, `--to parquet` without `-o`) |
| 3 | an optional package is missing (the message names the extra) |
| 130 | interrupted (Ctrl-C) |

## From Python

```python
from hilt.logs import Filters, iter_calls, iter_events, summarize

summary = summarize(["logs/app.jsonl"], by="model", filters=Filters.from_options(since="7d"))
for group in summary["groups"]:
    print(group["key"], group["calls"], group["cost_usd"], group["latency_ms"]["p95"])

for call in iter_calls(iter_events(["logs/app.jsonl"])):
    print(call.model, call.status, call.cost_usd, call.prompt_text[:40])
```

`summarize` returns what `hilt logs stats --json` prints. `call_rows`/`event_rows` (with
`CALL_COLUMNS`/`EVENT_COLUMNS`) give the flat rows of `export`, `last_calls` and `find_conversation`
what `tail` and `show` print, `report_data` the aggregates of `report` (and `LiveReport` keeps them up to
date by reading only what was appended), and a `ReadReport` passed to any reader collects the corrupt
lines. Costs are summed only over calls that have one; calls without a price are counted in
`unpriced_calls`, and a cost is `null`, never `0`, when no call had a price. Percentiles are nearest-rank.

## Speed

`benchmarks/logs.py` generates a log of 1,000,000 events (1.25 GB) and runs each command as a
subprocess. Measured on a shared 2-core machine (load average about 4: other jobs running; wall time,
then CPU time of the command and its workers, which is the fairer number there):

| command | wall | CPU | peak memory (largest process) |
|---|---|---|---|
| `stats` | 4.6 s | 4.0 s | 89 MB |
| `stats --by model` | 5.4 s | 4.7 s | 101 MB |
| `tail -n 20` | 0.23 s | 0.12 s | 23 MB |
| `show PREFIX` / `show --last` | 1.1 s / 0.80 s | 0.57 s / 0.43 s | 39 MB |
| `export --to parquet` | 11.2 s | 11.1 s | 111 MB |
| `report` (5.0 MB page) | 15.9 s | 11.0 s | 227 MB |

How: lines are parsed with orjson into plain dicts (no pydantic per line); `stats` recognises prompt
lines by their bytes and counts them without parsing; large plain files are cut into byte ranges read by
forked workers (up to 4) whose sums are merged; `tail` reads the file backwards from its end; `show`
searches 8 MB blocks for the conversation id and parses only the lines that hold it.
"""

DEMO_TEXT = """\
`--filepath` takes a new or empty file (default: a new temporary folder). A file that already holds lines, or
has rotated files next to it, is refused with exit status 2 and nothing is written, so the demo's fake calls
and costs never end up in a real log's stats and reports; a `report.html` already next to it is kept.

Five calls through the real SDK, then what you can do with the log:
"""

# (title, explanation, command line after "hilt", how much output to keep)
COMMANDS = [
    (
        "tail",
        "One line per call: time (UTC), model, status, prompt→completion tokens, cost, latency, the first words of the "
        "prompt and of the answer. `-n N` (default 10) reads from the end of the file, so it is instant on a large log; "
        "`-f` keeps following the file, across rotation and truncation, printing each call within 50 ms of its reply.",
        "logs tail demo.jsonl -n 5",
        None,
    ),
    (
        "tail --json",
        "The same calls as JSON lines, one object per call, with the `export --rows calls` columns.",
        "logs tail demo.jsonl -n 1 --json",
        None,
    ),
    (
        "show",
        "A conversation as a transcript: each turn with its model, status, tokens, cost and latency, the messages "
        "it added (system, user, tool results) and the answer or tool calls. A unique prefix of the id is enough; "
        "`--last` shows the conversation of the newest event.",
        "logs show conv_ID demo.jsonl",
        None,
    ),
    ("show --last", "", "logs show --last demo.jsonl", None),
    (
        "search",
        "Calls whose prompt or answer contains the text (case-insensitive), newest first; `-n` limits them (default 20).",
        "logs search lisbon demo.jsonl",
        None,
    ),
    (
        "stats",
        "Calls, errors and error rate, tokens by kind, cost (and how many calls had no price), latency and "
        "time-to-first-token percentiles. A sampled log (events with `extensions.sample_rate`, see "
        "[Sampling](privacy.md#sampling)) gives estimates: each kept call counts `1 / rate` times in calls, tokens and "
        "cost (failed calls once), and a `sampled` line gives the recorded numbers.",
        "logs stats demo.jsonl",
        None,
    ),
    (
        "stats --by",
        "One row per `model`, `day`, `hour`, `user`, `tag`, `conversation`, `status` or `endpoint`, and a total row.",
        "logs stats demo.jsonl --by status",
        None,
    ),
    (
        "stats --json",
        "One object with `calls`, `errors`, `error_rate`, `tokens` (by kind), `cost_usd`, `unpriced_calls`, "
        "`latency_ms` and `ttft_ms` percentiles, `conversations`, `events`, `corrupt_lines`, and with `--by` a `groups` list "
        "of the same objects, each with its `key`. For a sampled log also `sampled: true`, `sampled_calls` (the calls "
        "that were scaled) and `recorded` (the exact `calls`, `tokens` and `cost_usd` in the file).",
        "logs stats demo.jsonl --by model --json",
        40,
    ),
    (
        "export",
        "Flat rows for spreadsheets and data tools: `--rows events` (default, the Sheets columns) or `--rows calls` "
        "(one row per call, prompt and answer side by side); `--to csv` (default), `jsonl` or `parquet` (`-o` required, "
        "typed columns); a progress bar on stderr for large inputs on a terminal.",
        "logs export demo.jsonl --rows calls --to csv",
        None,
    ),
    (
        "validate",
        "Every line against the shipped JSON Schema (`hilt/schema/event.schema.json`); the bad ones with their "
        "line numbers; exit status 1 if there is any.",
        "logs validate demo.jsonl",
        None,
    ),
    (
        "sql",
        "SQL (DuckDB) over two tables: `events` (one row per event, the Sheets columns) and `calls` (one row per "
        "call, the `export --rows calls` columns). Prints a table, or `--json`.",
        'logs sql "SELECT model, status, count(*) AS calls, sum(tokens_total) AS tokens, sum(cost_usd) AS cost FROM calls GROUP BY ALL ORDER BY calls DESC" demo.jsonl',
        None,
    ),
    (
        "report",
        "One self-contained HTML page (plotly.js inlined: no CDN, no network, opens from disk; needs "
        "`pip install 'hilt[report]'`): headline numbers equal to `stats --json`, cost per day by model, calls and error "
        "rate over time, latency and time-to-first-token distributions and percentiles over time, tokens in/out/cached/"
        "reasoning, errors by type and status, the most expensive conversations and the slowest calls with their "
        "transcripts a click away. It holds aggregates, not events: about 5 MB whatever the size of the log. For a "
        "sampled log the page says which numbers are estimates (as `stats`: the cards for calls, tokens and cost, and "
        "the charts per day and model) and gives the recorded ones. "
        "`--serve` serves the same page on 127.0.0.1 (`--port`, default 8765) and rebuilds it when the log changes; "
        "the page reloads itself every `--refresh` seconds (default 15): a local live dashboard.\n\n"
        "![The report of a generated log of 20,000 events](images/report.png)",
        "logs report demo.jsonl -o report.html",
        None,
    ),
    (
        "forget",
        "Erase a user's (`--user`) or a conversation's (`--conversation`, a complete id) events from every file of "
        "the log, rotated and `.gz` ones included, and with the Sheets backend from the journal and the sheet; each "
        "file is rewritten atomically with its mode, and processes appending meanwhile lose nothing. `--dry-run` only "
        "counts. See [privacy](privacy.md#data-subject-requests).",
        "logs forget --conversation conv_FULLID demo.jsonl",
        None,
    ),
    (
        "prune",
        "Remove the log's rotated files (see [Retention](privacy.md#retention)) rotated before `--older-than` "
        "(`30d`, `12h`, `1w` or a date), printing each with its size and the total; `--dry-run` only lists them. "
        "The live log is never removed.",
        "logs prune --older-than 30d --dry-run demo.jsonl",
        None,
    ),
    (
        "verify",
        "The audit trail of a log written with `integrity = true` (see [Privacy](privacy.md#audit-trail)): every "
        "line's keyed hash chain is checked, with the rotated files next to it; an edited, removed, inserted or "
        "reordered line, a removed file or a cut end is reported with its file and line; exit status 1 if there is any.",
        "logs verify audit.jsonl",
        None,
    ),
    ("path", "The file HILT writes to with the current configuration.", "logs path", None),
]


def _run(folder: Path, command: str, **extra_env: str) -> str:
    # XDG_STATE_HOME: the audit trail's key and anchors stay in the temporary folder.
    env = {**os.environ, "NO_COLOR": "1", "HILT_FILEPATH": "logs/app.jsonl", "COLUMNS": "120", "XDG_STATE_HOME": str(folder / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "hilt.cli", *shlex.split(command)],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**env, **extra_env},
        check=False,
    )
    return (done.stdout + done.stderr).rstrip()


def render() -> str:
    """The page, with fresh outputs."""
    with tempfile.TemporaryDirectory(prefix="hilt-cli-docs-") as name:
        folder = Path(name)
        demo = _run(folder, "demo --filepath demo.jsonl")
        _run(folder, "demo --filepath audit.jsonl", HILT_INTEGRITY="1")  # for `logs verify`
        first_conversation = _run(folder, "logs tail demo.jsonl -n 5 --json").split('"conversation_id": "')[1][:37]
        parts = [
            INTRO,
            "\n## `hilt demo`\n\n" + DEMO_TEXT,
            f"```console\n$ hilt demo --filepath demo.jsonl\n{demo}\n```\n",
        ]
        for title, text, command, keep in COMMANDS:
            command = command.replace("conv_FULLID", first_conversation).replace("conv_ID", first_conversation[:18])
            output = _run(folder, command)
            if keep:
                lines = output.splitlines()
                output = "\n".join(lines[:keep] + (["..."] if len(lines) > keep else []))
            parts.append(f"\n## `{title}`\n\n" + (f"{text}\n\n" if text else ""))
            parts.append(f"```console\n$ hilt {command}\n{output}\n```\n")
        return "".join(parts)


_VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00"), "<timestamp>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?"), "<time>"),
    (re.compile(r"\d{4}-\d\d-\d\d"), "<day>"),
    (re.compile(r"conv_[0-9a-f]+"), "<conversation>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\d+(\.\d+)? ?ms\b"), "<ms>"),
    (re.compile(r'"(latency_ms|ttft_ms|p50|p95|p99|mean)": [\d.]+'), r'"\1": <ms>'),
    (re.compile(r"\s+"), " "),
]
_CSV_TIME_COLUMNS = (-4, -3)  # latency_ms and ttft_ms in an ``export --rows calls`` CSV row


def normalize(text: str) -> str:
    """``text`` with times, ids and latencies masked and runs of spaces (column padding) made one."""
    for pattern, mask in _VOLATILE:
        text = pattern.sub(mask, text)
    if text.startswith("<timestamp>,"):
        [cells] = csv.reader([text])
        for column in _CSV_TIME_COLUMNS:
            cells[column] = "<ms>"
        text = ",".join(cells)
    return text


def stale_lines(page: str, fresh: str) -> list[str]:
    """A diff of the lines that differ once volatile values are masked (empty when the page is current)."""
    old = [normalize(line) for line in page.splitlines()]
    new = [normalize(line) for line in fresh.splitlines()]
    return [] if old == new else list(difflib.unified_diff(old, new, "docs/cli.md", "fresh run", lineterm="", n=1))


def screenshot(path: Path) -> None:
    """docs/images/report.png: the report of a generated 20,000-event log in headless Chromium (needs playwright)."""
    from playwright.sync_api import sync_playwright

    from benchmarks.logs import generate_log

    with tempfile.TemporaryDirectory(prefix="hilt-cli-docs-") as name:
        folder = Path(name)
        generate_log(folder / "events.jsonl", 20_000)
        _run(folder, "logs report events.jsonl -o report.html")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto((folder / "report.html").as_uri())
            page.wait_for_selector("body[data-ready='1']")
            page.screenshot(path=str(path), full_page=False)
            browser.close()
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a documented command is missing from docs/cli.md")
    parser.add_argument(
        "--screenshot", action="store_true", help="also refresh docs/images/report.png (playwright + chromium)"
    )
    args = parser.parse_args()
    if args.screenshot:
        (ROOT / "docs" / "images").mkdir(exist_ok=True)
        screenshot(ROOT / "docs" / "images" / "report.png")
    if args.check:
        diff = stale_lines(PAGE.read_text(encoding="utf-8"), render())
        print("\n".join(diff) if diff else "docs/cli.md is current")
        return 1 if diff else 0
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
