"""An application run by ``tests/parity/test_ddtrace_coexistence.py`` in a fresh interpreter (ddtrace patches
globally and starts threads, so it never enters the test process).

Usage: python _ddtrace_app.py MODE BASE_URL LOG_FILE, MODE one of ``plain``, ``hilt``, ``ddtrace``,
``ddtrace-first`` (``ddtrace.patch(openai=True)``, then ``hilt.instrument()``), ``hilt-first``.

It makes a fixed series of calls through the real SDK and prints one JSON object: what the application saw
(types and values) and the ddtrace spans, which a trace filter keeps in memory and drops, so the tracer
sends nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

MODE, BASE_URL, LOG_FILE = sys.argv[1:4]
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}
USAGE = {"stream_options": {"include_usage": True}}
SPANS: list[list[Any]] = []


def start_ddtrace() -> None:
    import ddtrace
    from ddtrace.trace import TraceFilter, tracer

    class KeepInMemory(TraceFilter):
        def process_trace(self, trace: list[Any]) -> None:
            SPANS.extend([span.name, span.resource, span.error] for span in trace)
            return None  # nothing for the writer to send

    tracer.configure(trace_processors=[KeepInMemory()])
    ddtrace.patch(openai=True)


def start_hilt() -> None:
    import hilt
    from hilt.pricing import wait_for_prices

    hilt.instrument(filepath=LOG_FILE)
    wait_for_prices(timeout=60)  # every run prices its calls alike (no "prices_loading")


def kind(obj: Any) -> str:
    import openai

    streams = (openai.Stream, openai.AsyncStream)
    return f"{type(obj).__module__}.{type(obj).__qualname__} stream={isinstance(obj, streams)}"


def chunks_seen(chunks: list[Any]) -> list[Any]:
    """Per chunk: its type, its text and whether it carries usage (the usage chunk has no choices)."""
    return [
        [type(c).__name__, (c.choices[0].delta.content or "") if c.choices else None, c.usage is not None]
        for c in chunks
    ]


def sync_calls(client: Any) -> list[Any]:
    import openai

    seen: list[Any] = []
    reply = client.chat.completions.create(**CHAT)
    seen.append(["chat", kind(reply), reply.choices[0].message.content, reply.usage.total_tokens])
    stream = client.chat.completions.create(**CHAT, stream=True, **USAGE)
    seen.append(["stream with usage", kind(stream), chunks_seen(list(stream))])
    stream = client.chat.completions.create(**CHAT, stream=True)
    seen.append(["stream without usage", kind(stream), chunks_seen(list(stream))])
    stream = client.chat.completions.create(**CHAT, stream=True, **USAGE)
    first = next(iter(stream))
    stream.close()
    seen.append(["stream closed early", kind(stream), chunks_seen([first])])
    with client.chat.completions.create(**CHAT, stream=True, **USAGE) as stream:
        seen.append(["stream as context manager", kind(stream), chunks_seen(list(stream))])
    raw = client.chat.completions.with_raw_response.create(**CHAT)
    seen.append(["raw", kind(raw), raw.headers["content-type"], raw.parse().choices[0].message.content])
    embedding = client.embeddings.create(model="text-embedding-3-small", input="a b")
    seen.append(["embeddings", kind(embedding), len(embedding.data), embedding.usage.total_tokens])
    try:
        client.chat.completions.create(**CHAT, extra_headers={"x-fake-status": "429"})
    except openai.APIError as exc:
        seen.append(["error", kind(exc), exc.status_code])
    return seen


async def async_calls() -> list[Any]:
    import openai

    seen: list[Any] = []
    async with openai.AsyncOpenAI(base_url=BASE_URL, api_key="test-key", max_retries=0) as client:
        reply = await client.chat.completions.create(**CHAT)
        seen.append(["async chat", kind(reply), reply.choices[0].message.content])
        stream = await client.chat.completions.create(**CHAT, stream=True, **USAGE)
        seen.append(["async stream with usage", kind(stream), chunks_seen([c async for c in stream])])
    return seen


def main() -> None:
    if MODE in ("ddtrace", "ddtrace-first"):
        start_ddtrace()
    if MODE in ("hilt", "ddtrace-first", "hilt-first"):
        start_hilt()
    if MODE == "hilt-first":
        start_ddtrace()
    import openai

    with openai.OpenAI(base_url=BASE_URL, api_key="test-key", max_retries=0) as client:
        seen = sync_calls(client)
    seen += asyncio.run(async_calls())
    if MODE not in ("plain", "hilt"):
        from ddtrace.trace import tracer

        tracer.flush()
    print(json.dumps({"seen": seen, "spans": SPANS}))


main()
