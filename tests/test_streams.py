"""Streams: the SDK's own object comes back, and exactly one completion event is written on every exit path."""

from __future__ import annotations

import asyncio
import gc

import openai
import pytest

from hilt.testing import read_lines

REPLY = "Hello! How can I help you today?"
MESSAGES = [{"role": "user", "content": "Stream please"}]
USAGE = {"include_usage": True}


def stream_helper(resource):
    """``chat.completions.stream``, or its ``beta`` home in SDKs before it moved; skip where it is absent."""
    helper = getattr(resource.chat.completions, "stream", None)
    if helper is None:
        helper = getattr(getattr(getattr(resource.beta, "chat", None), "completions", None), "stream", None)
    if helper is None:
        pytest.skip(f"openai {openai.__version__} has no chat.completions.stream() helper (added in 1.40)")
    return helper


def completions(path):
    return [e for e in read_lines(path) if e["action"] != "prompt"]


def only_completion(path):
    events = completions(path)
    assert len(events) == 1, events
    return events[0]


def test_exhausted_stream(instrumented, client):
    """A stream read to the end is one ok completion with text, usage, cost and time to first token."""
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options=USAGE)
    assert type(stream) is openai.Stream
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == REPLY
    event = only_completion(instrumented)
    assert event["action"] == "completion"
    assert event["content"]["text"] == REPLY
    assert event["extensions"]["status"] == "ok"
    assert event["extensions"]["status_code"] == 200
    assert event["extensions"]["finish_reasons"] == ["stop"]
    assert event["metrics"]["tokens"] == {"prompt": 5, "completion": 7, "total": 12, "cached": 0, "reasoning": 0}
    assert event["metrics"]["cost_usd"] == pytest.approx((5 * 0.15 + 7 * 0.6) / 1e6)
    assert 0 <= event["metrics"]["ttft_ms"] <= event["metrics"]["latency_ms"] + 1


def test_stream_without_usage_has_no_tokens(instrumented, client, server):
    """Without stream_options HILT adds nothing to the request and records no tokens."""
    server.clear()
    list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert "stream_options" not in server.requests[-1].json()
    event = only_completion(instrumented)
    assert "tokens" not in event["metrics"]
    assert event["extensions"]["cost_status"] == "no_usage"


def test_next_and_with_block(instrumented, client):
    """next() and a with block behave as without HILT."""
    with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        first = next(stream)
        assert first.choices[0].delta.role == "assistant"
        rest = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in rest) == REPLY
    assert only_completion(instrumented)["extensions"]["status"] == "ok"


def test_break_inside_with(instrumented, client):
    """Leaving a with block early is one incomplete completion carrying the text seen so far."""
    with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        for index, _chunk in enumerate(stream):
            if index == 2:
                break
    event = only_completion(instrumented)
    assert event["extensions"]["status"] == "incomplete"
    assert event["content"]["text"] == "Hello! How"


def test_explicit_close(instrumented, client):
    """close() before the end is one incomplete completion."""
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    next(stream)
    stream.close()
    stream.close()
    event = only_completion(instrumented)
    assert event["extensions"]["status"] == "incomplete"


def test_error_mid_stream(instrumented, client):
    """An error frame mid-stream is re-raised unchanged and recorded as an error with the partial text."""
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-fake-stream-error-after": "2"}
    )
    seen = []
    with pytest.raises(openai.APIError, match="stream exploded"):
        for chunk in stream:
            seen.append(chunk)
    event = only_completion(instrumented)
    assert event["action"] == "completion"
    assert event["extensions"]["status"] == "error"
    assert event["extensions"]["error_type"] == "APIError"
    assert event["content"]["text"] == "Hello! How"


def test_connection_dropped_mid_stream(instrumented, client):
    """A dropped connection mid-stream is one error completion with status 502."""
    with pytest.raises(Exception) as info:  # openai.APIConnectionError; older SDKs raise the httpx error itself
        list(
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-fake-drop-after": "1"}
            )
        )
    assert isinstance(info.value, openai.APIConnectionError) or type(info.value).__module__.startswith("httpx")
    event = only_completion(instrumented)
    assert event["extensions"]["status"] == "error"
    assert event["extensions"]["status_code"] == 502


def test_abandoned_stream(instrumented, client):
    """A stream dropped unread is finished when it is garbage collected."""
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    next(stream)
    del stream
    gc.collect()
    assert only_completion(instrumented)["extensions"]["status"] == "incomplete"


