"""Backfill: send calls already in JSONL logs to the OTLP endpoint, with their original timestamps."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..._safety import report
from ._telemetry import CountingExporter, connect
from ._writer import OtlpWriter

if TYPE_CHECKING:
    from ..._config import Settings

__all__ = ["backfill"]

_FLUSH_EVERY = 512  # spans per forced flush: stays under the batch processor's queue (2048), none dropped


def backfill(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings | None = None,
    *,
    timeout: float = 30.0,
    span_exporter: Any = None,
) -> int:
    """Send every call in the JSONL logs ``paths`` as a span to the configured OTLP endpoint.

    Each prompt/completion pair becomes one span with the original start and end times and the same
    attributes a live call gets (content per ``settings.capture_content`` and
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``). The endpoint comes from the standard
    ``OTEL_EXPORTER_OTLP_*`` variables; ``span_exporter`` replaces the OTLP/HTTP exporter (tests).
    No metrics are sent: old calls would land in today's buckets. Unreadable lines are reported on
    the ``hilt`` logger with their file and line number and skipped; a prompt without a reply ends
    as a zero-length span with ``hilt.status = "no_reply"``.

    Args:
        paths: JSONL files written by HILT.
        settings: HILT settings (default: the effective ones, as ``instrument()`` resolves them).
        timeout: seconds to wait for the endpoint at each flush.

    Returns:
        The number of spans the endpoint accepted.
    """
    if settings is None:
        from ..._config import load_settings

        settings = load_settings()
    exporter = CountingExporter(span_exporter if span_exporter is not None else _otlp_exporter())
    telemetry = connect(own=True, span_exporter=exporter)
    writer = OtlpWriter(settings, telemetry=telemetry, metrics=False)
    finished = 0
    try:
        for event in _events(paths):
            writer.write(event)
            if event.get("action") != "prompt":
                finished += 1
                if finished % _FLUSH_EVERY == 0:
                    writer.flush(timeout)
        writer.end_open_spans("no_reply")
        writer.flush(timeout)
    finally:
        telemetry.shutdown(timeout)
    return exporter.accepted


def _otlp_exporter() -> Any:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _events(paths: Iterable[str | os.PathLike[str]]) -> Iterator[dict[str, Any]]:
    """The events of ``paths`` (gzipped files too) through the one log reader; bad lines are reported by position."""
    from ...logs import ReadReport, iter_events

    read = ReadReport()
    yield from iter_events(list(paths), read, rotated=False)
    for bad in read.corrupt:
        report(f"backfill:{bad.path}:{bad.line}", f"{bad.path}:{bad.line}: {bad.reason}; skipped")
