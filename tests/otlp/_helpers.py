"""Helpers for the otlp tests: join JSONL pairs with received spans, read timestamps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from hilt.testing import OtlpReceiver, ReceivedSpan, read_lines


def joined(log_path: Path, receiver: OtlpReceiver) -> list[tuple[dict[str, Any], dict[str, Any], ReceivedSpan]]:
    """``(prompt event, reply event, span)`` per call, in call order (the span found by the prompt's event id)."""
    events = read_lines(log_path)
    prompts = [e for e in events if e["action"] == "prompt"]
    replies = {e["extensions"]["reply_to"]: e for e in events if e["action"] != "prompt"}
    spans = {s.attributes["hilt.prompt_event_id"]: s for s in receiver.wait_for_spans(len(prompts))}
    assert len(spans) == len(prompts)
    return [(p, replies[p["event_id"]], spans[p["event_id"]]) for p in prompts]


def epoch_ns(timestamp: str) -> int:
    """An event's ISO timestamp in nanoseconds since the epoch."""
    moment = datetime.fromisoformat(timestamp)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
