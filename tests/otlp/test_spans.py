"""Real instrumented calls through the loopback OpenAI server, exported over OTLP/HTTP to a loopback receiver.

Every span is checked attribute by attribute against the SDK's own return values, and the JSONL and OTLP
outputs of the same run are checked to agree on tokens, cost, status and ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt.testing import OtlpReceiver, ReceivedSpan
from hilt.writers.otlp import SEMCONV_VERSION

from tests._surfaces import needs_responses
from tests.otlp._helpers import epoch_ns, joined

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]
SPAN_KIND_CLIENT = 3
STATUS_UNSET, STATUS_ERROR = 0, 2


def _detail(details: Any, name: str) -> Any:
    """A usage detail count: an SDK object, or a plain dict on openai < 1.40 (which has no model for it)."""
    return details.get(name) if isinstance(details, dict) else getattr(details, name)


def _present(key: str, value: Any) -> dict[str, Any]:
    return {} if value is None else {key: value}


def common(span: ReceivedSpan, prompt: dict[str, Any], reply: dict[str, Any], server: Any) -> dict[str, Any]:
    """The attributes every call has, from its two events."""
    return {
        "gen_ai.provider.name": "openai",
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "hilt.session_id": prompt["session_id"],
        "hilt.prompt_event_id": prompt["event_id"],
        "hilt.completion_event_id": reply["event_id"],
        "hilt.endpoint": prompt["provenance"]["endpoint"],
        "hilt.status": reply["extensions"]["status"],
        "http.response.status_code": reply["extensions"]["status_code"],
    }


def test_chat_span_has_every_convention_attribute(exported: Path, otlp_env: OtlpReceiver, client: Any, server: Any) -> None:
    """A chat call is one CLIENT span "chat <model>" with request params, response, usage, cost and HILT ids."""
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.5, max_tokens=20, top_p=0.9, seed=7, stop=["END"])
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    usage = response.usage
    assert (span.name, span.kind, span.status_code, span.parent_span_id) == ("chat gpt-4o-mini", SPAN_KIND_CLIENT, STATUS_UNSET, "")
    assert span.attributes == {
        **common(span, prompt, reply, server),
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 20,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.response.model": response.model,
        "gen_ai.response.id": response.id,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": usage.prompt_tokens,
        "gen_ai.usage.output_tokens": usage.completion_tokens,
        "gen_ai.usage.cache_read.input_tokens": _detail(usage.prompt_tokens_details, "cached_tokens"),
        "gen_ai.usage.reasoning.output_tokens": _detail(usage.completion_tokens_details, "reasoning_tokens"),
        "hilt.cost_usd": reply["metrics"]["cost_usd"],
        "hilt.cost_status": "ok",
        **_present("hilt.request_id", reply["extensions"].get("request_id")),  # openai < 1.27 does not expose it
        "openai.response.service_tier": "default",
        "openai.response.system_fingerprint": "fp_fake",
    }
    assert span.scope == "hilt" and span.schema_url == f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"
    assert span.resource["service.name"] == "hilt-tests" and span.resource["deployment.environment.name"] == "test"


def test_stream_span_has_stream_flag_and_time_to_first_chunk(exported: Path, otlp_env: OtlpReceiver, client: Any, server: Any) -> None:
    """A stream's span says gen_ai.request.stream and carries the JSONL ttft as gen_ai.response.time_to_first_chunk in seconds."""
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["gen_ai.response.time_to_first_chunk"] == reply["metrics"]["ttft_ms"] / 1000
    assert span.attributes["gen_ai.response.id"] == chunks[0].id
    assert span.attributes["gen_ai.usage.output_tokens"] == chunks[-1].usage.completion_tokens
    assert span.attributes["hilt.status"] == "ok" and span.status_code == STATUS_UNSET


@needs_responses
def test_responses_span(exported: Path, otlp_env: OtlpReceiver, client: Any, server: Any) -> None:
    """A Responses call is a "chat <model>" span with the response id, usage and max_output_tokens as max_tokens."""
    response = client.responses.create(model="gpt-4o", input="Say hello", instructions="Be brief.", max_output_tokens=50)
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    assert span.name == "chat gpt-4o"
    assert {k: span.attributes.get(k) for k in ("gen_ai.operation.name", "gen_ai.request.max_tokens", "gen_ai.response.id", "gen_ai.response.model")} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.max_tokens": 50,
        "gen_ai.response.id": response.id,
        "gen_ai.response.model": response.model,
    }
    assert (span.attributes["gen_ai.usage.input_tokens"], span.attributes["gen_ai.usage.output_tokens"]) == (
        response.usage.input_tokens,
        response.usage.output_tokens,
    )
    assert span.attributes["hilt.endpoint"] == "responses.create"


def test_embeddings_span(exported: Path, otlp_env: OtlpReceiver, client: Any, server: Any) -> None:
    """An embeddings call is an "embeddings <model>" span with input tokens, the encoding format and no output tokens."""
    response = client.embeddings.create(model="text-embedding-3-small", input="a b c", encoding_format="float")
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    assert span.name == "embeddings text-embedding-3-small"
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert span.attributes["gen_ai.request.encoding_formats"] == ["float"]
    assert span.attributes["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens
    assert "gen_ai.usage.output_tokens" not in span.attributes


def test_error_span_has_error_type_and_status(exported: Path, otlp_env: OtlpReceiver, client: Any, server: Any) -> None:
    """A 429 ends the span with status ERROR, error.type = the exception class, finish reason "error", no usage or cost."""
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "429"})
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    assert (span.status_code, span.status_message) == (STATUS_ERROR, info.value.message)
    assert span.attributes == {
        **common(span, prompt, reply, server),
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.finish_reasons": ["error"],
        "error.type": "RateLimitError",
        "hilt.request_id": reply["extensions"]["request_id"],
    }
    assert reply["action"] == "system" and span.attributes["hilt.status"] == "error"


