"""Flat rows for spreadsheets and data tools: one per event (the Sheets columns) or one per call.

The event columns are the Sheets view's (:data:`EVENT_COLUMNS`, imported from the Sheets writer so the
two stay one list); values keep their JSON types (numbers stay numbers, a missing value is ``None``),
and text is not cut. Costs written as strings by hilt-python 0.2.8 become numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..writers.sheets._rows import ALL_COLUMNS as EVENT_COLUMNS
from ._calls import Call, to_number

__all__ = ["CALL_COLUMNS", "EVENT_COLUMNS", "call_row", "call_rows", "event_row", "event_rows"]

CALL_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "conversation_id",
    "call_id",
    "endpoint",
    "model",
    "status",
    "status_code",
    "user",
    "tags",
    "prompt",
    "completion",
    "tokens_in",
    "tokens_out",
    "tokens_cached",
    "tokens_reasoning",
    "tokens_total",
    "cost_usd",
    "cost_status",
    "latency_ms",
    "ttft_ms",
    "error_type",
    "error_message",
)
"""The columns of :func:`call_rows`: one row per LLM call (prompt and reply joined)."""

_EMPTY: dict[str, Any] = {}


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else _EMPTY


def _session(session_id: Any) -> str | None:
    # Same rule as the Sheets "session" column.
    if not isinstance(session_id, str) or not session_id:
        return None
    if session_id.startswith("conv_"):
        return "Conv." + (session_id[-8:] if len(session_id) == 37 else session_id[5:13])
    return session_id[:12]


def _scalar(value: Any) -> Any:
    """Numbers and strings as they are; lists and objects as compact JSON text (one cell each)."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


_DERIVED = (
    "timestamp",
    "conversation_id",
    "event_id",
    "reply_to",
    "status_code",
    "session",
    "speaker",
    "action",
    "message",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "latency_ms",
    "model",
    "relevance_score",
    "tokens_total",
    "tokens_cached",
    "ttft_ms",
    "error_type",
    "user",
)
# Positions of the Sheets columns in the tuple _derive() builds (a column this module does not know is None).
_ORDER = tuple(_DERIVED.index(name) if name in _DERIVED else -1 for name in EVENT_COLUMNS)
_IDENTITY = _ORDER == tuple(range(len(_DERIVED)))
_SCALARS = (str, int, float, type(None))


def _derive(event: Mapping[str, Any]) -> tuple[Any, ...]:
    extensions, metrics, actor = _dict(event.get("extensions")), _dict(event.get("metrics")), event.get("actor")
    tokens, content = _dict(metrics.get("tokens")), _dict(event.get("content"))
    latency, relevance, cost = metrics.get("latency_ms"), extensions.get("relevance_score"), metrics.get("cost_usd")
    session_id = event.get("session_id")
    return (
        event.get("timestamp"),
        session_id,
        event.get("event_id"),
        extensions.get("reply_to"),
        extensions.get("status_code"),
        _session(session_id),
        f"{actor.get('type', '')}: {actor.get('id', '')}" if isinstance(actor, dict) else None,
        event.get("action"),
        content.get("text"),
        tokens.get("prompt"),
        tokens.get("completion"),
        cost if cost.__class__ is float else to_number(cost),
        latency if latency is not None else extensions.get("latency_ms"),
        extensions.get("model"),
        relevance if relevance is not None else extensions.get("score"),
        tokens.get("total"),
        tokens.get("cached"),
        metrics.get("ttft_ms"),
        extensions.get("error_type"),
        extensions.get("user"),
    )


def event_row(event: Mapping[str, Any]) -> tuple[Any, ...]:
    """One event as a tuple of :data:`EVENT_COLUMNS` values (``None`` for what it lacks)."""
    values = _derive(event)
    if not _IDENTITY:
        values = tuple(values[i] if i >= 0 else None for i in _ORDER)
    if all(value.__class__ in _SCALARS for value in values):
        return values
    return tuple(_scalar(value) for value in values)


def event_rows(events: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """:func:`event_row` for each event."""
    return (event_row(event) for event in events)


def call_row(call: Call) -> tuple[Any, ...]:
    """One call as a tuple of :data:`CALL_COLUMNS` values."""
    tokens, extensions = call.tokens, _dict((call.reply or _EMPTY).get("extensions"))
    return (
        call.timestamp,
        call.conversation_id,
        call.call_id,
        call.endpoint,
        call.model,
        call.status,
        call.status_code,
        call.user,
        ",".join(call.tags) or None,
        call.prompt_text or None,
        call.reply_text or None,
        tokens.get("prompt"),
        tokens.get("completion"),
        tokens.get("cached"),
        tokens.get("reasoning"),
        tokens.get("total"),
        call.cost_usd,
        extensions.get("cost_status"),
        call.latency_ms,
        call.ttft_ms,
        extensions.get("error_type"),
        extensions.get("error_message"),
    )


def call_rows(calls: Iterable[Call]) -> Iterator[tuple[Any, ...]]:
    """:func:`call_row` for each call."""
    return (call_row(call) for call in calls)
