"""Coexistence with ``opentelemetry-instrumentation-openai-v2`` (another wrapt-based instrumentor).

In both orders (OTel below HILT, OTel above HILT) every call gives exactly one HILT pair with the right
usage, the application gets the same values, and OTel still records one span per call it covers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import openai
import pytest

import hilt

from tests._surfaces import HAS_CHAT_STREAM, HAS_RESPONSES, pairs

otel_openai = pytest.importorskip("opentelemetry.instrumentation.openai_v2", reason="needs opentelemetry-instrumentation-openai-v2")
pytest.importorskip("opentelemetry.sdk", reason="needs opentelemetry-sdk")
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

REPLY = "Hello! How can I help you today?"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}
CHAT_TOKENS = {"prompt": 5, "completion": 7, "total": 12, "cached": 0, "reasoning": 0}
COUNTS = ("prompt", "completion", "total")  # details (cached, reasoning) are absent with OTel on openai < 1.40


def _counts(tokens: dict[str, int]) -> dict[str, int]:
    return {k: tokens[k] for k in COUNTS}


@pytest.fixture(params=["otel-first", "hilt-first"])
def both(request, log_path) -> Iterator[InMemorySpanExporter]:
    """OTel and HILT both instrumenting, in the order of the parameter; undone in reverse order."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = otel_openai.OpenAIInstrumentor()
    if request.param == "otel-first":
        instrumentor.instrument(tracer_provider=provider)
        hilt.instrument(filepath=str(log_path))
    else:
        hilt.instrument(filepath=str(log_path))
        instrumentor.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        if request.param == "otel-first":
            hilt.uninstrument()
            instrumentor.uninstrument()
        else:
            instrumentor.uninstrument()
            hilt.uninstrument()
        provider.shutdown()


def _sync_calls(client: Any) -> list[Any]:
    seen = [client.chat.completions.create(**CHAT).choices[0].message.content]
    stream = client.chat.completions.create(**CHAT, stream=True, stream_options={"include_usage": True})
    seen.append("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
    helper_resource = client.chat.completions if HAS_CHAT_STREAM else getattr(client.beta, "chat", None)
    if helper_resource is None:  # openai < 1.40 has no .stream() helper: make the same call plainly
        seen.append(client.chat.completions.create(**CHAT).choices[0].message.content)
    else:
        with (helper_resource if HAS_CHAT_STREAM else helper_resource.completions).stream(**CHAT) as helper:
            seen.append(helper.get_final_completion().choices[0].message.content)
    raw = client.chat.completions.with_raw_response.create(**CHAT)
    seen.append((raw.headers["content-type"], raw.parse().choices[0].message.content))
    seen.append(len(client.embeddings.create(model="text-embedding-3-small", input="a b").data))
    return seen


async def _async_calls(client: Any) -> list[Any]:
    seen = [(await client.chat.completions.create(**CHAT)).choices[0].message.content]
    stream = await client.chat.completions.create(**CHAT, stream=True, stream_options={"include_usage": True})
    seen.append("".join([c.choices[0].delta.content or "" async for c in stream if c.choices]))
    seen.append(len((await client.embeddings.create(model="text-embedding-3-small", input="a b")).data))
    return seen


def test_sync_calls(both, log_path, client):
    seen = _sync_calls(client)
    assert seen == [REPLY, REPLY, REPLY, ("application/json", REPLY), 1]
    found = pairs(log_path)
    assert [p["provenance"]["endpoint"] for p, _ in found] == ["chat.completions.create"] * 4 + ["embeddings.create"]
    assert [_counts(c["metrics"]["tokens"]) for _, c in found[:2]] == [_counts(CHAT_TOKENS)] * 2
    assert [c["content"]["text"] for _, c in found[:4]] == [REPLY] * 4
    assert found[4][1]["metrics"]["tokens"] == {"prompt": 2, "total": 2}
    spans = both.get_finished_spans()
    assert len(spans) == 5
    helper_usage = None if HAS_CHAT_STREAM or hasattr(client.beta, "chat") else 5  # a plain call without the helper
    assert [s.attributes.get("gen_ai.usage.input_tokens") for s in spans] == [5, 5, helper_usage, 5, 2]


def test_async_calls(both, log_path, server):
    async def main() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
            return await _async_calls(client)

    assert asyncio.run(main()) == [REPLY, REPLY, 1]
    found = pairs(log_path)
    assert len(found) == 3
    assert _counts(found[1][1]["metrics"]["tokens"]) == _counts(CHAT_TOKENS)
    assert len(both.get_finished_spans()) == 3


@pytest.mark.skipif(not HAS_RESPONSES, reason="client.responses arrived in openai 1.66")
def test_method_otel_does_not_cover(both, log_path, client):
    client.responses.create(model="gpt-4o-mini", input="hi")
    assert len(pairs(log_path)) == 1


def test_errors_reach_both(both, log_path, client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(**CHAT, extra_headers={"x-fake-status": "400"})
    (_, reply), = pairs(log_path)
    assert reply["action"] == "system"
    (span,) = both.get_finished_spans()
    assert "BadRequestError" in span.attributes.get("error.type")
