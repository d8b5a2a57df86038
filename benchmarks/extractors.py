"""Cost of the OpenAI extractors alone (no HTTP, no writer): request + response capture per call, the
JSON-safe copy with secret redaction, and the stream accumulator per chunk.

SDK objects are built with the SDK's own ``construct_type`` from the bodies a server sends. Medians of
many runs; on a busy machine compare runs made one after the other, not absolute numbers.

Usage: ``python -m benchmarks.extractors [--calls 3000]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from openai._models import construct_type
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from hilt._record import CallRecord
from hilt.providers.openai import EXTRACTORS
from hilt.providers.openai._redact import jsonable

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Tell me something about the sea."},
]
HISTORY = [
    {"role": ("user", "assistant")[i % 2], "content": "hello there, how are you doing today? " * 3} for i in range(20)
]
MCP_TOOL = {"type": "mcp", "server_label": "wiki", "server_url": "https://mcp.example.com/sse", "authorization": "secret",
            "headers": {"Authorization": "Bearer secret"}, "require_approval": "never"}  # fmt: skip
USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
         "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}  # fmt: skip
CHAT = {"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini", "usage": USAGE,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "The sea is big."}}]}  # fmt: skip
EMBEDDINGS = {"object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": 3, "total_tokens": 3},
              "data": [{"object": "embedding", "index": 0, "embedding": [0.1] * 8}]}  # fmt: skip


def median_us(run: Callable[[], Any], calls: int) -> float:
    times = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        run()
        times.append(clock() - start)
    return statistics.median(times) / 1000


def capture(endpoint: str, kwargs: dict[str, Any], response: Any) -> Callable[[], None]:
    extractor = EXTRACTORS[endpoint]

    def run() -> None:
        record = CallRecord(endpoint=endpoint, provider="openai", started_ns=0)
        extractor.capture_request(record, kwargs, True)
        extractor.capture_response(record, response, True)

    return run


def per_chunk_us(rounds: int = 20, words: int = 2000) -> float:
    chunks = [
        construct_type(
            type_=ChatCompletionChunk,
            value={
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": f"w{i} "}}],
            },
        )  # fmt: skip
        for i in range(words)
    ]

    def run() -> None:
        accumulator = EXTRACTORS["chat"].new_accumulator()
        for chunk in chunks:
            accumulator.add(chunk)
        accumulator.apply(CallRecord(endpoint="chat", provider="openai", started_ns=0), True)

    return median_us(run, rounds) / words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    calls = parser.parse_args().calls
    chat = construct_type(type_=ChatCompletion, value=CHAT)
    embeddings = construct_type(type_=CreateEmbeddingResponse, value=EMBEDDINGS)
    rows = {
        "jsonable: 10 messages": lambda: [jsonable(m) for m in HISTORY[:10]],
        "jsonable: MCP tool (redacted)": lambda: jsonable([MCP_TOOL]),
        "chat call, 2 messages": capture(
            "chat", {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0.2}, chat
        ),
        "chat call, 20 messages": capture("chat", {"model": "gpt-4o-mini", "messages": HISTORY}, chat),
        "embeddings call": capture("embeddings", {"model": "text-embedding-3-small", "input": "the sea"}, embeddings),
    }
    for name, run in rows.items():
        print(f"{name:32} {median_us(run, calls):7.2f} µs")
    print(f"{'chat stream, per chunk':32} {per_chunk_us():7.3f} µs")


if __name__ == "__main__":
    main()
