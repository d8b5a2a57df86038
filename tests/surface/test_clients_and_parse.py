"""Structured outputs (``chat.completions.parse``), the ``.stream()`` helpers, the module-level client, Azure."""

from __future__ import annotations

import openai
import pydantic
import pytest


from tests._surfaces import needs_chat_parse, needs_chat_stream, needs_responses, one_pair, pairs

REPLY = "Hello! How can I help you today?"
MESSAGES = [{"role": "user", "content": "Where?"}]
CITY = {"x-fake-reply": '{"city": "Paris"}'}


class City(pydantic.BaseModel):
    city: str


def _check_parse(log_path, endpoint):
    prompt, completion = one_pair(log_path)
    assert prompt["provenance"]["endpoint"] == endpoint
    assert prompt["extensions"]["params"]["response_format"].endswith(".City")
    assert completion["content"] == {"text": '{"city": "Paris"}', "parsed": {"city": "Paris"}}
    # 1 word + 3; 2 reply words
    assert completion["metrics"]["tokens"] == {"prompt": 4, "completion": 2, "total": 6, "cached": 0, "reasoning": 0}


@needs_chat_parse
def test_chat_parse(instrumented, client):
    result = client.chat.completions.parse(model="gpt-4o-mini", messages=MESSAGES, response_format=City, extra_headers=CITY)
    assert isinstance(result, openai.types.chat.ParsedChatCompletion)
    assert result.choices[0].message.parsed == City(city="Paris")
    _check_parse(instrumented, "chat.completions.parse")


@needs_chat_parse
async def test_chat_parse_async(instrumented, async_client):
    result = await async_client.chat.completions.parse(
        model="gpt-4o-mini", messages=MESSAGES, response_format=City, extra_headers=CITY
    )
    assert result.choices[0].message.parsed == City(city="Paris")
    _check_parse(instrumented, "chat.completions.parse")


def test_beta_chat_parse(instrumented, client):
    beta_chat = getattr(client.beta, "chat", None)
    if beta_chat is None:
        pytest.skip("client.beta.chat was removed from this SDK version")
    beta_chat.completions.parse(model="gpt-4o-mini", messages=MESSAGES, response_format=City, extra_headers=CITY)
    prompt, _ = one_pair(instrumented)
    # in SDKs where beta.chat.completions is the same class as chat.completions the non-beta name is used
    assert prompt["provenance"]["endpoint"] in ("chat.completions.parse", "beta.chat.completions.parse")


@needs_chat_stream
def test_chat_stream_helper_gives_one_pair(instrumented, client):
    with client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES, stream_options={"include_usage": True}) as s:
        for _ in s:
            pass
        final = s.get_final_completion()
    assert final.choices[0].message.content == REPLY
    _, completion = one_pair(instrumented)
    assert completion["content"] == {"text": REPLY}
    assert completion["metrics"]["tokens"]["total"] == 11


@needs_chat_parse
def test_chat_stream_helper_with_response_format(instrumented, client):
    with client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES, response_format=City, extra_headers=CITY) as s:
        final = s.get_final_completion()
    assert final.choices[0].message.parsed == City(city="Paris")
    _, completion = one_pair(instrumented)
    assert completion["content"] == {"text": '{"city": "Paris"}'}


@pytest.fixture
def module_client(server, monkeypatch):
    """The module-level client pointed at the fake server (a trailing slash is required there)."""
    monkeypatch.setattr(openai, "api_key", "test-key")
    monkeypatch.setattr(openai, "base_url", server.base_url + "/")
    monkeypatch.setattr(openai, "max_retries", 0)
    monkeypatch.setattr(openai, "_client", None)
    yield openai
    client = openai._client
    if client is not None:
        client.close()


def test_module_level_client(instrumented, module_client, server):
    server.clear()
    module_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    module_client.embeddings.create(model="text-embedding-3-small", input="x")
    assert [r.path for r in server.requests] == ["/v1/chat/completions", "/v1/embeddings"]
    (p1, c1), (p2, c2) = pairs(instrumented)
    assert p1["provenance"]["endpoint"] == "chat.completions.create"
    assert c1["actor"]["id"] == "openai"
    assert c1["content"] == {"text": REPLY}
    assert p1["provenance"]["server"] == f"127.0.0.1:{server.port}"
    assert c2["metrics"]["tokens"] == {"prompt": 1, "total": 1}


def _azure_root(server) -> str:
    return server.base_url[: -len("/v1")]


def test_azure(instrumented, server):
    server.clear()
    with openai.AzureOpenAI(
        azure_endpoint=_azure_root(server), api_version="2024-10-21", api_key="k", max_retries=0
    ) as client:
        client.chat.completions.create(model="my-deployment", messages=MESSAGES)
    assert server.requests[0].path == "/openai/deployments/my-deployment/chat/completions"
    assert server.requests[0].query == {"api-version": "2024-10-21"}
    prompt, completion = one_pair(instrumented)
    assert completion["actor"] == {"type": "agent", "id": "azure", "name": "my-deployment"}
    assert completion["content"] == {"text": REPLY}
    assert completion["metrics"]["tokens"]["total"] == 11


@needs_responses
async def test_azure_async_responses_and_embeddings(instrumented, server):
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=_azure_root(server), api_version="2025-03-01-preview", api_key="k", max_retries=0
    ) as client:
        await client.responses.create(model="gpt-4o-mini", input="hi")
        await client.embeddings.create(model="text-embedding-3-small", input="a b")
    (_, c1), (_, c2) = pairs(instrumented)
    assert c1["actor"]["id"] == c2["actor"]["id"] == "azure"
    assert c1["metrics"]["tokens"]["total"] == 8
    assert c2["metrics"]["tokens"] == {"prompt": 2, "total": 2}
