"""The event → attribute mapping on its own: hosts, parameters, conversation ids, timestamps, orphan replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt.writers.otlp._attributes import event_time_ns, request_attributes, sampling_attributes

from tests.otlp._helpers import joined


def _prompt(**extensions: Any) -> dict[str, Any]:
    server = extensions.pop("server", "api.openai.com")
    endpoint = extensions.pop("endpoint", "chat.completions.create")
    session = extensions.pop("session_id", "conv_01a22a44bca07000af574c36ea9a1b32")
    return {
        "event_id": "p1", "timestamp": "2026-11-30T02:24:37.536715+00:00", "session_id": session, "action": "prompt",
        "provenance": {"endpoint": endpoint, "server": server}, "extensions": {"model": "m", **extensions},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("api.openai.com", {"gen_ai.provider.name": "openai", "server.address": "api.openai.com"}),
        ("my-res.openai.azure.com:443", {"gen_ai.provider.name": "azure.ai.openai", "server.address": "my-res.openai.azure.com", "server.port": 443}),
        ("api.deepseek.com", {"gen_ai.provider.name": "deepseek", "server.address": "api.deepseek.com"}),
        ("notapi.groq.com.example.org", {"gen_ai.provider.name": "openai", "server.address": "notapi.groq.com.example.org"}),
        ("[::1]:8080", {"gen_ai.provider.name": "openai", "server.address": "::1", "server.port": 8080}),
    ],
)
def test_provider_and_server_from_the_host(server: str, expected: dict[str, Any]) -> None:
    """The provider comes from the server's domain (or a subdomain of it); the port only when known."""
    attributes = sampling_attributes(_prompt(server=server))
    assert {k: v for k, v in attributes.items() if k.startswith(("gen_ai.provider", "server."))} == expected


@pytest.mark.parametrize(
    ("endpoint", "operation"),
    [("chat.completions.create", "chat"), ("beta.chat.completions.parse", "chat"), ("responses.retrieve", "chat"),
     ("embeddings.create", "embeddings"), ("completions.create", "text_completion"), ("unknown.thing", "chat")],
)  # fmt: skip
def test_operation_from_the_endpoint(endpoint: str, operation: str) -> None:
    """Every patched SDK method maps to a convention operation name."""
    assert sampling_attributes(_prompt(endpoint=endpoint))["gen_ai.operation.name"] == operation


def test_request_parameters() -> None:
    """A stop string becomes a list, n=1 is left out, max_completion_tokens is max_tokens, json_schema output is json, booleans are not numbers."""
    params = {"stop": "END", "n": 1, "max_completion_tokens": 64, "response_format": {"type": "json_schema"}, "seed": True, "presence_penalty": 0.5}
    attributes = request_attributes(_prompt(params=params), capture_content=False)
    assert {k: v for k, v in attributes.items() if k.startswith("gen_ai.")} == {
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.presence_penalty": 0.5,
        "gen_ai.output.type": "json",
    }


@pytest.mark.parametrize(
    ("session_id", "params", "expected"),
    [
        ("conv_01a22a44bca07000af574c36ea9a1b32", {}, None),  # made up by HILT
        ("support-ticket-42", {}, "support-ticket-42"),  # hilt.conversation(id=...)
        ("conv_689667905b048191b4740501625afd940c7533ace33a2dab", {"conversation": "conv_689667905b048191b4740501625afd940c7533ace33a2dab"}, "conv_689667905b048191b4740501625afd940c7533ace33a2dab"),
        ("conv_01a22a44bca07000af574c36ea9a1b32", {"conversation": {"id": "conv_abc"}}, "conv_abc"),
    ],
)
def test_conversation_id_only_when_supplied(session_id: str, params: dict[str, Any], expected: str | None) -> None:
    """gen_ai.conversation.id is an application's id (hilt.conversation or the Responses conversation), never HILT's own."""
    attributes = request_attributes(_prompt(session_id=session_id, params=params), capture_content=False)
    assert attributes.get("gen_ai.conversation.id") == expected


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [("2026-11-30T02:24:37.536715+00:00", 1796005477536715000), ("2026-11-30T02:24:37.536715Z", 1796005477536715000),
     ("2026-11-30T03:24:37.536715+01:00", 1796005477536715000), ("2026-11-30T02:24:37", None), ("yesterday", None), (None, None)],
)  # fmt: skip
def test_event_time(timestamp: Any, expected: int | None) -> None:
    """Timestamps with an offset (or Z) convert to epoch nanoseconds; naive or unreadable ones give None."""
    assert event_time_ns({"timestamp": timestamp}) == expected


def test_azure_client_span(otlp_env: Any, log_path: Path, server: Any) -> None:
    """An AzureOpenAI client's call ends as a span with gen_ai.provider.name azure.ai.openai."""
    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path))
    root = server.base_url.rsplit("/v1", 1)[0]
    with openai.AzureOpenAI(azure_endpoint=root, api_key="k", api_version="2024-06-01", max_retries=0) as azure:
        try:
            azure.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
        except openai.NotFoundError:
            pass  # the fake may not serve Azure's deployment URL; the call is recorded either way
    hilt.uninstrument()
    [(_, reply, span)] = joined(log_path, otlp_env)
    assert (reply["actor"]["id"], span.attributes["gen_ai.provider.name"]) == ("azure", "azure.ai.openai")
