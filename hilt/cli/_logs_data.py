"""``hilt logs stats``, ``export``, ``validate`` and ``sql``: numbers and rows from HILT logs."""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from ..logs import ReadReport, expand_paths, iter_calls, iter_events, summarize
from ..logs._rows import CALL_COLUMNS, EVENT_COLUMNS, call_row, event_row
from ._logs import EXIT_BAD_INPUT, EXIT_OK, filters_from, report_corrupt
from ._logs_output import Output, create_private, escape_controls, format_cost, format_ms, one_line

__all__ = ["logs_export", "logs_sql", "logs_stats", "logs_validate"]

_PROGRESS_MIN_BYTES = 32 << 20  # no progress bar for inputs smaller than this


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _stats_row(key: Any, group: dict[str, Any]) -> list[Any]:
    tokens, latency, ttft = group["tokens"], group["latency_ms"], group["ttft_ms"]
    return [
        "(none)" if key is None else key,
        group["calls"],
        group["errors"],
        _percent(group["error_rate"]),
        tokens["prompt"],
        tokens["completion"],
        tokens["cached"],
        tokens["reasoning"],
        format_cost(group["cost_usd"]),
        group["unpriced_calls"],
        format_ms(latency["p50"]),
        format_ms(latency["p95"]),
        format_ms(latency["p99"]),
        format_ms(ttft["p50"]),
        format_ms(ttft["p95"]),
        format_ms(ttft["p99"]),
    ]


_STATS_HEADERS = (
    "key",
    "calls",
    "errors",
    "error %",
    "tok in",
    "tok out",
    "cached",
    "reasoning",
    "cost",
    "no price",
    "p50",
    "p95",
    "p99",
    "ttft p50",
    "ttft p95",
    "ttft p99",
)


def _sampled_note(summary: dict[str, Any]) -> str:
    """What the estimates of a sampled log rest on, and the recorded sums."""
    recorded = summary["recorded"]
    return (
        f"estimates from {summary['sampled_calls']} sampled calls (failed calls count once); recorded: "
        f"{recorded['calls']} calls, {recorded['tokens']['total']} tokens, cost {format_cost(recorded['cost_usd'])}"
    )


def print_stats(summary: dict[str, Any], out: Output) -> None:
    """The text form of a :func:`hilt.logs.summarize` result."""
    if "groups" in summary:
        rows = [_stats_row(g["key"], g) for g in summary["groups"]] + [_stats_row("(all)", summary)]
        headers = (summary["by"],) + _STATS_HEADERS[1:]
        out.table(headers, rows, numeric=[False] + [True] * (len(headers) - 1))
        if summary.get("sampled"):
            out.line(_sampled_note(summary))
        return
    tokens, latency, ttft = summary["tokens"], summary["latency_ms"], summary["ttft_ms"]
    lines = [
        (
            "calls",
            f"{summary['calls']}" + (f"  ({summary['pending']} without a reply yet)" if summary["pending"] else ""),
        ),
        ("errors", f"{summary['errors']}  ({_percent(summary['error_rate'])})"),
        (
            "tokens",
            ", ".join(f"{kind} {tokens[kind]}" for kind in ("prompt", "completion", "cached", "reasoning", "total")),
        ),
        (
            "cost",
            format_cost(summary["cost_usd"])
            + (
                f"  ({summary['unpriced_calls']} call{'' if summary['unpriced_calls'] == 1 else 's'} "
                "without a price, not counted)"
                if summary["unpriced_calls"]
                else ""
            ),
        ),
        ("latency", "  ".join(f"{p} {format_ms(v)}" for p, v in latency.items())),
        ("ttft", "  ".join(f"{p} {format_ms(v)}" for p, v in ttft.items())),
        ("conversations", str(summary["conversations"])),
        ("events", str(summary["events"])),
        ("period", f"{one_line(summary['first'] or '-')} → {one_line(summary['last'] or '-')}"),
    ]
    if summary.get("sampled"):  # calls, tokens and cost above are estimates
        lines.insert(0, ("sampled", _sampled_note(summary)))
    for name, value in lines:
        out.line(f"{out.style(name.ljust(14), '1')} {value}")


def logs_stats(args: argparse.Namespace) -> int:
    """Print calls, errors, tokens, cost and latency, for the whole selection or by a key."""
    report, out = ReadReport(), Output(json_mode=args.json)
    workers = min(4, os.cpu_count() or 1)
    summary = summarize(
        expand_paths(args.files, rotated=args.rotated),
        by=args.by,
        filters=filters_from(args),
        report=report,
        rotated=False,
        workers=workers,
    )
    if out.json_mode:
        out.json(summary)
    else:
        print_stats(summary, out)
    report_corrupt(report)
    return EXIT_OK


