"""``stream_usage = true``: streamed chat calls get usage, and the application sees the stream it would have seen.

These tests need only the ``openai`` SDK: they run in the default suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt._config import load_settings
from hilt.testing import FakeOpenAIServer

from tests._surfaces import needs_chat_stream

ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Tell me about the sea"}]}
TOKENS = {"prompt": 5 + 3, "completion": 7, "total": 15}  # the server's rule for ASK and its default reply


def _seen(chunks: list[Any]) -> list[dict[str, Any]]:
    """What the application gets from each chunk, less the id and time the server makes anew for each request."""
    return [{k: v for k, v in c.to_dict().items() if k not in _NEW} | {"dump": c.model_dump(exclude=_NEW)} for c in chunks]


_NEW = {"id", "created"}


def _events(log: Path) -> list[dict[str, Any]]:
    hilt.uninstrument()
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def with_stream_usage(log_path: Path) -> Iterator[Path]:
    hilt.instrument(backend="local", filepath=str(log_path), stream_usage=True)
    yield log_path
    hilt.uninstrument()


def _plain_then_instrumented(server: FakeOpenAIServer, log_path: Path, run: Any, **settings: Any) -> tuple[Any, Any]:
    server.clear()
    plain = run()
    hilt.instrument(backend="local", filepath=str(log_path), **settings)
    return plain, run()


def test_chunks_unchanged_and_tokens_logged(server: FakeOpenAIServer, client: Any, log_path: Path) -> None:
    """The caller iterates the same chunks with and without the option, while the log has the server's tokens."""
    plain, instrumented = _plain_then_instrumented(
        server, log_path, lambda: list(client.chat.completions.create(**ASK, stream=True)), stream_usage=True
    )
    assert _seen(instrumented) == _seen(plain)
    assert all(chunk.choices and chunk.usage is None for chunk in instrumented)
    events = _events(log_path)
    assert events[1]["metrics"]["tokens"] == {**TOKENS, "cached": 0, "reasoning": 0}
    assert events[1]["content"]["text"] == server.reply
    sent = [r.json() for r in server.requests]
    assert "stream_options" not in sent[0] and sent[1]["stream_options"] == {"include_usage": True}
    assert events[0]["extensions"]["params"].get("stream_options") is None  # the log shows what the application asked


def test_off_by_default(server: FakeOpenAIServer, client: Any, instrumented: Path) -> None:
    """Without the setting the request is unchanged and a stream without usage has no tokens."""
    server.clear()
    list(client.chat.completions.create(**ASK, stream=True))
    assert "stream_options" not in server.requests[0].json()
    assert "tokens" not in _events(instrumented)[1]["metrics"]


def test_callers_own_include_usage_is_untouched(server: FakeOpenAIServer, client: Any, log_path: Path) -> None:
    """A caller that asks for usage itself sends the same bytes and still gets its usage chunk."""
    ask = {**ASK, "stream_options": {"include_usage": True}}
    plain, instrumented = _plain_then_instrumented(
        server, log_path, lambda: list(client.chat.completions.create(**ask, stream=True)), stream_usage=True
    )
    assert server.requests[0].body == server.requests[1].body
    assert _seen(instrumented) == _seen(plain) and instrumented[-1].choices == [] and instrumented[-1].usage.total_tokens == 15


@pytest.mark.parametrize("stream_options", [{"include_usage": False}, {"include_obfuscation": False}])
def test_other_stream_options(server: FakeOpenAIServer, client: Any, with_stream_usage: Path, stream_options: dict) -> None:
    """``include_usage: false`` is respected; other stream options are kept beside the added ``include_usage``."""
    server.clear()
    chunks = list(client.chat.completions.create(**ASK, stream=True, stream_options=stream_options))
    sent = server.requests[0].json()["stream_options"]
    asked = "include_usage" not in stream_options
    assert sent == ({**stream_options, "include_usage": True} if asked else stream_options)
    assert all(chunk.choices for chunk in chunks)
    tokens = _events(with_stream_usage)[1]["metrics"].get("tokens", {})
    assert tokens.get("total") == (15 if asked else None)


async def test_async_stream(server: FakeOpenAIServer, async_client: Any, log_path: Path) -> None:
    """The async client's stream: same chunks for the caller, tokens in the log."""

    async def run() -> list[Any]:
        return [chunk async for chunk in await async_client.chat.completions.create(**ASK, stream=True)]

    server.clear()
    plain = await run()
    hilt.instrument(backend="local", filepath=str(log_path), stream_usage=True)
    instrumented = await run()
    assert _seen(instrumented) == _seen(plain)
    assert _events(log_path)[1]["metrics"]["tokens"]["total"] == 15


@needs_chat_stream
def test_stream_helper(server: FakeOpenAIServer, client: Any, log_path: Path) -> None:
    """``chat.completions.stream()``: the same events and final completion (without usage) as without the option."""

    def run() -> Any:
        with client.chat.completions.stream(**ASK) as stream:
            kinds = [event.type for event in stream]
            final = stream.get_final_completion()
        return kinds, final.usage, final.choices[0].message.content

    plain, instrumented = _plain_then_instrumented(server, log_path, run, stream_usage=True)
    assert instrumented == plain and plain[1] is None
    assert _events(log_path)[1]["metrics"]["tokens"]["total"] == 15


def test_raw_stream_is_left_alone(server: FakeOpenAIServer, client: Any, with_stream_usage: Path) -> None:
    """A ``with_raw_response`` stream's body is the application's to read: its request is not changed."""
    server.clear()
    raw = client.chat.completions.with_raw_response.create(**ASK, stream=True)
    assert [c.choices[0].delta.content for c in raw.parse()][1] == "Hello!"
    assert "stream_options" not in server.requests[0].json()


def test_plain_call_is_left_alone(server: FakeOpenAIServer, client: Any, with_stream_usage: Path) -> None:
    """A call that does not stream is sent as it is."""
    server.clear()
    client.chat.completions.create(**ASK)
    assert server.requests[0].json() == ASK


def test_setting_from_the_environment() -> None:
    """``HILT_STREAM_USAGE=1`` turns the setting on; it is off by default."""
    assert load_settings(environ={}).stream_usage is False
    assert load_settings(environ={"HILT_STREAM_USAGE": "1"}).stream_usage is True


def test_early_exit_and_errors_behave_as_without(server: FakeOpenAIServer, client: Any, with_stream_usage: Path) -> None:
    """With the option on, leaving a stream early logs it as incomplete and a mid-stream error reaches the caller as is."""
    with client.chat.completions.create(**ASK, stream=True) as stream:
        first = next(iter(stream))
    assert first.choices[0].delta.role == "assistant"
    broken = client.chat.completions.create(**ASK, stream=True, extra_headers={"x-fake-stream-error-after": "2"})
    with pytest.raises(openai.APIError, match="stream exploded"):
        list(broken)
    events = _events(with_stream_usage)
    assert [e["extensions"]["status"] for e in events if e["action"] != "prompt"] == ["incomplete", "error"]
