"""Backfill: an existing JSONL log sent as spans with its original timestamps."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt._config import load_settings
from hilt.testing import OtlpReceiver, read_lines
from hilt.writers.otlp import backfill

from tests.otlp._helpers import epoch_ns

MESSAGES = [{"role": "user", "content": "Say hello"}]


def test_backfill_sends_each_call_with_its_original_times(otlp_env: OtlpReceiver, instrumented: Path, client: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A log of 3 calls (one failed) plus a torn line gives 3 spans timed like the log, and reports the bad line by number."""
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "404"})
    hilt.uninstrument()
    events = read_lines(instrumented)
    torn = instrumented.with_name("torn.jsonl")
    torn.write_text(instrumented.read_text(encoding="utf-8") + '{"hilt_version": "1.0.0", "event_id": \n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="hilt"):
        sent = backfill([torn], load_settings())
    assert sent == 3
    assert f"{torn}:7: invalid JSON" in caplog.text
    spans = {s.attributes["hilt.prompt_event_id"]: s for s in otlp_env.wait_for_spans(3)}
    for prompt in (e for e in events if e["action"] == "prompt"):
        reply = next(e for e in events if e["extensions"].get("reply_to") == prompt["event_id"])
        span = spans[prompt["event_id"]]
        assert span.start_ns == epoch_ns(prompt["timestamp"])
        assert span.end_ns - span.start_ns == reply["extensions"]["latency_ms"] * 1_000_000
        assert span.attributes["hilt.completion_event_id"] == reply["event_id"]
        assert span.attributes.get("gen_ai.usage.input_tokens") == reply["metrics"].get("tokens", {}).get("prompt")
        assert span.attributes.get("hilt.cost_usd") == reply["metrics"].get("cost_usd")
    assert [s.attributes.get("error.type") for s in spans.values()] == [None, None, "NotFoundError"]
    assert otlp_env.metrics == []


def test_backfill_prompt_without_reply(otlp_env: OtlpReceiver, tmp_path: Path) -> None:
    """A prompt whose reply never came (the process died) is sent as a zero-length span with hilt.status "no_reply"."""
    prompt = (
        '{"hilt_version":"1.0.0","event_id":"01a22a44-bca0-7001-ba82-03606e683e42","timestamp":"2026-11-30T02:24:37.536715+00:00",'
        '"session_id":"s1","actor":{"type":"human","id":"user"},"action":"prompt",'
        '"provenance":{"endpoint":"chat.completions.create","server":"api.openai.com"},"extensions":{"model":"gpt-4o","stream":false}}\n'
    )
    path = tmp_path / "cut.jsonl"
    path.write_text(prompt, encoding="utf-8")
    assert backfill([path], load_settings()) == 1
    [span] = otlp_env.wait_for_spans(1)
    assert (span.name, span.start_ns, span.end_ns) == ("chat gpt-4o", 1796005477536715000, 1796005477536715000)
    assert {k: span.attributes.get(k) for k in ("hilt.status", "server.address", "server.port", "gen_ai.conversation.id")} == {
        "hilt.status": "no_reply",
        "server.address": "api.openai.com",
        "server.port": None,
        "gen_ai.conversation.id": "s1",
    }


def test_backfill_to_a_dead_endpoint_returns_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the endpoint refuses connections, backfill says 0 spans were accepted (within its timeout)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    path = tmp_path / "one.jsonl"
    path.write_text(
        '{"event_id":"p1","timestamp":"2026-11-30T02:24:37.536715+00:00","session_id":"s","action":"prompt","extensions":{"model":"m"}}\n'
        '{"event_id":"c1","timestamp":"2026-11-30T02:24:37.546715+00:00","session_id":"s","action":"completion",'
        '"extensions":{"reply_to":"p1","status":"ok","latency_ms":10}}\n',
        encoding="utf-8",
    )
    assert backfill([path], load_settings(), timeout=0.5) == 0


def test_logs_export_otlp_sends_the_log(otlp_env: OtlpReceiver, instrumented: Path, client: Any) -> None:
    """`hilt logs export --otlp FILE` backfills the log (gzipped too) and says how many spans the endpoint accepted."""
    import gzip
    import os
    import subprocess
    import sys

    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    hilt.uninstrument()
    packed = instrumented.with_name("old.jsonl.gz")
    packed.write_bytes(gzip.compress(instrumented.read_bytes()))
    result = subprocess.run(
        [sys.executable, "-m", "hilt.cli", "logs", "export", "--otlp", str(instrumented), str(packed)],
        capture_output=True, text=True, env=dict(os.environ), timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "2 span(s) accepted by the OTLP endpoint\n"), result.stderr
    assert len(otlp_env.wait_for_spans(2)) == 2
    refused = subprocess.run(
        [sys.executable, "-m", "hilt.cli", "logs", "export", "--otlp", "--errors", str(instrumented)],
        capture_output=True, text=True, env=dict(os.environ), timeout=60,
    )
    assert (refused.returncode, refused.stderr) == (2, "hilt: --otlp sends whole logs: filters do not apply\n")
