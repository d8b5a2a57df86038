"""The OTLP writer: one CLIENT span per call, plus the GenAI metrics.

The span starts when the prompt event is built, in the caller's thread and context and before the
request is sent (:func:`hilt._trace_context.stamp_trace_ids` calls :meth:`OtlpWriter.start_span`),
so it nests under the application's current span and samplers see the start attributes. The reply
event (completion or system, matched by ``extensions.reply_to``) is queued; a background thread adds
the remaining attributes, ends the span and records the metrics, so the call pays ~20 µs for the
start and ~1 µs for the end. Start and end times come from the events (prompt timestamp, then
``latency_ms`` later), so a span and its JSONL lines agree.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from . import _semconv as sc
from ._attributes import (
    completion_attributes,
    event_time_ns,
    metric_attributes,
    operation_of,
    request_attributes,
    sampling_attributes,
    span_name,
)
from ._finisher import Finisher
from ._telemetry import Telemetry, connect, preload

if TYPE_CHECKING:
    from ..._config import Settings

__all__ = ["OtlpWriter", "content_on_span"]

_MAX_OPEN_SPANS = 10_000


def content_on_span(capture_content: str | bool) -> bool:
    """Message content goes on spans only when HILT captures it (a mode other than ``metadata``) *and*
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` asks for spans."""
    mode = os.environ.get(sc.CONTENT_ENV, "").strip().lower()
    return capture_content not in ("metadata", False) and mode in sc.CONTENT_ON_SPAN


def _end_time(span: Any, event: dict[str, Any], extensions: dict[str, Any]) -> int | None:
    """Span start + ``latency_ms`` (the JSONL latency, measured around the request), else the event's time.

    The completion event is built after pricing, so its timestamp can trail the real end of the call.
    """
    start = getattr(span, "start_time", None)
    latency = extensions.get("latency_ms")
    if type(start) is int and type(latency) is int and latency >= 0:
        return start + latency * 1_000_000
    return event_time_ns(event)


class OtlpWriter:
    """Sends each call as a GenAI span (and metrics) over OpenTelemetry.

    Args:
        settings: HILT settings (``capture_content``, ``shutdown_timeout``).
        telemetry: where spans and metrics go; by default the application's providers, else HILT's own
            OTLP/HTTP ones, chosen on the first call (after the application had a chance to configure its own).
        metrics: record the GenAI metrics (backfill turns them off: old calls would land in today's buckets).
    """

    def __init__(self, settings: Settings, *, telemetry: Telemetry | None = None, metrics: bool = True) -> None:
        self.capture_content = content_on_span(settings.capture_content)
        self.shutdown_timeout = settings.shutdown_timeout
        self.metrics = metrics
        self._telemetry = telemetry
        self._given = telemetry is not None
        self._spans: dict[str, tuple[Any, dict[str, Any]]] = {}  # prompt event id → (span, prompt event)
        self._lock = threading.Lock()
        self._finisher = Finisher(self._finish)
        if telemetry is None:
            preload()

    def __repr__(self) -> str:
        return "OtlpWriter()"

    def _connected(self) -> Telemetry:
        telemetry = self._telemetry
        if telemetry is None:
            with self._lock:
                if self._telemetry is None:
                    self._telemetry = connect()
                telemetry = self._telemetry
        return telemetry

    def start_span(self, event: dict[str, Any]) -> tuple[str, str] | None:
        """Start the span of the call a prompt ``event`` opens; its ``(trace_id, span_id)`` in hex."""
        event_id = event.get("event_id")
        if not isinstance(event_id, str):
            return None
        opened = self._spans.get(event_id)
        if opened is None:
            attributes = sampling_attributes(event)
            span = self._connected().tracer.start_span(
                span_name(attributes[sc.OPERATION_NAME], attributes.get(sc.REQUEST_MODEL)),
                kind=SpanKind.CLIENT,
                attributes=attributes,
                start_time=event_time_ns(event),
            )
            opened = (span, event)
            with self._lock:
                if len(self._spans) >= _MAX_OPEN_SPANS:  # replies that never came: end the oldest
                    self._spans.pop(next(iter(self._spans)))[0].end()
                self._spans[event_id] = opened
        context = opened[0].get_span_context()
        if not context.is_valid:
            return None
        return format(context.trace_id, "032x"), format(context.span_id, "016x")

    def write(self, event: dict[str, Any]) -> None:
        """A prompt starts its span (if :meth:`start_span` did not already); a reply is queued to end it."""
        action = event.get("action")
        if action == "prompt":
            self.start_span(event)
        elif action in ("completion", "system"):
            self._finisher.put(event)

    def _finish(self, event: dict[str, Any]) -> None:
        """On the background thread: the rest of the attributes, the status, the end, the metrics."""
        extensions = event.get("extensions") if isinstance(event.get("extensions"), dict) else {}
        with self._lock:
            opened = self._spans.pop(extensions.get("reply_to"), None)
        if opened is None:
            span, attributes = self._orphan_span(event, extensions)
            span.set_attributes(attributes)
        else:
            span, prompt = opened
            requested = request_attributes(prompt, self.capture_content)
            span.set_attributes(requested)  # the sampling attributes are on the span since its start
            attributes = {**sampling_attributes(prompt), **requested}
        ended = completion_attributes(event, self.capture_content)
        span.set_attributes(ended)
        if sc.ERROR_TYPE in ended:
            message = extensions.get("error_message")
            span.set_status(Status(StatusCode.ERROR, message if isinstance(message, str) else None))
        span.end(end_time=_end_time(span, event, extensions))
        if self.metrics:
            self._record_metrics({**attributes, **ended}, extensions)

    def _orphan_span(self, event: dict[str, Any], extensions: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """A span for a reply whose prompt was never seen (logged before HILT started, or cut from a file)."""
        attributes = {**sampling_attributes(event), **request_attributes(event, capture_content=False)}
        reply_to = extensions.get("reply_to")
        attributes[sc.HILT_PROMPT_EVENT_ID] = reply_to if isinstance(reply_to, str) else ""
        request_model = extensions.get("request_model", extensions.get("model"))
        if isinstance(request_model, str):
            attributes[sc.REQUEST_MODEL] = request_model
        end = event_time_ns(event)
        latency = extensions.get("latency_ms")
        start = end - int(latency) * 1_000_000 if end is not None and isinstance(latency, int) else end
        name = span_name(operation_of(event), attributes.get(sc.REQUEST_MODEL))
        span = self._connected().tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes, start_time=start)
        return span, attributes

    def _record_metrics(self, attributes: dict[str, Any], extensions: dict[str, Any]) -> None:
        telemetry = self._connected()
        labels = metric_attributes(attributes)
        latency = extensions.get("latency_ms")
        if isinstance(latency, (int, float)):
            telemetry.duration.record(latency / 1000, labels)
        for key, token_type in ((sc.INPUT_TOKENS, "input"), (sc.OUTPUT_TOKENS, "output")):
            if key in attributes:
                telemetry.token_usage.record(attributes[key], {**labels, sc.TOKEN_TYPE: token_type})
        if sc.RESPONSE_TIME_TO_FIRST_CHUNK in attributes:
            telemetry.time_to_first_chunk.record(attributes[sc.RESPONSE_TIME_TO_FIRST_CHUNK], labels)
        cost = attributes.get(sc.HILT_COST_USD)
        if cost:
            model = attributes.get(sc.RESPONSE_MODEL, attributes.get(sc.REQUEST_MODEL, ""))
            telemetry.cost.add(cost, {sc.RESPONSE_MODEL: model, sc.PROVIDER_NAME: attributes[sc.PROVIDER_NAME]})

    def end_open_spans(self, status: str) -> None:
        """End every span still waiting for its reply, at its start time, with ``hilt.status`` = ``status``."""
        self._finisher.drain(self.shutdown_timeout)
        with self._lock:
            opened, self._spans = list(self._spans.values()), {}
        for span, prompt in opened:
            span.set_attributes({**request_attributes(prompt, self.capture_content), sc.HILT_STATUS: status})
            span.end(end_time=getattr(span, "start_time", None))

    def flush(self, timeout_s: float | None = None) -> None:
        """End the queued spans and export what HILT's own providers hold, within ``timeout_s`` (default ``shutdown_timeout``)."""
        timeout_s = self.shutdown_timeout if timeout_s is None else timeout_s
        self._finisher.drain(timeout_s)
        if self._telemetry is not None:
            self._telemetry.flush(timeout_s)

    def close(self) -> None:
        """End the queued spans, then flush and stop HILT's own providers, within ``shutdown_timeout``.

        A later call connects again (the pipeline reopens its writers for a call still in flight).
        """
        deadline = time.monotonic() + self.shutdown_timeout
        self._finisher.drain(self.shutdown_timeout)
        if self._given:
            return
        with self._lock:
            telemetry, self._telemetry = self._telemetry, None
        if telemetry is not None:
            telemetry.shutdown(max(deadline - time.monotonic(), 0.1))