def test_stream_closed_early_ends_the_span_incomplete(exported: Path, otlp_env: OtlpReceiver, client: Any, server: Any) -> None:
    """A stream the application closes after two chunks ends its span with hilt.status "incomplete" and no error."""
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    for index, _ in enumerate(stream):
        if index == 1:
            break
    stream.close()
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    assert (span.attributes["hilt.status"], span.status_code) == ("incomplete", STATUS_UNSET)
    assert "error.type" not in span.attributes and "gen_ai.usage.input_tokens" not in span.attributes


async def test_cancelled_async_stream_is_an_error_span(exported: Path, otlp_env: OtlpReceiver, async_client: Any) -> None:
    """An async stream whose task is cancelled ends its span with status ERROR and error.type CancelledError."""
    import asyncio

    started = asyncio.Event()

    async def consume() -> None:
        stream = await async_client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-fake-chunk-delay-ms": "200"}
        )
        async for _ in stream:
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    assert (reply["extensions"]["status"], span.attributes["hilt.status"]) == ("cancelled", "cancelled")
    assert (span.status_code, span.attributes["error.type"]) == (STATUS_ERROR, "CancelledError")


def test_jsonl_and_otlp_agree(exported: Path, otlp_env: OtlpReceiver, client: Any) -> None:
    """For every call of a run, the span and the JSONL pair agree on tokens, cost, status, ids, trace ids and times."""
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
    client.embeddings.create(model="text-embedding-3-small", input="a b")
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "500"})
    hilt.uninstrument()
    calls = joined(exported, otlp_env)
    assert len(calls) == 4
    for prompt, reply, span in calls:
        tokens = reply["metrics"].get("tokens", {})
        assert span.attributes.get("gen_ai.usage.input_tokens") == tokens.get("prompt")
        assert span.attributes.get("gen_ai.usage.output_tokens") == tokens.get("completion")
        assert span.attributes.get("hilt.cost_usd") == reply["metrics"].get("cost_usd")
        assert span.attributes["hilt.status"] == reply["extensions"]["status"]
        assert span.attributes["hilt.session_id"] == prompt["session_id"] == reply["session_id"]
        assert span.attributes["hilt.completion_event_id"] == reply["event_id"]
        for event in (prompt, reply):
            assert (event["extensions"]["trace_id"], event["extensions"]["span_id"]) == (span.trace_id, span.span_id)
        assert span.start_ns == epoch_ns(prompt["timestamp"])
        assert span.end_ns - span.start_ns == reply["extensions"]["latency_ms"] * 1_000_000


def test_conversation_id_only_when_the_application_supplied_one(exported: Path, otlp_env: OtlpReceiver, client: Any) -> None:
    """gen_ai.conversation.id is the hilt.conversation id; a call HILT threads on its own gets only hilt.session_id."""
    with hilt.conversation(id="support-ticket-42"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Another topic"}])
    with hilt.conversation():
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "A third"}])
    hilt.uninstrument()
    spans = [span for _, _, span in joined(exported, otlp_env)]
    assert [span.attributes.get("gen_ai.conversation.id") for span in spans] == ["support-ticket-42", None, None]
    assert spans[1].attributes["hilt.session_id"].startswith("conv_")


def test_content_is_off_by_default(exported: Path, otlp_env: OtlpReceiver, client: Any) -> None:
    """Without OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT no message content goes on the span (the JSONL keeps it)."""
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(exported, otlp_env)
    assert not any(key.startswith(("gen_ai.input", "gen_ai.output.messages", "gen_ai.system")) for key in span.attributes)
    assert prompt["content"]["messages"] == MESSAGES


@pytest.mark.parametrize("hilt_capture", [True, False])
def test_content_on_span_when_asked(otlp_env: OtlpReceiver, log_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch, hilt_capture: bool) -> None:
    """With SPAN_ONLY, messages go on the span in the conventions' JSON shape; never when HILT's content capture is off."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path), capture_content=hilt_capture)
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    hilt.uninstrument()
    [(prompt, reply, span)] = joined(log_path, otlp_env)
    content = {k: v for k, v in span.attributes.items() if k in ("gen_ai.input.messages", "gen_ai.output.messages")}
    if not hilt_capture:
        assert content == {}
        return
    answer = response.choices[0].message.content
    assert content == {
        "gen_ai.input.messages": '[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},'
        '{"role":"user","parts":[{"type":"text","content":"Say hello"}]}]',
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":"' + answer + '"}],"finish_reason":"stop"}]',
    }


@needs_responses
def test_responses_items_and_instructions_as_content(otlp_env: OtlpReceiver, log_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With SPAN_ONLY, Responses input items become input messages (a tool result as tool_call_response) and instructions the system instructions."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "span_only")
    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path))
    items = [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
        {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": '{"city": "Paris"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "18 C"},
    ]
    client.responses.create(model="gpt-4o", input=items, instructions="Be brief.")
    client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    hilt.uninstrument()
    (_, _, responses), (_, _, embeddings) = joined(log_path, otlp_env)
    assert responses.attributes["gen_ai.input.messages"] == (
        '[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]},'
        '{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"weather","arguments":"{\\"city\\": \\"Paris\\"}"}]},'
        '{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"18 C"}]}]'
    )
    assert responses.attributes["gen_ai.system_instructions"] == '[{"type":"text","content":"Be brief."}]'
    assert not any(key.startswith("gen_ai.input") for key in embeddings.attributes)
