"""Which TracerProvider HILT uses: the application's when it configured one, else its own from OTEL_* variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hilt.testing import OtlpReceiver, read_lines

APP = Path(__file__).with_name("_app.py")


def test_application_provider_is_used_and_spans_nest(otlp_env: OtlpReceiver, server: Any, tmp_path: Path) -> None:
    """With the application's own TracerProvider (set after HILT started), HILT's span is a child of the app's request span, in the app's resource."""
    log_path = tmp_path / "app.jsonl"
    env = {**os.environ, "OTEL_SERVICE_NAME": "not-used-for-traces"}
    result = subprocess.run(
        [sys.executable, str(APP), server.base_url, otlp_env.endpoint, str(log_path)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    trace_id, request_span_id = result.stdout.split()
    spans = {span.name: span for span in otlp_env.wait_for_spans(2)}
    assert set(spans) == {"GET /chat", "chat gpt-4o-mini"}
    hilt_span = spans["chat gpt-4o-mini"]
    assert (hilt_span.trace_id, hilt_span.parent_span_id) == (trace_id, request_span_id)
    assert hilt_span.resource["service.name"] == "app-svc"
    prompt, completion = read_lines(log_path)
    for event in (prompt, completion):
        assert (event["extensions"]["trace_id"], event["extensions"]["span_id"]) == (trace_id, hilt_span.span_id)


def test_metrics_exporter_none_sends_spans_only(exported: Path, otlp_env: OtlpReceiver, client: Any, monkeypatch: Any) -> None:
    """OTEL_METRICS_EXPORTER=none (for trace-only backends such as Phoenix, Jaeger, Langfuse) sends spans and no metrics."""
    import hilt

    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    hilt.uninstrument()
    assert [span.name for span in otlp_env.wait_for_spans(1)] == ["chat gpt-4o-mini"]
    assert otlp_env.metrics == []


def test_sdk_disabled_sends_nothing_and_logs_locally(exported: Path, otlp_env: OtlpReceiver, client: Any, monkeypatch: Any) -> None:
    """OTEL_SDK_DISABLED=true: no span, no metric, no trace ids, and the JSONL pair is still written."""
    import hilt

    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    hilt.uninstrument()
    assert (otlp_env.requests, otlp_env.spans, otlp_env.metrics) == (0, [], [])
    prompt, reply = read_lines(exported)
    assert "trace_id" not in prompt["extensions"] and reply["extensions"]["status"] == "ok"


def test_spans_are_flushed_at_normal_exit(otlp_env: OtlpReceiver, server: Any, tmp_path: Path) -> None:
    """A process that exits without uninstrument() still delivers every call's span and its metrics (flushed at exit)."""
    log_path = tmp_path / "exit.jsonl"
    result = subprocess.run(
        [sys.executable, str(APP.with_name("_exit_app.py")), server.base_url, str(log_path), "5"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    prompts = {event["event_id"] for event in read_lines(log_path) if event["action"] == "prompt"}
    assert {span.attributes["hilt.prompt_event_id"] for span in otlp_env.wait_for_spans(5)} == prompts
    assert {metric.name for metric in otlp_env.metrics} >= {"gen_ai.client.operation.duration", "hilt.client.cost"}
