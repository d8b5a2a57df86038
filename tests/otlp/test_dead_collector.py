"""A dead collector (connection refused, or accepting and never answering) never slows or breaks a call."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support import read_lines

import hilt

from ._receiver import OtlpReceiver

CALLS = 40
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


def _timed_calls(client: Any) -> list[float]:
    durations = []
    for _ in range(CALLS):
        started = time.perf_counter()
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        durations.append(time.perf_counter() - started)
    return durations


def test_dead_collector_costs_the_call_nothing(dead_endpoint: str, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls with a dead collector take as long as JSONL-only calls (median within 2 ms, none over 0.5 s), every
    call is logged locally, and closing HILT waits no longer than shutdown_timeout."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", dead_endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "20")  # exports run (and fail) while the calls happen
    hilt.instrument(backend="local", filepath=str(tmp_path / "local.jsonl"))
    baseline = _timed_calls(client)
    hilt.instrument(backend=["local", "otlp"], filepath=str(tmp_path / "both.jsonl"), shutdown_timeout=0.5)
    with_dead = _timed_calls(client)
    started = time.perf_counter()
    hilt.uninstrument()
    closing = time.perf_counter() - started
    assert statistics.median(with_dead) - statistics.median(baseline) < 0.002, (statistics.median(baseline), statistics.median(with_dead))
    assert max(with_dead) < 0.5
    assert closing < 1.5
    assert len(read_lines(tmp_path / "both.jsonl")) == 2 * CALLS
