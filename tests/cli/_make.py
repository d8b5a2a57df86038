"""Build small HILT logs with known numbers for the ``hilt logs`` tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_counter = iter(range(1, 1_000_000))


def _id() -> str:
    return f"00000000-0000-7000-8000-{next(_counter):012d}"


def call(
    conversation: str,
    at: str,
    prompt: str,
    answer: str | None,
    *,
    model: str = "gpt-4o-mini",
    latency: int = 100,
    tokens: dict[str, int] | None = None,
    cost: float | None = 0.001,
    status_code: int = 200,
    user: str | None = None,
    tags: list[str] | None = None,
    ttft: float | None = None,
    endpoint: str = "chat.completions.create",
    messages: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """A prompt event and its reply (a ``system`` error event when ``status_code`` >= 400), HILT 1.0.0 shape."""
    prompt_id = _id()
    context: dict[str, Any] = {}
    if user:
        context["user"] = user
    if tags:
        context["tags"] = tags
    provenance = {"source": "hilt", "endpoint": endpoint}
    prompt_event = {
        "hilt_version": "1.0.0",
        "event_id": prompt_id,
        "timestamp": at.replace("Z", "+00:00"),
        "session_id": conversation,
        "actor": {"type": "human", "id": user or "user"},
        "action": "prompt",
        "content": {"text": prompt, "messages": messages or [{"role": "user", "content": prompt}]},
        "provenance": provenance,
        "extensions": {"model": model, "stream": False, **context},
    }
    extensions: dict[str, Any] = {
        "reply_to": prompt_id,
        "model": model,
        "status_code": status_code,
        "latency_ms": latency,
        **context,
    }
    if status_code >= 400:
        extensions.update(status="error", error_type="RateLimitError", error_message="slow down")
        reply = {
            "hilt_version": "1.0.0",
            "event_id": _id(),
            "timestamp": at.replace("Z", "+00:00"),
            "session_id": conversation,
            "actor": {"type": "system", "id": "openai"},
            "action": "system",
            "content": {"text": "RateLimitError: slow down"},
            "metrics": {"latency_ms": latency},
            "provenance": provenance,
            "extensions": extensions,
        }
        return [prompt_event, reply]
    extensions["status"] = "ok"
    metrics: dict[str, Any] = {
        "tokens": tokens or {"prompt": 10, "completion": 5, "total": 15},
        "cost_usd": cost,
        "latency_ms": latency,
    }
    if cost is None:
        extensions["cost_status"] = "unknown_model"
    if ttft is not None:
        metrics["ttft_ms"] = ttft
    reply = {
        "hilt_version": "1.0.0",
        "event_id": _id(),
        "timestamp": at.replace("Z", "+00:00"),
        "session_id": conversation,
        "actor": {"type": "agent", "id": "openai", "name": model},
        "action": "completion",
        "content": {"text": answer} if answer is not None else {},
        "metrics": metrics,
        "provenance": provenance,
        "extensions": extensions,
    }
    return [prompt_event, reply]


def write_log(path: Path, *items: dict[str, Any] | list[dict[str, Any]] | str) -> Path:
    """Write events (dicts or lists of them) and raw strings (written as given, one per line) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for item in items:
        for one in item if isinstance(item, list) else [item]:
            lines.append(one if isinstance(one, str) else json.dumps(one, ensure_ascii=False))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def append_events(path: Path, events: list[dict[str, Any]]) -> None:
    """Append events to the log at ``path``, one JSON line each, as a running application would."""
    with path.open("a", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event) + "\n")


# Two lines exactly as hilt-python 0.2.8 writes them (spaces after separators, cost as a string).
LEGACY_PAIR = [
    '{"event_id": "62f7a1de-0000-4000-8000-000000000001", "timestamp": "2026-11-27T02:36:43.418570+00:00", '
    '"session_id": "conv_42aac502b978", "actor": {"type": "human", "id": "user"}, "action": "prompt", "content": {"text": "Hello"}}',
    '{"event_id": "2fc9a1de-0000-4000-8000-000000000002", "timestamp": "2026-11-27T02:36:43.428517+00:00", '
    '"session_id": "conv_42aac502b978", "actor": {"type": "agent", "id": "openai"}, "action": "completion", '
    '"content": {"text": "Hi there"}, "metrics": {"tokens": {"prompt": 11, "completion": 7, "total": 18}, '
    '"cost_usd": "0.000006", "cost_usd_display": "0,000006 USD"}, "extensions": {"reply_to": '
    '"62f7a1de-0000-4000-8000-000000000001", "model": "gpt-4o-mini", "latency_ms": 9, "status_code": 200}}',
]
