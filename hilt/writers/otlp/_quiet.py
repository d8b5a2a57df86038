"""Route the OpenTelemetry SDK's log records about HILT's own exports to the ``hilt`` logger, once.

With no logging configured, a record from ``opentelemetry.exporter...`` ("Transient error ... retrying")
reaches Python's last-resort handler and is printed on the application's stderr every few seconds
while a collector is down. For the exports of the pipeline HILT built, such records are reported once
on the ``hilt`` logger instead (later ones at DEBUG). Records about the application's own exports pass
through untouched: the filter only acts while one of HILT's exporters runs on the current thread, or
on a worker thread that ran one (the batch processor of HILT's own provider, which logs an exporter's
exception after ``export`` has returned).
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from ..._safety import report

__all__ = ["quiet_exports"]

# The loggers that speak while an OTLP/HTTP export runs (exporter, encoder, batch processors).
_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.common._internal",
    "opentelemetry.exporter.otlp.proto.common._internal.trace_encoder",
    "opentelemetry.exporter.otlp.proto.common._internal.metrics_encoder",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.sdk.metrics._internal.export",
    "opentelemetry.sdk._shared_internal",
)

_exporting = threading.local()
_worker_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_install_lock = threading.Lock()
_installed = False


class _HiltExportFilter(logging.Filter):
    """Drops a record emitted during one of HILT's exports, after reporting it on the ``hilt`` logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(_exporting, "active", False) and threading.current_thread() not in _worker_threads:
            return True
        if record.levelno >= logging.WARNING:
            report("otlp-export", "OpenTelemetry export problem: %s", record.getMessage())
        return False


def _install_filter() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        only_hilt = _HiltExportFilter()
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(only_hilt)
        _installed = True


def quiet_exports(exporter: Any) -> Any:
    """Make ``exporter``'s ``export`` calls speak through the ``hilt`` logger; returns ``exporter``."""
    _install_filter()
    export = exporter.export

    def export_quietly(*args: Any, **kwargs: Any) -> Any:
        thread = threading.current_thread()
        if thread is not threading.main_thread():
            _worker_threads.add(thread)
        _exporting.active = True
        try:
            return export(*args, **kwargs)
        finally:
            _exporting.active = False

    exporter.export = export_quietly
    return exporter
