"""``hilt logs``: find and summarise HILT logs."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

__all__ = ["register", "summarize"]


def register(subparsers: Any) -> None:
    """Add the ``logs`` sub-command group."""
    parser = subparsers.add_parser("logs", help="find and summarise HILT logs")
    commands = parser.add_subparsers(dest="logs_command", metavar="COMMAND")
    path = commands.add_parser("path", help="print the log file HILT writes to with the current configuration")
    path.set_defaults(func=logs_path)
    stats = commands.add_parser("stats", help="calls, errors, tokens, cost and latency of a log")
    stats.add_argument("file", nargs="?", help="a HILT JSONL file (default: the configured log)")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=logs_stats)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def logs_path(args: argparse.Namespace) -> int:
    """Print the configured log path."""
    from .._config import load_settings

    print(load_settings().log_path)
    return 0


def logs_stats(args: argparse.Namespace) -> int:
    """Print a summary of a log."""
    from .._config import load_settings
    path = args.file or str(load_settings().log_path)
    summary = summarize(path)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key:>18}: {value}")
    return 0


def summarize(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Counts, tokens, cost and median latency of a HILT log."""
    from hilt import Session

    calls = errors = tokens = events = 0
    cost = 0.0
    latencies: list[int] = []
    conversations: set[str] = set()
    with Session(path, mode="r") as session:
        for event in session.read():
            events += 1
            conversations.add(event.session_id)
            if event.action == "prompt":
                calls += 1
                continue
            if event.action == "system":
                errors += 1
            tokens += event.metrics.tokens.get("total", 0)
            cost += event.metrics.cost_usd or 0.0
            if event.metrics.latency_ms is not None:
                latencies.append(event.metrics.latency_ms)
    latencies.sort()
    median = latencies[len(latencies) // 2] if latencies else 0
    return {
        "calls": calls,
        "events": events,
        "conversations": len(conversations),
        "errors": errors,
        "tokens": tokens,
        "cost_usd": cost,
        "median_latency_ms": median,
    }
