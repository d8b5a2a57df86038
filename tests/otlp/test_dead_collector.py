"""A dead collector (connection refused, or accepting and never answering) never slows or breaks a call."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.testing import OtlpReceiver, read_lines

CALLS = 25
BLOCKS = 4
MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture(params=["refused", "hanging"])
def dead_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """An OTLP endpoint that refuses connections, or one that accepts requests and never replies."""
    if request.param == "refused":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    else:
        with OtlpReceiver(hang=True) as hanging:
            yield hanging.endpoint


def _timed_calls(client: Any, endpoint: str, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Durations of CALLS calls with local + otlp exporting to ``endpoint``, then closing HILT."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path), shutdown_timeout=0.5)
    durations = []
    for _ in range(CALLS):
        started = time.perf_counter()
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        durations.append(time.perf_counter() - started)
    started = time.perf_counter()
    hilt.uninstrument()
    durations.append(time.perf_counter() - started)  # the last item: closing
    return durations


def _lower_quartile(values: list[float]) -> float:
    return statistics.quantiles(values, n=4)[0]


def test_dead_collector_costs_the_call_nothing(dead_endpoint: str, receiver: OtlpReceiver, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls exporting to a dead collector take as long as calls exporting to a live one (lower quartiles within
    1 ms over alternated blocks, none over 0.5 s), every call is logged locally, and closing waits no longer than
    shutdown_timeout (the lower quartile, because a busy test machine adds spikes to either side)."""
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "20")  # exports run (and fail) while the calls happen
    live: list[float] = []
    dead: list[float] = []
    closing: list[float] = []
    for block in range(BLOCKS):
        *times, close = _timed_calls(client, receiver.endpoint, tmp_path / f"live{block}.jsonl", monkeypatch)
        live += times
        *times, close = _timed_calls(client, dead_endpoint, tmp_path / f"dead{block}.jsonl", monkeypatch)
        dead += times
        closing.append(close)
    assert _lower_quartile(dead) - _lower_quartile(live) < 0.001, (_lower_quartile(live), _lower_quartile(dead))
    assert max(dead) < 0.5
    assert max(closing) < 1.5
    assert [len(read_lines(tmp_path / f"dead{block}.jsonl")) for block in range(BLOCKS)] == [2 * CALLS] * BLOCKS


def test_dead_collector_speaks_once_through_the_hilt_logger(server: Any, tmp_path: Path) -> None:
    """With no logging configured, a dead collector puts one HILT warning on stderr, not the OpenTelemetry
    SDK's retry messages every few seconds; the application's own record on an OpenTelemetry logger still shows."""
    import os
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}", "OTEL_BSP_SCHEDULE_DELAY": "50",
           "OTEL_METRIC_EXPORT_INTERVAL": "100"}  # fmt: skip
    app = Path(__file__).with_name("_quiet_app.py")
    log_path = tmp_path / "app.jsonl"
    result = subprocess.run([sys.executable, str(app), server.base_url, str(log_path)], env=env, capture_output=True, text=True, timeout=60)
    lines = result.stderr.splitlines()
    assert result.returncode == 0, result.stderr
    assert [line for line in lines if line.startswith("OpenTelemetry export problem:")][:1] == lines[:1], lines
    assert len([line for line in lines if "Transient error" in line or "Failed to export" in line]) == 1, lines
    assert "the application's own export warning" in lines, lines
    assert len(read_lines(log_path)) == 6
