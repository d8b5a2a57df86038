"""``capture_content=False``: no user or model text anywhere in an event, whatever parameter carried it."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt.testing import read_lines

from tests._surfaces import needs_responses

PRIVATE = "PRIVATE"  # every piece of user or model text below contains it
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "PRIVATE tool description",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "PRIVATE field"}}},
    },
}
SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "description": "PRIVATE schema text"}}}
REPLY = {"x-fake-reply": "PRIVATE reply"}


@pytest.fixture
def content_off(log_path: Path) -> Path:
    hilt.instrument(filepath=str(log_path), capture_content=False)
    return log_path


def _events(path: Path) -> list[dict[str, Any]]:
    hilt.uninstrument()
    text = path.read_text(encoding="utf-8")
    assert PRIVATE not in text
    return read_lines(path)


def test_chat_parameters_that_carry_text_are_dropped_or_reduced(content_off: Path, client: openai.OpenAI) -> None:
    """Chat: prediction and metadata are dropped, tools and response_format keep only names, settings stay."""
    accepted = inspect.signature(client.chat.completions.create).parameters
    newer = {  # parameters that older SDKs do not accept
        "prediction": {"type": "content", "content": "PRIVATE predicted answer"},
        "metadata": {"note": "PRIVATE note"},
    }
    newer = {name: value for name, value in newer.items() if name in accepted}
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "PRIVATE system"}, {"role": "user", "content": "PRIVATE question"}],
        tools=[WEATHER_TOOL],
        tool_choice="auto",
        response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}},
        temperature=0.5,
        user="user-42",
        extra_headers={**REPLY, "x-fake-tool-call": "get_weather"},
        **newer,
    )
    prompt, completion = _events(content_off)
    expected = {
        "model": "gpt-4o-mini",
        "tools": [{"type": "function", "name": "get_weather"}],
        "tool_choice": "auto",
        "response_format": {"type": "json_schema", "name": "answer"},
        "temperature": 0.5,
        "user": "user-42",
    }
    assert prompt["extensions"]["params"] == {**expected, **({"content_omitted": list(newer)} if newer else {})}
    assert "content" not in prompt and "content" not in completion
    assert completion["extensions"]["finish_reasons"] == ["tool_calls"]


def test_legacy_completions_suffix_is_dropped(content_off: Path, client: openai.OpenAI) -> None:
    """Legacy completions: the prompt and the suffix stay out; max_tokens stays."""
    client.completions.create(
        model="gpt-3.5-turbo-instruct",
        prompt="PRIVATE prompt",
        suffix="PRIVATE suffix",
        max_tokens=5,
        extra_headers=REPLY,
    )
    prompt, completion = _events(content_off)
    assert prompt["extensions"]["params"] == {
        "model": "gpt-3.5-turbo-instruct",
        "max_tokens": 5,
        "content_omitted": ["suffix"],
    }
    assert "content" not in completion


def test_embeddings_input_is_counted_not_copied(content_off: Path, client: openai.OpenAI) -> None:
    """Embeddings: the input is only counted."""
    client.embeddings.create(model="text-embedding-3-small", input=["PRIVATE one", "PRIVATE two"], dimensions=8)
    prompt, _ = _events(content_off)
    assert prompt["extensions"]["params"] == {"model": "text-embedding-3-small", "dimensions": 8, "input_count": 2}


@needs_responses
def test_responses_parameters_that_carry_text_are_dropped_or_reduced(content_off: Path, client: openai.OpenAI) -> None:
    """Responses: instructions, input, prompt variables, schema text and metadata stay out; names and settings stay."""
    client.responses.create(
        model="gpt-4o-mini",
        instructions="PRIVATE instructions",
        input=[{"role": "user", "content": "PRIVATE question"}],
        prompt={"id": "pmpt_1", "version": "2", "variables": {"city": "PRIVATE variable"}},
        text={"format": {"type": "json_schema", "name": "answer", "schema": SCHEMA}, "verbosity": "low"},
        tools=[{"type": "function", "name": "get_weather", "description": "PRIVATE tool", "parameters": SCHEMA}],
        metadata={"note": "PRIVATE note"},
        reasoning={"effort": "low"},
        extra_headers=REPLY,
    )
    prompt, completion = _events(content_off)
    assert prompt["extensions"]["params"] == {
        "model": "gpt-4o-mini",
        "prompt": {"id": "pmpt_1", "version": "2"},
        "text": {"format": {"type": "json_schema", "name": "answer"}, "verbosity": "low"},
        "tools": [{"type": "function", "name": "get_weather"}],
        "reasoning": {"effort": "low"},
        "content_omitted": ["metadata"],
    }
    assert "content" not in prompt and "content" not in completion


@needs_responses
def test_responses_stream_keeps_no_text(content_off: Path, client: openai.OpenAI) -> None:
    """A streamed Responses answer leaves no text in the completion event."""
    for _ in client.responses.create(model="gpt-4o-mini", input="PRIVATE question", stream=True, extra_headers=REPLY):
        pass
    _, completion = _events(content_off)
    assert "content" not in completion


def test_unknown_parameters_are_dropped_when_content_is_off() -> None:
    """A parameter HILT does not know (a newer SDK) is listed by name, never copied; known settings stay."""
    from hilt._record import CallRecord
    from hilt.providers.openai._params import capture_preamble

    record = CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0)
    kwargs = {"model": "gpt-4o-mini", "messages": [], "brand_new_option": "PRIVATE value", "seed": 7, "stream": True}
    capture_preamble(record, kwargs, frozenset({"messages"}), False)
    assert (record.request_model, record.stream) == ("gpt-4o-mini", True)
    assert record.params == {"model": "gpt-4o-mini", "seed": 7, "stream": True, "content_omitted": ["brand_new_option"]}
