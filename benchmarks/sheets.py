"""Sheets backend benchmark: per-call overhead and worker throughput, against the loopback fakes.

1. Per-call overhead of ``client.chat.completions.create`` (fake OpenAI server on loopback) with the
   Sheets backend while every Google request takes ``--delay`` seconds, against the JSONL backend, in
   the same run, interleaved in rounds so machine noise hits both alike. The baseline is the same call
   uninstrumented.
2. Rows per second the background worker sustains against a fast fake (journal → sheet), with
   ``flush_interval=0``: the batch size (500 rows) and the fake's speed are the limits.

Usage: python -m benchmarks.sheets [--calls 200] [--rounds 5] [--delay 2.0] [--rows 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import openai

import hilt
from hilt.instrumentation import current
from hilt.testing import FakeOpenAIServer, FakeSheetsServer


def _calls(client: openai.OpenAI, n: int) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"q{i}"}])
        out.append((time.perf_counter() - start) * 1e6)
    return out


def overhead(args: argparse.Namespace, tmp: Path) -> None:
    with FakeOpenAIServer() as llm, FakeSheetsServer() as sheets:
        sheets.delay = args.delay
        creds = sheets.write_service_account(tmp / "sa.json")
        sheet_opts = dict(
            backend="sheets", sheet_id=sheets.spreadsheet_id, credentials_path=str(creds), sheets_endpoint=sheets.endpoint,
            journal_path=str(tmp / "journal.jsonl"), flush_interval=1.0, shutdown_timeout=0.2,
        )
        client = openai.OpenAI(base_url=llm.base_url, api_key="k", max_retries=0)
        results: dict[str, list[float]] = {"none": [], "jsonl": [], "sheets": []}
        # Warm up: SDK, HILT, and the Sheets worker's one-time imports and token (measured separately).
        _calls(client, 20)
        hilt.instrument(**sheet_opts)
        t0 = time.perf_counter()
        first = _calls(client, 1)[0]
        _calls(client, 20)
        while not sheets.waiting_or_served() and time.perf_counter() - t0 < 10:
            time.sleep(0.01)
        for _ in range(args.rounds):
            hilt.uninstrument()
            results["none"] += _calls(client, args.calls)
            hilt.instrument(backend="local", filepath=str(tmp / "local.jsonl"))
            results["jsonl"] += _calls(client, args.calls)
            hilt.instrument(**sheet_opts)
            _calls(client, 1)
            results["sheets"] += _calls(client, args.calls)
        hilt.uninstrument()
        client.close()
        base = statistics.median(results["none"])
        print(f"per-call latency, median of {args.rounds}x{args.calls} calls (Google requests take {args.delay:.1f} s each):")
        for name, values in results.items():
            med = statistics.median(values)
            p95 = statistics.quantiles(values, n=20)[-1]
            print(f"  {name:7s} median {med:8.0f} us  p95 {p95:8.0f} us  overhead {med - base:+7.0f} us")
        print(f"  first call with the Sheets backend (starts the worker): {first:.0f} us; "
              f"Sheets requests made meanwhile: {len(sheets.requests)}")


def throughput(args: argparse.Namespace, tmp: Path) -> None:
    with FakeSheetsServer() as sheets:
        creds = sheets.write_service_account(tmp / "sa2.json")
        journal = tmp / "throughput.jsonl"
        hilt.instrument(
            backend="sheets", sheet_id=sheets.spreadsheet_id, credentials_path=str(creds), sheets_endpoint=sheets.endpoint,
            journal_path=str(journal), flush_interval=0.0, shutdown_timeout=60.0,
        )
        pipeline = current().pipeline
        event = {"event_id": "", "timestamp": "2026-01-01T00:00:00+00:00", "session_id": "conv_x",
                 "actor": {"type": "agent", "id": "openai"}, "action": "completion", "content": {"text": "x" * 200},
                 "metrics": {"tokens": {"prompt": 10, "completion": 20, "total": 30}, "cost_usd": 0.0001, "latency_ms": 5},
                 "extensions": {"model": "gpt-4o-mini", "status_code": 200}}
        start = time.perf_counter()
        for i in range(args.rows):
            pipeline.emit(dict(event, event_id=f"id-{i}"))
        emitted = time.perf_counter() - start
        writer = pipeline.writers[1]
        writer.flush(120)
        total = time.perf_counter() - start
        hilt.uninstrument()
        rows = len(sheets.rows("Logs")) - 1
        appends = sheets.count("append") - 1
        print(f"worker throughput: {rows} rows in {total:.2f} s = {rows / total:,.0f} rows/s "
              f"({appends} append requests; emitting took {emitted:.2f} s = {emitted / args.rows * 1e6:.1f} us/event)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith("HILT_")]:
        del os.environ[name]
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_STATE_HOME"] = folder
        overhead(args, Path(folder))
        throughput(args, Path(folder))


if __name__ == "__main__":
    main()
