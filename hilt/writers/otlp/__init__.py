"""The ``otlp`` backend: every call HILT records as an OpenTelemetry GenAI span, plus metrics.

Install with ``pip install 'hilt[otlp]'`` and turn it on next to (or instead of) the JSONL file::

    backend = ["local", "otlp"]          # hilt.toml
    HILT_BACKEND=local,otlp              # environment
    hilt.instrument(backend=["local", "otlp"])

Spans follow the GenAI semantic conventions v1.41 (see :mod:`._semconv`). HILT uses the
application's TracerProvider/MeterProvider when it configured one, otherwise its own OTLP/HTTP
exporter configured by the standard ``OTEL_*`` variables. :func:`backfill` sends an existing JSONL
log. This package is imported only when the ``otlp`` backend is used; see ``docs/opentelemetry.md``.
"""

from __future__ import annotations

from ._backfill import backfill
from ._semconv import SEMCONV_VERSION
from ._writer import OtlpWriter

__all__ = ["SEMCONV_VERSION", "OtlpWriter", "backfill"]
