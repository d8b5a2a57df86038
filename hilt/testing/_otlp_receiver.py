"""A loopback OTLP/HTTP receiver (a fake collector): decodes protobuf trace and metric exports.

``POST /v1/traces`` and ``POST /v1/metrics`` bodies are decoded with ``opentelemetry-proto`` into plain
dicts (:class:`ReceivedSpan`, metric points). ``hang=True`` makes every request block until the
receiver stops, like a collector that accepts connections and never answers. Needs ``opentelemetry-proto``
(installed with the ``otlp`` extra).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest, ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

from ._loopback import LoopbackHandler, LoopbackServer

__all__ = ["OtlpReceiver", "ReceivedMetric", "ReceivedSpan"]


def any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` as a Python value (arrays as lists)."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def attributes(key_values: Any) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in key_values}


@dataclass
class ReceivedSpan:
    """One decoded span with its resource and instrumentation scope."""

    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    resource: dict[str, Any]
    scope: str
    schema_url: str


@dataclass
class ReceivedMetric:
    """One decoded metric: name, unit, and its data points (attributes + value or histogram fields)."""

    name: str
    unit: str
    points: list[dict[str, Any]] = field(default_factory=list)


class _Handler(LoopbackHandler):
    server: Any

    def do_POST(self) -> None:
        fake: OtlpReceiver = self.server.fake
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if fake.hang:
            fake.release.wait()
            return
        if self.path == "/v1/traces":
            fake._add_traces(body)
            reply = ExportTraceServiceResponse().SerializeToString()
        elif self.path == "/v1/metrics":
            fake._add_metrics(body)
            reply = ExportMetricsServiceResponse().SerializeToString()
        else:
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class OtlpReceiver(LoopbackServer):
    """OTLP/HTTP protobuf receiver on 127.0.0.1 (``endpoint`` is the base URL for ``OTEL_EXPORTER_OTLP_ENDPOINT``)."""

    handler_class = _Handler

    def __init__(self, *, hang: bool = False) -> None:
        super().__init__()
        self.hang = hang
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.spans: list[ReceivedSpan] = []
        self.metrics: list[ReceivedMetric] = []
        self.requests = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _before_stop(self) -> None:
        self.release.set()

    def _add_traces(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        received = []
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                            attributes=attributes(span.attributes),
                            status_code=span.status.code,
                            status_message=span.status.message,
                            resource=resource,
                            scope=scope_spans.scope.name,
                            schema_url=scope_spans.schema_url,
                        )
                    )
        with self._lock:
            self.spans.extend(received)
            self.requests += 1

    def _add_metrics(self, body: bytes) -> None:
        request = ExportMetricsServiceRequest.FromString(body)
        received = []
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    item = ReceivedMetric(metric.name, metric.unit)
                    kind = metric.WhichOneof("data")
                    for point in getattr(metric, kind).data_points:
                        decoded: dict[str, Any] = {"attributes": attributes(point.attributes)}
                        if kind == "histogram":
                            decoded.update(count=point.count, sum=point.sum, bounds=list(point.explicit_bounds))
                        else:
                            decoded["value"] = point.as_double if point.WhichOneof("value") == "as_double" else point.as_int
                        item.points.append(decoded)
                    received.append(item)
        with self._lock:
            self.metrics.extend(received)
            self.requests += 1

    def wait_for_spans(self, count: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        """The spans received once there are at least ``count`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.spans) >= count:
                    return list(self.spans)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} spans, received {len(self.spans)}")
