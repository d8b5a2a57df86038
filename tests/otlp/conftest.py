"""Fixtures for the otlp backend: a loopback OTLP receiver and HILT exporting to it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs the otlp extra (pip install 'hilt[otlp]')")

from hilt.testing import OtlpReceiver  # noqa: E402


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    """A fresh OTLP/HTTP receiver on 127.0.0.1."""
    with OtlpReceiver() as fake:
        yield fake


@pytest.fixture
def otlp_env(receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> OtlpReceiver:
    """The standard OTEL_* variables point at ``receiver``; no other OTEL_* setting leaks in."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "hilt-tests")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
    return receiver


@pytest.fixture
def exported(otlp_env: OtlpReceiver, log_path: Path) -> Iterator[Path]:
    """HILT with ``backend=["local", "otlp"]``; ``hilt.uninstrument()`` flushes the spans to the receiver.
    Afterwards every JSONL line (trace ids included) must match the JSON Schema."""
    import json

    import hilt
    from hilt.schema import validate_event

    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path))
    yield log_path
    hilt.uninstrument()
    if log_path.exists():
        for line in log_path.read_text(encoding="utf-8").splitlines():
            validate_event(json.loads(line))
