"""Cost of the audit trail (``integrity = true``) per event, and ``hilt logs verify`` throughput.

Writes the same completion event (about 1.3 KB, the shape HILT writes for a short chat call) through two
JSONL writers, one chained and one not, interleaved (A/B) so that drift on the machine hits both alike;
then verifies the chained file. The chained write adds an event copy, an HMAC-SHA256 over the line, an
``lstat`` of the path (a chained writer checks every write that the path still names its file) and a
``pwrite`` of the anchor.

Usage: python -m benchmarks.integrity [--events 20000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from ._common import compare, interleaved

EVENT = {
    "hilt_version": "1.0.0",
    "event_id": "01a22aeb-7ee3-7a2c-9f1e-3b2c1d0e9f8a",
    "timestamp": "2026-11-30T05:30:00.123456+00:00",
    "session_id": "conv_01a22aeb7ee37a2c9f1e3b2c1d0e9f8a",
    "actor": {"type": "agent", "id": "openai", "name": "gpt-4o-mini"},
    "action": "completion",
    "content": {"text": "Hello! How can I help you today? " * 12},
    "metrics": {"tokens": {"prompt": 11, "completion": 96, "total": 107}, "cost_usd": 0.00005925},
    "provenance": {"hilt": "1.0.0", "python": "3.11.7", "openai": "2.8.0", "host": "bench", "pid": 4242},
    "extensions": {
        "reply_to": "01a22aeb-7ee2-7c11-8a0b-1c2d3e4f5a6b",
        "model": "gpt-4o-mini",
        "response_model": "gpt-4o-mini-2024-07-18",
        "latency_ms": 812,
        "ttft_ms": 240,
        "status_code": 200,
        "finish_reason": "stop",
    },
}


def per_event(folder: Path, events: int) -> dict[str, object]:
    from hilt.writers.jsonl import JsonlWriter

    plain = JsonlWriter(folder / "plain.jsonl")
    chained = JsonlWriter(folder / "chained.jsonl", integrity=True)
    off, on = interleaved(lambda: plain.write(EVENT), lambda: chained.write(EVENT), calls=events, warmup=200)
    plain.close()
    chained.close()
    return compare(off, on)


def verify_speed(folder: Path) -> tuple[int, float]:
    from hilt.logs._verify import verify_logs

    start = time.perf_counter()
    report = verify_logs([folder / "chained.jsonl"])
    elapsed = time.perf_counter() - start
    assert report.ok, report.problems
    return report.chained, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_STATE_HOME"] = folder  # a throw-away key and anchor
        result = per_event(Path(folder), args.events)
        print(f"write, integrity off: {result['off']}")
        print(f"write, integrity on:  {result['on']}")
        print(f"cost per event: {result['overhead_median_us']} µs (median), {result['overhead_mean_us']} µs (mean)")
        count, seconds = verify_speed(Path(folder))
        print(f"verify: {count} events in {seconds:.2f} s ({count / seconds:,.0f} events/s)")


if __name__ == "__main__":
    main()
