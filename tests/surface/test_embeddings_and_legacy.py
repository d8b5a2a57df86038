"""Embeddings (tokens, input text, never the vectors) and legacy Completions (plain and streamed)."""

from __future__ import annotations

import pytest


from tests._surfaces import one_pair, pairs

REPLY = "Hello! How can I help you today?"
EMBED_MODEL = "text-embedding-3-small"


@pytest.mark.parametrize("encoding_format", [None, "float", "base64"])
def test_embeddings(instrumented, client, encoding_format):
    extra = {"encoding_format": encoding_format} if encoding_format else {}
    result = client.embeddings.create(model=EMBED_MODEL, input="the quick brown fox", **extra)
    prompt, completion = one_pair(instrumented)
    assert prompt["provenance"]["endpoint"] == "embeddings.create"
    assert prompt["content"] == {"text": "the quick brown fox"}
    assert prompt["extensions"]["params"] == {"model": EMBED_MODEL, **extra}
    assert completion["action"] == "completion"
    assert "content" not in completion
    assert completion["metrics"]["tokens"] == {"prompt": 4, "total": 4}
    assert completion["metrics"]["cost_usd"] == pytest.approx(4 * 0.02 / 1e6)  # input price only
    assert completion["extensions"]["embeddings"] == 1
    if encoding_format != "base64":  # the SDK hands base64 back as given when the user asked for it
        assert completion["extensions"]["dimensions"] == 8
        assert isinstance(result.data[0].embedding, list)
    raw_log = instrumented.read_text()
    assert '"embedding"' not in raw_log
    vector = result.data[0].embedding
    assert (repr(vector[0]) not in raw_log) if isinstance(vector, list) else (vector not in raw_log)


async def test_embeddings_batch_async(instrumented, async_client):
    await async_client.embeddings.create(model=EMBED_MODEL, input=["one two", "three"])
    prompt, completion = one_pair(instrumented)
    assert prompt["content"] == {"input": ["one two", "three"]}
    assert prompt["extensions"]["params"] == {"model": EMBED_MODEL, "input_count": 2}
    assert completion["metrics"]["tokens"] == {"prompt": 3, "total": 3}
    assert completion["extensions"]["embeddings"] == 2


def test_embeddings_token_ids(instrumented, client):
    client.embeddings.create(model=EMBED_MODEL, input=[1, 2, 3])
    prompt, completion = one_pair(instrumented)
    assert "content" not in prompt
    assert prompt["extensions"]["params"] == {"model": EMBED_MODEL, "input_count": 1, "input_kind": "token_ids"}
    assert completion["metrics"]["tokens"] == {"prompt": 3, "total": 3}


LEGACY = {"model": "gpt-3.5-turbo-instruct", "prompt": "Once upon a time"}
LEGACY_TOKENS = {"prompt": 4, "completion": 7, "total": 11, "cached": 0, "reasoning": 0}


def test_legacy_completion(instrumented, client):
    result = client.completions.create(**LEGACY, max_tokens=20)
    prompt, completion = one_pair(instrumented)
    assert prompt["provenance"]["endpoint"] == "completions.create"
    assert prompt["content"] == {"text": "Once upon a time"}
    assert prompt["extensions"]["params"] == {"model": "gpt-3.5-turbo-instruct", "max_tokens": 20}
    assert completion["content"] == {"text": REPLY}
    assert completion["metrics"]["tokens"] == LEGACY_TOKENS
    assert completion["extensions"]["response_id"] == result.id
    assert completion["extensions"]["finish_reasons"] == ["stop"]


async def test_legacy_completion_async_two_choices(instrumented, async_client):
    await async_client.completions.create(**LEGACY, n=2)
    _, completion = one_pair(instrumented)
    assert completion["content"] == {
        "text": REPLY,
        "choices": [
            {"index": 0, "text": REPLY, "finish_reason": "stop"},
            {"index": 1, "text": REPLY, "finish_reason": "stop"},
        ],
    }
    assert completion["metrics"]["tokens"]["completion"] == 14


def test_legacy_stream_with_usage(instrumented, client):
    chunks = list(client.completions.create(**LEGACY, stream=True, stream_options={"include_usage": True}))
    _, completion = one_pair(instrumented)
    assert completion["content"] == {"text": REPLY}
    assert completion["metrics"]["tokens"] == LEGACY_TOKENS
    assert completion["extensions"]["response_id"] == chunks[0].id
    assert completion["metrics"]["ttft_ms"] > 0


async def test_legacy_stream_without_usage_async(instrumented, async_client):
    stream = await async_client.completions.create(**LEGACY, stream=True)
    text = "".join([chunk.choices[0].text async for chunk in stream])
    assert text == REPLY
    _, completion = one_pair(instrumented)
    assert completion["content"] == {"text": REPLY}
    assert "tokens" not in completion["metrics"]
    assert completion["extensions"]["cost_status"] == "no_usage"


def test_legacy_stream_closed_early(instrumented, client):
    stream = client.completions.create(**LEGACY, stream=True)
    next(iter(stream))
    stream.close()
    _, completion = one_pair(instrumented)
    assert completion["extensions"]["status"] == "incomplete"
    assert completion["content"] == {"text": "Hello!"}


def test_calls_do_not_merge(instrumented, client):
    client.embeddings.create(model=EMBED_MODEL, input="a")
    client.completions.create(**LEGACY)
    assert [p["provenance"]["endpoint"] for p, _ in pairs(instrumented)] == ["embeddings.create", "completions.create"]
