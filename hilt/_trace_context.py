"""Trace ids on events: a JSONL line names the OpenTelemetry span its call ran under.

When a span is active around a call (the application's, or the one HILT's OTLP writer starts for the
call), the prompt and completion events get ``extensions.trace_id`` (32 hex digits) and
``extensions.span_id`` (16 hex digits), the W3C forms a trace backend searches by.

This module imports nothing from OpenTelemetry: when ``opentelemetry.trace`` has not been imported
by anyone, there can be no active span and :func:`stamp_trace_ids` returns after one dictionary
lookup. With the OTLP backend, HILT's own span must exist before the prompt event is written (so
that the ids agree); a writer with a ``start_span(event)`` method starts it here, before any writer
sees the event.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from ._safety import report_exception

__all__ = ["TRACE_MODULE", "current_trace_ids", "stamp_trace_ids"]

TRACE_MODULE = "opentelemetry.trace"
_MAX_OPEN = 4096
_open: dict[str, tuple[str, str]] = {}  # prompt event id → ids, until its completion event


def stamp_trace_ids(event: dict[str, Any], writers: Sequence[Any] = ()) -> None:
    """Add ``trace_id``/``span_id`` to the extensions of a freshly built ``event`` (never raises).

    A prompt event first lets each writer with ``start_span`` open the call's span (the OTLP writer),
    else takes the current span; the completion or system event reuses the ids of its prompt.
    """
    if TRACE_MODULE not in sys.modules:
        return
    try:
        _stamp(event, writers)
    except Exception as exc:
        report_exception("add trace ids to an event", exc)


def _stamp(event: dict[str, Any], writers: Sequence[Any]) -> None:
    extensions = event.get("extensions")
    if not isinstance(extensions, dict):
        return
    if event.get("action") == "prompt":
        ids = None
        for writer in writers:
            start_span = getattr(writer, "start_span", None)
            if start_span is not None:
                ids = start_span(event) or ids
        ids = ids or current_trace_ids()
        if ids is not None:
            if len(_open) >= _MAX_OPEN:  # completions that never came: forget them
                _open.clear()
            _open[event["event_id"]] = ids
    else:
        ids = _open.pop(extensions.get("reply_to"), None) or current_trace_ids()
    if ids is not None:
        extensions["trace_id"], extensions["span_id"] = ids


def current_trace_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the active span, or ``None`` (no span, or OpenTelemetry not loaded)."""
    trace = sys.modules.get(TRACE_MODULE)
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
