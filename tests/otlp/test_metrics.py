"""The GenAI metrics (semconv v1.41 names, units and buckets) and HILT's cost counter, over OTLP/HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hilt
from hilt.testing import OtlpReceiver, read_lines

DURATION_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]


def test_metrics_have_convention_names_units_buckets_and_values(exported: Path, otlp_env: OtlpReceiver, client: Any, server: Any) -> None:
    """Two chat calls and a stream give duration, token usage by type, time to first chunk and a USD cost counter equal to the JSONL."""
    messages = [{"role": "user", "content": "Say hello"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    list(client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True, stream_options={"include_usage": True}))
    hilt.uninstrument()
    replies = [e for e in read_lines(exported) if e["action"] == "completion"]
    metrics = {m.name: m for m in otlp_env.metrics}
    assert {name: metrics[name].unit for name in metrics} == {
        "gen_ai.client.operation.duration": "s",
        "gen_ai.client.token.usage": "{token}",
        "gen_ai.client.operation.time_to_first_chunk": "s",
        "hilt.client.cost": "USD",
    }
    labels = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini",
        "server.address": "127.0.0.1",
        "server.port": server.port,
    }
    [duration] = metrics["gen_ai.client.operation.duration"].points
    assert (duration["attributes"], duration["count"], duration["bounds"]) == (labels, 3, DURATION_BOUNDS)
    assert abs(duration["sum"] - sum(r["extensions"]["latency_ms"] for r in replies) / 1000) < 1e-9
    usage = {p["attributes"]["gen_ai.token.type"]: p for p in metrics["gen_ai.client.token.usage"].points}
    assert usage["input"]["attributes"] == {**labels, "gen_ai.token.type": "input"}
    assert (usage["input"]["count"], usage["input"]["sum"]) == (3, sum(r["metrics"]["tokens"]["prompt"] for r in replies))
    assert (usage["output"]["count"], usage["output"]["sum"]) == (3, sum(r["metrics"]["tokens"]["completion"] for r in replies))
    assert usage["input"]["bounds"] == TOKEN_BOUNDS
    [ttft] = metrics["gen_ai.client.operation.time_to_first_chunk"].points
    assert (ttft["count"], ttft["sum"]) == (1, replies[2]["metrics"]["ttft_ms"] / 1000)
    [cost] = metrics["hilt.client.cost"].points
    assert cost["attributes"] == {"gen_ai.response.model": "gpt-4o-mini", "gen_ai.provider.name": "openai"}
    assert abs(cost["value"] - sum(r["metrics"]["cost_usd"] for r in replies)) < 1e-12