def _rows(args: argparse.Namespace, report: ReadReport) -> tuple[Sequence[str], Iterator[tuple[Any, ...]]]:
    filters = filters_from(args)
    events = iter_events(
        expand_paths(args.files, rotated=args.rotated), report, prefilter=filters.prefilter(), rotated=False
    )
    if args.rows == "calls":
        return CALL_COLUMNS, (call_row(c) for c in iter_calls(events) if filters.accepts(c))
    if filters.active:
        events = (e for e in events if filters.accepts_event(e))
    return EVENT_COLUMNS, (event_row(e) for e in events)


def _progress_bar(args: argparse.Namespace) -> Callable[[int | None, int], None] | None:
    """``progress(bytes read, rows)`` drawing a bar on stderr for large inputs on a terminal (``None`` bytes:
    finished), or ``None`` when there is no bar to draw."""
    total = sum(p.stat().st_size for p in expand_paths(args.files, rotated=args.rotated))
    if args.no_progress or not sys.stderr.isatty() or total < _PROGRESS_MIN_BYTES:
        return None
    from ._sheets import ProgressBar

    bar = ProgressBar(sys.stderr)

    def progress(done: int | None, rows: int) -> None:
        bar(total if done is None else min(done, total), total, rows)

    return progress


def _with_progress(
    args: argparse.Namespace, report: ReadReport, rows: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    """Pass rows through, updating the progress bar (if any) every 20,000 rows."""
    progress = _progress_bar(args)
    if progress is None:
        yield from rows
        return
    count = 0
    for count, row in enumerate(rows, start=1):
        if count % 20_000 == 0:
            progress(report.bytes_read, count)
        yield row
    progress(None, count)


def _export_events_parquet(args: argparse.Namespace, report: ReadReport) -> None:
    """``export --to parquet`` of event rows: large plain files converted by forked workers."""
    from ..logs._export import export_parquet

    progress = _progress_bar(args)
    rows = export_parquet(
        expand_paths(args.files, rotated=args.rotated),
        args.output,
        filters=filters_from(args),
        report=report,
        rotated=False,
        workers=min(4, os.cpu_count() or 1),
        progress=progress,
    )
    if progress is not None:
        progress(None, rows)


def _text_output(args: argparse.Namespace) -> contextlib.AbstractContextManager[TextIO]:
    if args.output:
        create_private(args.output)
        return open(args.output, "w", encoding="utf-8", newline="")
    return contextlib.nullcontext(sys.stdout)


def logs_export(args: argparse.Namespace) -> int:
    """Write flat rows as CSV, Parquet or JSON lines (or, with ``--otlp``, send the calls as spans)."""
    if args.otlp:
        return _export_otlp(args)
    if args.output == "-":  # the usual spelling of "standard output"
        args.output = None
    report = ReadReport()
    if args.rows == "original":
        return _export_original(args, report)
    columns, rows = _rows(args, report)
    rows = _with_progress(args, report, rows)
    if args.to == "parquet":
        if not args.output:
            raise ValueError("--to parquet needs -o OUT (a file, not standard output)")
        from ..logs._arrow import arrow_schema, record_batches, require

        parquet = require("pyarrow.parquet", "export --to parquet")
        create_private(args.output)
        if args.rows == "events":
            _export_events_parquet(args, report)
            report_corrupt(report)
            return EXIT_OK
        with parquet.ParquetWriter(args.output, arrow_schema(columns)) as writer:
            for batch in record_batches(rows, columns):
                writer.write_batch(batch)
    else:
        with _text_output(args) as stream:
            to_terminal = stream.isatty()
            if args.to == "csv":
                writer = csv.writer(stream)
                writer.writerow(columns)
                for row in rows:
                    cells = ["" if v is None else v for v in row]
                    writer.writerow(
                        [
                            escape_controls(c, keep_newlines=True) if to_terminal and isinstance(c, str) else c
                            for c in cells
                        ]
                    )
            else:
                out = Output(stream, json_mode=True)
                for row in rows:
                    out.json(dict(zip(columns, row)), indent=None)
    report_corrupt(report)
    return EXIT_OK


def _export_original(args: argparse.Namespace, report: ReadReport) -> int:
    """``export --rows original``: the selected events' log lines, byte for byte (an access request)."""
    from ..logs._forget import original_lines

    if args.to != "jsonl":
        raise ValueError("--rows original writes the log lines themselves: use it with --to jsonl")
    lines = original_lines(expand_paths(args.files, rotated=args.rotated), filters_from(args), report, rotated=False)
    if args.output:
        create_private(args.output)
    with open(args.output, "wb") if args.output else contextlib.nullcontext(sys.stdout.buffer) as stream:
        to_terminal = stream.isatty()
        for line in lines:
            if to_terminal:  # shown, not stored: C1 controls and bidi overrides escaped like every other output
                line = escape_controls(line.decode("utf-8", "replace"), keep_newlines=True).encode("utf-8")
            stream.write(line)
    report_corrupt(report)
    return EXIT_OK


def _export_otlp(args: argparse.Namespace) -> int:
    """``export --otlp``: backfill the selected logs, with their original timestamps, to the OTLP endpoint."""
    if filters_from(args).active:
        raise ValueError("--otlp sends whole logs: filters do not apply")
    try:
        from ..writers.otlp import backfill
    except ImportError as exc:
        raise ImportError(f"export --otlp needs the OpenTelemetry packages: pip install 'hilt[otlp]' ({exc})") from exc
    sent = backfill(expand_paths(args.files, rotated=args.rotated))
    print(f"{sent} span(s) accepted by the OTLP endpoint")
    return EXIT_OK


def logs_validate(args: argparse.Namespace) -> int:
    """Check every line against the shipped JSON Schema; exit 1 when a line is bad."""
    from ..logs import iter_lines
    from ..logs._reader import parse_line
    from ..schema import validate_event

    out, report = Output(json_mode=args.json), ReadReport()
    bad: list[dict[str, Any]] = []
    bad_count = 0
    for name, number, raw in iter_lines(args.files, report, rotated=args.rotated):
        event, reason = parse_line(raw)
        if event is not None:
            try:
                validate_event(event)
                continue
            except ImportError:
                raise
            except Exception as exc:  # jsonschema.ValidationError (jsonschema is imported lazily)
                where = "/".join(str(p) for p in getattr(exc, "absolute_path", ())) or "event"
                reason = f"{where}: {getattr(exc, 'message', exc)}"
        bad_count += 1
        if len(bad) < args.max_errors:
            bad.append({"file": name, "line": number, "error": reason})
    if out.json_mode:
        out.json({"lines": report.lines, "valid": report.lines - bad_count, "invalid": bad_count, "errors": bad})
    else:
        for item in bad:
            out.line(f"{one_line(item['file'])}:{item['line']}: {one_line(item['error'], 300)}")
        more = f" (first {len(bad)} shown)" if bad_count > len(bad) else ""
        out.line(
            f"{report.lines} lines checked in {len(report.files)} file(s): {report.lines - bad_count} valid, {bad_count} invalid{more}"
        )
    return EXIT_BAD_INPUT if bad_count else EXIT_OK


def _load_table(connection: Any, name: str, args: argparse.Namespace, rows_kind: str, report: ReadReport) -> None:
    from ..logs._arrow import arrow_schema, record_batches, require

    pa = require("pyarrow", "hilt logs sql")
    scoped = argparse.Namespace(**{**vars(args), "rows": rows_kind})
    columns, rows = _rows(scoped, report)
    reader = pa.RecordBatchReader.from_batches(arrow_schema(columns), record_batches(rows, columns))
    connection.register(f"_hilt_{name}", reader)
    connection.execute(f"CREATE TABLE {name} AS SELECT * FROM _hilt_{name}")
    connection.unregister(f"_hilt_{name}")


def _cell(value: Any) -> Any:
    """A SQL result value for a text table: floats without exponent or trailing zeros, None empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.9f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.6g}"
    return value


def logs_sql(args: argparse.Namespace) -> int:
    """Run SQL over the tables ``events`` and ``calls`` (DuckDB)."""
    from ..logs._arrow import require

    duckdb = require("duckdb", "hilt logs sql")
    out, report = Output(json_mode=args.json), ReadReport()
    connection = duckdb.connect()
    wanted = [name for name in ("events", "calls") if re.search(rf"\b{name}\b", args.query, re.IGNORECASE)] or [
        "events"
    ]
    for name in wanted:
        _load_table(connection, name, args, name, report)
    try:
        result = connection.execute(args.query)
        columns = [d[0] for d in result.description or ()]
        rows = result.fetchall()
    except duckdb.Error as exc:
        print(f"hilt: SQL error: {escape_controls(str(exc), keep_newlines=True)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if out.json_mode:
        out.json([dict(zip(columns, row)) for row in rows])
    else:
        numeric = [
            bool(rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
            for i in range(len(columns))
        ]
        out.table(columns, [[_cell(v) for v in row] for row in rows], numeric=numeric)
    report_corrupt(report)
    return EXIT_OK
