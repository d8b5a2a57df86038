"""``with_raw_response`` and ``with_streaming_response`` on every covered method, sync and async.

The application gets the SDK's own raw object (headers, http_response, parse(), iter_lines() work);
HILT never reads a ``with_streaming_response`` body itself, yet records usage when the app parses it.
"""

from __future__ import annotations

from typing import Any

import openai
import pydantic
import pytest
from openai._legacy_response import LegacyAPIResponse
from openai._response import APIResponse, AsyncAPIResponse


from tests._surfaces import HAS_BETA_RESPONSES, HAS_CHAT_PARSE, HAS_RESPONSES, HAS_RESPONSES_PARSE, one_pair, skip_unless_raw


class City(pydantic.BaseModel):
    city: str


CITY = {"x-fake-reply": '{"city": "Paris"}'}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}
RESP = {"model": "gpt-4o-mini", "input": "Say hello"}
USAGE = {"stream_options": {"include_usage": True}}


def _skip(condition: bool, reason: str) -> Any:
    return pytest.mark.skipif(not condition, reason=reason)


# name -> (resource path, method, kwargs, streamable, stream kwargs, total tokens)
METHODS = {
    "chat.completions.create": ("chat.completions", "create", CHAT, True, USAGE, 12),
    "chat.completions.parse": ("chat.completions", "parse", {**CHAT, "response_format": City, "extra_headers": CITY}, False, {}, 7),
    "responses.create": ("responses", "create", RESP, True, {}, 9),
    "responses.parse": ("responses", "parse", {**RESP, "text_format": City, "extra_headers": CITY}, False, {}, 4),
    "beta.responses.create": ("beta.responses", "create", RESP, True, {}, 9),
    "embeddings.create": ("embeddings", "create", {"model": "text-embedding-3-small", "input": "a b c"}, False, {}, 3),
    "completions.create": ("completions", "create", {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hello"}, True, USAGE, 9),
}  # fmt: skip
AVAILABLE = {
    "chat.completions.parse": (HAS_CHAT_PARSE, "chat.completions.parse (non-beta) arrived in openai ~1.92"),
    "responses.create": (HAS_RESPONSES, "client.responses arrived in openai 1.66"),
    "responses.parse": (HAS_RESPONSES_PARSE, "responses.parse arrived after 1.66"),
    "beta.responses.create": (HAS_BETA_RESPONSES, "client.beta.responses is a separate class only in openai 3.x"),
}
CASES = [
    pytest.param(name, stream, marks=_skip(*AVAILABLE.get(name, (True, ""))), id=f"{name}{'-stream' if stream else ''}")
    for name, spec in METHODS.items()
    for stream in ((False, True) if spec[3] else (False,))
]
# The SDK offers no responses.with_streaming_response.parse (ResponsesWithStreamingResponse lacks it).
STREAMING_CASES = [case for case in CASES if case.values[0] != "responses.parse"]


def _resource(client: Any, path: str, method: str = "", kind: str = "") -> Any:
    for part in path.split("."):
        client = getattr(client, part)
    if kind:
        skip_unless_raw(client, method, kind)
    return client


def _call_args(name: str, stream: bool) -> tuple[Any, str, dict[str, Any], int]:
    path, method, kwargs, _, stream_kwargs, total = METHODS[name]
    return path, method, ({**kwargs, "stream": True, **stream_kwargs} if stream else dict(kwargs)), total


def _check_recorded(log_path: Any, name: str, raw_kind: str, total: int) -> None:
    prompt, completion = one_pair(log_path)
    assert prompt["provenance"]["endpoint"] == name
    assert completion["action"] == "completion"
    assert completion["extensions"]["raw_response"] == raw_kind
    assert completion["extensions"]["status"] == "ok"
    assert completion["metrics"]["tokens"]["total"] == total


def _consume(parsed: Any) -> None:
    if isinstance(parsed, openai.Stream):
        for _ in parsed:
            pass


async def _aconsume(parsed: Any) -> None:
    if isinstance(parsed, openai.AsyncStream):
        async for _ in parsed:
            pass


@pytest.mark.parametrize(("name", "stream"), CASES)
def test_with_raw_response(instrumented, client, name, stream):
    path, method, kwargs, total = _call_args(name, stream)
    raw = getattr(_resource(client, path, method, "with_raw_response").with_raw_response, method)(**kwargs)
    assert type(raw) is LegacyAPIResponse
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.http_response.status_code == 200
    parsed = raw.parse()
    assert raw.parse() is parsed
    _consume(parsed)
    _check_recorded(instrumented, name, "raw", total)


@pytest.mark.parametrize(("name", "stream"), CASES)
async def test_with_raw_response_async(instrumented, async_client, name, stream):
    path, method, kwargs, total = _call_args(name, stream)
    raw = await getattr(_resource(async_client, path, method, "with_raw_response").with_raw_response, method)(**kwargs)
    assert type(raw) is LegacyAPIResponse
    assert raw.headers["x-request-id"].startswith("req_")
    await _aconsume(raw.parse())
    _check_recorded(instrumented, name, "raw", total)


@pytest.mark.parametrize(("name", "stream"), STREAMING_CASES)
def test_with_streaming_response_parsed(instrumented, client, name, stream):
    path, method, kwargs, total = _call_args(name, stream)
    with getattr(_resource(client, path, method, "with_streaming_response").with_streaming_response, method)(**kwargs) as response:
        assert type(response) is APIResponse
        assert response.headers["x-request-id"].startswith("req_")
        assert not response.http_response.is_closed
        assert len(instrumented.read_text().splitlines()) == 1  # only the prompt so far
        _consume(response.parse())
    _check_recorded(instrumented, name, "streaming", total)


@pytest.mark.parametrize(("name", "stream"), STREAMING_CASES)
async def test_with_streaming_response_parsed_async(instrumented, async_client, name, stream):
    path, method, kwargs, total = _call_args(name, stream)
    async with getattr(_resource(async_client, path, method, "with_streaming_response").with_streaming_response, method)(**kwargs) as response:
        assert type(response) is AsyncAPIResponse
        await _aconsume(await response.parse())
    _check_recorded(instrumented, name, "streaming", total)


@pytest.mark.parametrize(("name", "stream"), STREAMING_CASES)
def test_with_streaming_response_read_by_lines(instrumented, client, name, stream):
    """The body read by the application line by line: recorded when the response closes, without usage."""
    path, method, kwargs, _ = _call_args(name, stream)
    with getattr(_resource(client, path, method, "with_streaming_response").with_streaming_response, method)(**kwargs) as response:
        lines = list(response.iter_lines())
    assert lines and all(isinstance(line, str) for line in lines)
    _, completion = one_pair(instrumented)
    assert completion["extensions"]["raw_response"] == "streaming"
    assert completion["extensions"]["body_not_parsed"] is True
    assert "tokens" not in completion["metrics"]


async def test_with_streaming_response_read_by_lines_async(instrumented, async_client):
    async with async_client.chat.completions.with_streaming_response.create(**CHAT) as response:
        lines = [line async for line in response.iter_lines()]
    assert lines
    _, completion = one_pair(instrumented)
    assert completion["extensions"]["body_not_parsed"] is True


def test_with_streaming_response_error(instrumented, client):
    with pytest.raises(openai.NotFoundError):
        with client.chat.completions.with_streaming_response.create(**CHAT, extra_headers={"x-fake-status": "404"}):
            pass
    _, reply = one_pair(instrumented)
    assert reply["action"] == "system"
    assert reply["extensions"]["status_code"] == 404
