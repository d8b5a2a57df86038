"""Calls made on the SDK client itself (``client.post``, as litellm does) are recorded once, transparently.

These tests need only the ``openai`` SDK: they run in the default suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

import hilt
from hilt.testing import FakeOpenAIServer

RAW = {"X-Stainless-Raw-Response": "true"}  # what litellm adds: the SDK returns a LegacyAPIResponse
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Tell me about the sea"}]}
PROMPT_TOKENS = 5 + 3  # the server's rule: words of the text + 3 per message


def _events(log: Path) -> list[dict[str, Any]]:
    hilt.uninstrument()
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def _pairs(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["action"], e["provenance"]["endpoint"]) for e in events]


def test_post_chat_is_recorded_once(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """``client.post('/chat/completions')`` gives one pair with the server's tokens and returns the SDK's own object."""
    server.clear()
    result = client.post("/chat/completions", body=BODY, cast_to=ChatCompletion)
    assert type(result) is ChatCompletion and result.choices[0].message.content == server.reply
    events = _events(instrumented)
    assert _pairs(events) == [("prompt", "client.post /chat/completions"), ("completion", "client.post /chat/completions")]
    assert events[1]["metrics"]["tokens"] == {"prompt": PROMPT_TOKENS, "completion": 7, "total": PROMPT_TOKENS + 7, "cached": 0, "reasoning": 0}
    assert events[0]["content"]["text"] == "Tell me about the sea" and events[1]["content"]["text"] == server.reply
    assert len(server.requests) == 1


def test_post_stream_is_observed_in_place(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """A streamed ``client.post`` returns the SDK's ``Stream``; the text read by the application is logged when it ends."""
    body = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
    stream = client.post("/chat/completions", body=body, cast_to=ChatCompletion, stream=True, stream_cls=openai.Stream[ChatCompletionChunk])
    assert type(stream) is openai.Stream
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    events = _events(instrumented)
    assert text == server.reply == events[1]["content"]["text"]
    assert events[1]["extensions"]["status"] == "ok" and events[1]["metrics"]["tokens"]["total"] == PROMPT_TOKENS + 7
    assert events[0]["extensions"]["stream"] is True


def test_litellm_style_raw_stream(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """litellm's call (raw-response header, ``stream_cls``): the raw response comes back untouched and its stream is logged."""
    body = {**BODY, "stream": True}
    raw = client.post(
        "/chat/completions", body=body, options={"headers": RAW}, cast_to=ChatCompletion,
        stream=True, stream_cls=openai.Stream[ChatCompletionChunk],
    )
    assert type(raw).__name__ == "LegacyAPIResponse"
    stream = raw.parse()
    assert raw.parse() is stream
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream) == server.reply
    events = _events(instrumented)
    assert events[1]["content"]["text"] == server.reply and "tokens" not in events[1]["metrics"]
    assert events[1]["extensions"]["raw_response"] == "raw"


async def test_async_post_and_stream(server: FakeOpenAIServer, async_client: Any, instrumented: Path) -> None:
    """The async client's ``post``, plain and streamed, gives one pair each."""
    server.clear()
    result = await async_client.post("/chat/completions", body=BODY, cast_to=ChatCompletion)
    stream = await async_client.post(
        "/chat/completions", body={**BODY, "stream": True}, cast_to=ChatCompletion,
        stream=True, stream_cls=openai.AsyncStream[ChatCompletionChunk],
    )
    assert type(stream) is openai.AsyncStream
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream])
    events = _events(instrumented)
    assert result.choices[0].message.content == text == server.reply
    assert [e["action"] for e in events] == ["prompt", "completion", "prompt", "completion"]
    assert events[1]["metrics"]["tokens"]["total"] == PROMPT_TOKENS + 7 and events[3]["content"]["text"] == server.reply
    assert len(server.requests) == 2


def test_post_embeddings(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """``client.post('/embeddings')`` (litellm's embedding path) is recorded with the server's token count."""
    raw = client.post("/embeddings", body={"model": "text-embedding-3-small", "input": ["two words"]}, options={"headers": RAW}, cast_to=CreateEmbeddingResponse)
    assert raw.parse().data[0].embedding == pytest.approx(server.embedding_for("two words"))
    events = _events(instrumented)
    assert _pairs(events)[1] == ("completion", "client.post /embeddings")
    assert events[1]["metrics"]["tokens"] == {"prompt": 2, "total": 2}


def test_resource_call_is_recorded_once(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """``chat.completions.create`` also ends in ``client.request``: still exactly one pair, named after the resource method."""
    client.chat.completions.create(**BODY)
    client.embeddings.create(model="text-embedding-3-small", input="the sea")
    assert _pairs(_events(instrumented)) == [
        ("prompt", "chat.completions.create"), ("completion", "chat.completions.create"),
        ("prompt", "embeddings.create"), ("completion", "embeddings.create"),
    ]


def test_raw_response_bound_before_instrument(server: FakeOpenAIServer, client: Any, log_path: Path) -> None:
    """``with_raw_response`` first touched before ``instrument()`` holds the unpatched ``create``: the call is still logged, once."""
    early = client.chat.completions.with_raw_response
    hilt.instrument(backend="local", filepath=str(log_path))
    early.create(**BODY).parse()
    assert _pairs(_events(log_path)) == [("prompt", "client.post /chat/completions"), ("completion", "client.post /chat/completions")]


def test_error_is_the_sdks_own(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """A failing ``client.post`` raises the SDK's exception object and is logged once as an error."""
    with pytest.raises(openai.RateLimitError) as caught:
        client.post("/chat/completions", body=BODY, options={"headers": {"x-fake-status": "429"}}, cast_to=ChatCompletion)
    events = _events(instrumented)
    assert [e["action"] for e in events] == ["prompt", "system"]
    assert events[1]["extensions"]["status_code"] == 429 and events[1]["extensions"]["error_type"] == "RateLimitError"
    assert caught.value.status_code == 429


def test_other_paths_pass_through(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """Requests to paths HILT does not cover (and GETs) are not recorded."""
    with pytest.raises(openai.NotFoundError):
        client.post("/chat/completions/chatcmpl-1", body={"metadata": {}}, cast_to=ChatCompletion)
    with pytest.raises(openai.NotFoundError):
        client.get("/models/gpt-4o-mini", cast_to=ChatCompletion)
    assert _events(instrumented) == []


def test_request_body_unchanged(server: FakeOpenAIServer, client: Any, log_path: Path) -> None:
    """The bytes the server receives from ``client.post`` are the same with and without HILT."""
    server.clear()
    client.post("/chat/completions", body={**BODY, "temperature": 0.5}, cast_to=ChatCompletion)
    hilt.instrument(backend="local", filepath=str(log_path))
    client.post("/chat/completions", body={**BODY, "temperature": 0.5}, cast_to=ChatCompletion)
    first, second = server.requests
    assert first.body == second.body
    assert len(_events(log_path)) == 2


def test_uninstrument_restores_request(log_path: Path) -> None:
    """``uninstrument()`` puts the SDK's own ``request`` functions back."""
    from openai._base_client import AsyncAPIClient, SyncAPIClient

    originals = SyncAPIClient.__dict__["request"], AsyncAPIClient.__dict__["request"]
    hilt.instrument(backend="local", filepath=str(log_path))
    assert SyncAPIClient.__dict__["request"] is not originals[0]
    hilt.uninstrument()
    assert (SyncAPIClient.__dict__["request"], AsyncAPIClient.__dict__["request"]) == originals
