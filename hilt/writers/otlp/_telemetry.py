"""Where HILT's spans and metrics go: the application's providers, or HILT's own OTLP/HTTP pipeline.

If the application configured a global TracerProvider (MeterProvider), HILT uses it: no second
provider, and spans nest under the application's current span. Otherwise HILT builds its own from
the standard variables (``OTEL_EXPORTER_OTLP_*``, ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_SDK_DISABLED``, ``OTEL_METRICS_EXPORTER=none``): OTLP/HTTP protobuf, a batch span processor and a periodic metric reader, both
exporting from background threads so that a dead collector never reaches the call. HILT does not
install them globally (the application may still configure its own) and shuts them down itself,
within the ``shutdown_timeout`` setting, when its writers close.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ..._safety import report
from ..._version import __version__
from . import _semconv as sc
from ._quiet import quiet_exports

__all__ = ["CountingExporter", "Telemetry", "connect", "preload"]


@dataclass
class Telemetry:
    """A tracer and the GenAI instruments, plus the providers HILT built (``owned``) and must shut down."""

    tracer: Any
    duration: Any
    token_usage: Any
    time_to_first_chunk: Any
    cost: Any
    owned: list[Any] = field(default_factory=list)

    def flush(self, timeout_s: float) -> None:
        """Push out what the providers HILT built still hold, waiting at most ``timeout_s``."""
        _bounded(lambda: [p.force_flush(int(timeout_s * 1000)) for p in self.owned], timeout_s)

    def shutdown(self, timeout_s: float) -> None:
        """Flush and stop the providers HILT built, waiting at most ``timeout_s`` (a hanging collector is left behind)."""
        _bounded(lambda: [p.shutdown() for p in self.owned], timeout_s)


def _bounded(work: Any, timeout_s: float) -> None:
    """Run ``work`` in a daemon thread and wait for it at most ``timeout_s`` seconds."""
    thread = threading.Thread(target=work, name="hilt-otlp-flush", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no new threads this late in interpreter shutdown: wait without a time bound
        work()
        return
    thread.join(timeout_s)
    if thread.is_alive():
        report("otlp-flush", f"OpenTelemetry export did not finish within {timeout_s:.1f} s; what was left is dropped")


def _application_tracer_provider() -> Any | None:
    provider = trace.get_tracer_provider()
    return None if isinstance(provider, trace.ProxyTracerProvider) else provider


def _application_meter_provider() -> Any | None:
    provider = metrics.get_meter_provider()
    # the unset global is a private proxy class; a NoOp provider set on purpose counts as configured
    return None if type(provider).__name__ == "_ProxyMeterProvider" else provider


def preload() -> None:
    """Import the SDK and exporter modules now (~0.1 s), so that the first call does not pay for it."""
    import opentelemetry.exporter.otlp.proto.http.metric_exporter  # noqa: F401
    import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
    import opentelemetry.sdk.metrics  # noqa: F401
    import opentelemetry.sdk.resources  # noqa: F401
    import opentelemetry.sdk.trace  # noqa: F401


def connect(*, own: bool = False, span_exporter: Any = None) -> Telemetry:
    """A :class:`Telemetry` on the application's providers, or on new OTLP/HTTP ones (always new with ``own``)."""
    owned: list[Any] = []
    tracer_provider = None if own else _application_tracer_provider()
    meter_provider = None if own else _application_meter_provider()
    if tracer_provider is None or meter_provider is None:
        from opentelemetry.sdk.resources import Resource

        resource = Resource.create()  # reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
        if tracer_provider is None:
            tracer_provider = _tracer_provider(resource, span_exporter)
            owned.append(tracer_provider)
        if meter_provider is None and not own and _wanted("METRICS"):
            meter_provider = _meter_provider(resource)
            owned.append(meter_provider)
    tracer = tracer_provider.get_tracer("hilt", __version__, schema_url=sc.SCHEMA_URL)
    meter = (meter_provider or metrics.NoOpMeterProvider()).get_meter("hilt", __version__, schema_url=sc.SCHEMA_URL)
    return Telemetry(
        tracer=tracer,
        duration=meter.create_histogram(
            sc.DURATION_METRIC, unit="s", description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        ),
        token_usage=meter.create_histogram(
            sc.TOKEN_USAGE_METRIC, unit="{token}", description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(sc.TOKEN_BUCKETS),
        ),
        time_to_first_chunk=meter.create_histogram(
            sc.TIME_TO_FIRST_CHUNK_METRIC, unit="s", description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        ),
        cost=meter.create_counter(sc.COST_METRIC, unit="USD", description="Cost of GenAI calls as priced by HILT."),
        owned=owned,
    )  # fmt: skip


def _wanted(signal: str) -> bool:
    """``OTEL_METRICS_EXPORTER=none`` turns HILT's own metric export off (backends that take traces only)."""
    return os.environ.get(f"OTEL_{signal}_EXPORTER", "").strip().lower() != "none"


def _protocol(signal: str) -> str:
    value = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or ""
    value = value.strip().lower() or "http/protobuf"
    if value != "http/protobuf":
        report("otlp-protocol", f"OTLP protocol {value!r} is not supported by HILT's exporter; using http/protobuf")
    return value


def _tracer_provider(resource: Any, span_exporter: Any) -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if span_exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        _protocol("TRACES")
        span_exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(quiet_exports(span_exporter)))
    return provider


def _meter_provider(resource: Any) -> Any:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    _protocol("METRICS")
    reader = PeriodicExportingMetricReader(quiet_exports(OTLPMetricExporter()))
    return MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)


class CountingExporter(SpanExporter):
    """Wraps a span exporter and counts the spans the endpoint accepted (for backfill's return value)."""

    def __init__(self, exporter: Any) -> None:
        self.exporter = exporter
        self.accepted = 0

    def export(self, spans: Any) -> SpanExportResult:
        result = self.exporter.export(spans)
        if result is SpanExportResult.SUCCESS:
            self.accepted += len(spans)
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)
