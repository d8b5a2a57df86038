"""Spans exist only for the calls HILT records: none inside ``hilt.suppress()``, none for a conversation out of
the sample (unless its call fails), and the sampled ones carry ``hilt.sample_rate`` (loopback OTLP receiver)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt._sampling import keeps_conversation
from hilt.testing import OtlpReceiver

RATE = 0.5
MESSAGES = [{"role": "user", "content": "hi"}]


def _conversations(kept: bool, count: int) -> list[str]:
    """``count`` conversation ids the sampler keeps (or drops) at :data:`RATE`."""
    found = [f"conv-{n}" for n in range(200) if keeps_conversation(f"conv-{n}", RATE) is kept]
    return found[:count]


def test_suppressed_and_sampled_out_calls_have_no_span(otlp_env: OtlpReceiver, log_path: Path, client: Any) -> None:
    """Of a kept call, a dropped call, a dropped call that fails and a suppressed call, two spans arrive:
    the kept call's and the failed call's, both with hilt.sample_rate: the calls of the JSONL file."""
    (kept,), (dropped, dropped_failing) = _conversations(True, 1), _conversations(False, 2)
    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path), sample_rate=RATE)
    try:
        for conversation in (kept, dropped):
            with hilt.conversation(id=conversation):
                client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        with hilt.conversation(id=dropped_failing), pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "429"})
        with hilt.suppress(), hilt.conversation(id=kept):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    finally:
        hilt.uninstrument()
    spans = otlp_env.wait_for_spans(2)
    events = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    assert [(e["session_id"], e["action"]) for e in events] == [
        (kept, "prompt"), (kept, "completion"), (dropped_failing, "prompt"), (dropped_failing, "system"),
    ]
    assert sorted((s.attributes["hilt.session_id"], s.attributes["hilt.status"], s.attributes["hilt.sample_rate"]) for s in spans) == sorted(
        [(kept, "ok", RATE), (dropped_failing, "error", RATE)]
    )


def test_a_conversation_in_metadata_mode_puts_no_content_on_its_span(
    otlp_env: OtlpReceiver, log_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With message content on spans asked for, a call in hilt.conversation(capture_content="metadata") gets
    no gen_ai.input/output.messages, while the same call outside it does."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path))
    try:
        with hilt.conversation(id="conv-full"):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        with hilt.conversation(id="conv-metadata", capture_content="metadata"):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    finally:
        hilt.uninstrument()
    spans = {s.attributes["hilt.session_id"]: s.attributes for s in otlp_env.wait_for_spans(2)}
    content = ("gen_ai.input.messages", "gen_ai.output.messages")
    assert all(name in spans["conv-full"] for name in content)
    assert not any(name in spans["conv-metadata"] for name in content)