def test_stream_helper(instrumented, client):
    """client.chat.completions.stream() gives one pair, ok, with the final text."""
    with stream_helper(client)(model="gpt-4o-mini", messages=MESSAGES, stream_options=USAGE) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == REPLY
    events = read_lines(instrumented)
    assert [e["action"] for e in events] == ["prompt", "completion"]
    assert events[1]["extensions"]["status"] == "ok"
    assert events[1]["metrics"]["tokens"]["total"] == 12


def test_stream_helper_exited_early(instrumented, client):
    """Leaving the .stream() helper early (it closes the HTTP response itself) is one incomplete completion."""
    with stream_helper(client)(model="gpt-4o-mini", messages=MESSAGES) as stream:
        for event in stream:
            if event.type == "content.delta":
                break
    event = only_completion(instrumented)
    assert event["extensions"]["status"] == "incomplete"


def test_streamed_tool_calls(instrumented, client):
    """Tool-call deltas are joined into whole tool calls."""
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            tools=tools,
            stream=True,
            extra_headers={"x-fake-tool-call": "get_weather"},
        )
    )
    call_id = next(c.choices[0].delta.tool_calls[0].id for c in chunks if c.choices and c.choices[0].delta.tool_calls)
    event = only_completion(instrumented)
    assert event["content"]["tool_calls"] == [
        {"id": call_id, "type": "function", "name": "get_weather", "arguments": '{"city": "Paris"}'}
    ]
    assert event["extensions"]["finish_reasons"] == ["tool_calls"]


@pytest.mark.asyncio
async def test_async_stream_exhausted(instrumented, async_client):
    """An async stream read to the end is one ok completion; the type is the SDK's AsyncStream."""
    stream = await async_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options=USAGE
    )
    assert type(stream) is openai.AsyncStream
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == REPLY
    event = only_completion(instrumented)
    assert event["extensions"]["status"] == "ok"
    assert event["metrics"]["tokens"]["total"] == 12


@pytest.mark.asyncio
async def test_async_with_break(instrumented, async_client):
    """Breaking out of async with is one incomplete completion."""
    async with await async_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        async for _chunk in stream:
            break
    assert only_completion(instrumented)["extensions"]["status"] == "incomplete"


@pytest.mark.asyncio
async def test_async_close(instrumented, async_client):
    """await stream.close() is one incomplete completion."""
    stream = await async_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    await stream.__anext__()
    await stream.close()
    assert only_completion(instrumented)["extensions"]["status"] == "incomplete"


@pytest.mark.asyncio
async def test_async_error_mid_stream(instrumented, async_client):
    """An async error mid-stream is re-raised and recorded once as an error."""
    stream = await async_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-fake-stream-error-after": "1"}
    )
    with pytest.raises(openai.APIError):
        async for _chunk in stream:
            pass
    assert only_completion(instrumented)["extensions"]["status"] == "error"


@pytest.mark.asyncio
async def test_async_task_cancelled(instrumented, async_client):
    """Cancelling the task that reads a stream is one cancelled completion; CancelledError still propagates."""
    stream = await async_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-fake-chunk-delay-ms": "200"}
    )

    async def consume():
        async for _chunk in stream:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    event = only_completion(instrumented)
    assert event["extensions"]["status"] == "cancelled"
    assert event["extensions"]["status_code"] == 499
    await stream.close()
    assert len(completions(instrumented)) == 1


@pytest.mark.asyncio
async def test_async_stream_helper(instrumented, async_client):
    """The async .stream() helper gives one ok pair."""
    async with stream_helper(async_client)(model="gpt-4o-mini", messages=MESSAGES) as stream:
        final = await stream.get_final_completion()
    assert final.choices[0].message.content == REPLY
    assert [e["action"] for e in read_lines(instrumented)] == ["prompt", "completion"]


@pytest.mark.asyncio
async def test_async_non_stream(instrumented, async_client):
    """An async non-streaming call is one ok pair with usage."""
    response = await async_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(response) is openai.types.chat.ChatCompletion
    prompt, completion = read_lines(instrumented)
    assert completion["extensions"]["reply_to"] == prompt["event_id"]
    assert completion["metrics"]["tokens"]["total"] == 12


@pytest.mark.asyncio
async def test_async_error(instrumented, async_client):
    """An async 429 is a system event and the same exception."""
    with pytest.raises(openai.RateLimitError):
        await async_client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "429"}
        )
    assert read_lines(instrumented)[1]["extensions"]["status_code"] == 429
