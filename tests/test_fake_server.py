"""FakeOpenAIServer driven by the real openai SDK over real HTTP (no mocks)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import openai
import pytest

from hilt.testing import FakeOpenAIServer, RecordedRequest

pytestmark = pytest.mark.skipif(
    int(openai.__version__.split(".")[0]) < 2,
    reason="these server tests drive it with the current SDK surface (responses, request ids); "
    "older SDKs exercise the server through the instrumentation tests",
)

REPLY = "Hello! How can I help you today?"  # 7 words
MESSAGES = [
    {"role": "system", "content": "You are terse."},  # 3 words + 3
    {"role": "user", "content": "Say hello to me"},  # 4 words + 3
]
PROMPT_TOKENS = 13
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
ARGS = '{"city": "Paris"}'  # 2 words


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
def client(server: FakeOpenAIServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as c:
        yield c


def chat(client: openai.OpenAI, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **kwargs)


# --- chat completions -------------------------------------------------------------------


def test_chat_non_stream(client: openai.OpenAI, server: FakeOpenAIServer) -> None:
    completion = chat(client)
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"
    assert completion.service_tier == "default"
    assert completion.system_fingerprint == "fp_fake"
    assert completion._request_id is not None and completion._request_id.startswith("req_")
    [choice] = completion.choices
    assert (choice.index, choice.finish_reason) == (0, "stop")
    assert choice.message.role == "assistant"
    assert choice.message.content == REPLY
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (PROMPT_TOKENS, 7, 20)
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details.reasoning_tokens == 0
    assert chat(client).id != completion.id
    assert len(server.requests) == 2


def test_chat_n_choices(client: openai.OpenAI) -> None:
    completion = chat(client, n=2)
    assert [c.index for c in completion.choices] == [0, 1]
    assert [c.message.content for c in completion.choices] == [REPLY, REPLY]
    assert (completion.usage.completion_tokens, completion.usage.total_tokens) == (14, 27)


def test_chat_n_is_capped_at_the_api_limit(client: openai.OpenAI) -> None:
    """A huge ``n`` (a fuzzed 2**70) answers with the API's maximum of 128 choices, not billions."""
    completion = chat(client, n=2**70)
    assert len(completion.choices) == 128


def test_chat_stream_without_usage(client: openai.OpenAI) -> None:
    chunks = list(chat(client, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len(chunks) == 1 + 7 + 1
    assert all(c.usage is None and len(c.choices) == 1 for c in chunks)
    assert len({c.id for c in chunks}) == 1 and chunks[0].object == "chat.completion.chunk"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == REPLY
    assert [c.choices[0].delta.content for c in chunks[1:4]] == ["Hello!", " How", " can"]


def test_chat_stream_include_usage(client: openai.OpenAI) -> None:
    chunks = list(chat(client, stream=True, stream_options={"include_usage": True}))
    *body, last = chunks
    assert last.choices == []
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (13, 7, 20)
    assert all(c.usage is None for c in body)
    assert "".join(c.choices[0].delta.content or "" for c in body) == REPLY


def test_chat_stream_raw_wire_format(client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ) as response:
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["x-request-id"].startswith("req_")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)
    frames = [json.loads(line[6:]) for line in lines[:-1]]
    assert all("usage" in f for f in frames) and frames[-1]["choices"] == []


def test_chat_stream_helper_and_chunk_size() -> None:
    with FakeOpenAIServer(chunk_size=3, reply="one two three four five") as srv, openai.OpenAI(
        base_url=srv.base_url, api_key="test", max_retries=0
    ) as client:
        with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            deltas = [e.delta for e in stream if e.type == "content.delta" and e.delta]
            final = stream.get_final_completion()
    assert deltas == ["one two three", " four five"]
    assert final.choices[0].message.content == "one two three four five"


def test_chat_tool_call_non_stream(client: openai.OpenAI) -> None:
    completion = chat(client, tools=TOOLS, extra_headers={"x-fake-tool-call": "get_weather"})
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls
    assert call.id.startswith("call_") and call.type == "function"
    assert (call.function.name, call.function.arguments) == ("get_weather", ARGS)
    assert (completion.usage.completion_tokens, completion.usage.total_tokens) == (2, 15)


def test_tool_call_header_without_tools_is_ignored(client: openai.OpenAI) -> None:
    completion = chat(client, extra_headers={"x-fake-tool-call": "get_weather"})
    assert completion.choices[0].message.content == REPLY
    assert completion.choices[0].message.tool_calls is None


def test_chat_tool_call_stream(client: openai.OpenAI) -> None:
    chunks = list(chat(client, tools=TOOLS, stream=True, extra_headers={"x-fake-tool-call": "get_weather"}))
    first = chunks[0].choices[0].delta.tool_calls[0]
    assert first.index == 0 and first.id.startswith("call_") and first.type == "function"
    assert (first.function.name, first.function.arguments) == ("get_weather", "")
    pieces = [c.choices[0].delta.tool_calls[0].function.arguments for c in chunks[1:-1]]
    assert pieces == ['{"city":', ' "Paris"}']
    assert all(c.choices[0].delta.tool_calls[0].index == 0 for c in chunks[1:-1])
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


# --- responses ------------------------------------------------------------------------------


def test_responses_create_and_retrieve(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="Tell me a joke", instructions="Be brief.")
    assert response.id.startswith("resp_")
    assert (response.status, response.model, response.instructions) == ("completed", "gpt-4o", "Be brief.")
    assert response.output_text == REPLY
    assert response.output[0].type == "message" and response.output[0].id.startswith("msg_")
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (6, 7, 13)
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0
    again = client.responses.retrieve(response.id)
    assert again.id == response.id and again.output_text == REPLY


def test_responses_input_messages_tokens(client: openai.OpenAI) -> None:
    items = [
        {"role": "user", "content": "one two"},
        {"role": "user", "content": [{"type": "input_text", "text": "three four five"}]},
    ]
    response = client.responses.create(model="m", input=items)
    assert response.usage.input_tokens == 2 + 3 + 3 + 3


def test_responses_stream_events(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="m", input="hi", stream=True))
    types = [e.type for e in events]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 7,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == REPLY
    assert events[0].response.usage is None
    done = events[-1].response
    assert done.output_text == REPLY
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.total_tokens) == (1, 7, 8)


def test_responses_stream_helper_and_resume(client: openai.OpenAI, server: FakeOpenAIServer) -> None:
    with client.responses.stream(model="m", input="hi") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == REPLY and final.output_text == REPLY and final.usage.total_tokens == 8

    with client.responses.stream(response_id=final.id, starting_after=5) as resumed:
        events = list(resumed)
        assert resumed.get_final_response().output_text == REPLY
    assert events[0].sequence_number == 6 and events[-1].type == "response.completed"
    get = server.requests[-1]
    assert (get.method, get.path, get.query["stream"]) == ("GET", f"/v1/responses/{final.id}", "true")

    # Direct retrieve passes starting_after to the server, which skips the earlier events.
    raw = list(client.responses.retrieve(final.id, stream=True, starting_after=12))
    assert [e.sequence_number for e in raw] == [13, 14]
    assert server.requests[-1].query["starting_after"] == "12"


def test_responses_tool_call(client: openai.OpenAI) -> None:
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": False}]
    headers = {"x-fake-tool-call": "get_weather"}
    response = client.responses.create(model="m", input="weather?", tools=tools, extra_headers=headers)
    [item] = response.output
    assert item.type == "function_call" and item.status == "completed"
    assert (item.name, item.arguments) == ("get_weather", ARGS)
    assert item.call_id.startswith("call_") and item.id.startswith("fc_")
    assert response.output_text == "" and response.usage.output_tokens == 2

    events = list(client.responses.create(model="m", input="w", tools=tools, stream=True, extra_headers=headers))
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert "".join(deltas) == ARGS
    assert events[-1].response.output[0].arguments == ARGS


def test_beta_responses_query_string(client: openai.OpenAI, server: FakeOpenAIServer) -> None:
    response = client.beta.responses.create(model="m", input="hi")
    assert response.output[0].content[0].text == REPLY  # BetaResponse has no output_text
    assert (server.requests[0].path, server.requests[0].query) == ("/v1/responses", {"beta": "true"})


# --- embeddings and legacy completions ----------------------------------------------------


def test_embeddings_float(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"], encoding_format="float")
    assert [d.index for d in result.data] == [0, 1]
    assert result.data[0].embedding == FakeOpenAIServer.embedding_for("a b")
    assert len(result.data[1].embedding) == 8
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (3, 3)
    assert result.model == "text-embedding-3-small"


def test_embeddings_default_base64(client: openai.OpenAI, server: FakeOpenAIServer) -> None:
    result = client.embeddings.create(model="e", input="hello world")
    assert server.requests[0].json()["encoding_format"] == "base64"
    [item] = result.data
    assert item.embedding == FakeOpenAIServer.embedding_for("hello world")
    assert len(item.embedding) == 8 and all(-1 <= v < 1 for v in item.embedding)
    assert result.usage.prompt_tokens == 2


def test_legacy_completions(client: openai.OpenAI) -> None:
    completion = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once upon a time")
    assert completion.id.startswith("cmpl-") and completion.object == "text_completion"
    assert completion.choices[0].text == REPLY and completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (4, 7, 11)


def test_legacy_completions_stream(client: openai.OpenAI) -> None:
    plain = list(client.completions.create(model="m", prompt="hi", stream=True))
    assert "".join(c.choices[0].text for c in plain) == REPLY
    assert plain[-1].choices[0].finish_reason == "stop" and all(c.usage is None for c in plain)

    chunks = list(client.completions.create(model="m", prompt="hi", stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 8
    assert "".join(c.choices[0].text for c in chunks[:-1]) == REPLY


# --- faults and overrides --------------------------------------------------------------------


def test_status_429_raises_rate_limit_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        chat(client, extra_headers={"x-fake-status": "429"})
    err = info.value
    assert err.status_code == 429
    assert (err.type, err.code, err.param) == ("rate_limit_exceeded", "rate_limit_exceeded", None)
    assert err.response.headers["retry-after-ms"] == "1"
    assert err.request_id is not None and err.request_id.startswith("req_")


def test_status_500_and_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        chat(client, extra_headers={"x-fake-status": "500"})
    assert info.value.type == "server_error"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.list()
    assert missing.value.body["message"] == "Invalid URL (GET /v1/models)"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_nope")


def test_fail_first_then_succeed_with_retries(server: FakeOpenAIServer) -> None:
    headers = {"x-fake-fail-first": "2", "x-fake-key": "k1", "x-fake-status": "429"}
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=2) as client:
        raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES, extra_headers=headers)
        assert raw.retries_taken == 2
        assert raw.parse().choices[0].message.content == REPLY
        assert len(server.requests) == 3
        assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1", "2"]
        # The counter is per key: k1 is used up, k2 starts fresh (default status 500).
        with pytest.raises(openai.InternalServerError):
            client.with_options(max_retries=0).chat.completions.create(
                model="m", messages=MESSAGES, extra_headers={"x-fake-fail-first": "1", "x-fake-key": "k2"}
            )
        assert client.chat.completions.create(model="m", messages=MESSAGES, extra_headers=headers).choices


def test_stream_error_after(client: openai.OpenAI) -> None:
    stream = chat(client, stream=True, extra_headers={"x-fake-stream-error-after": "2"})
    seen: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in stream:
            seen.append(chunk.choices[0].delta.content)
    assert seen == ["", "Hello!", " How"]
    assert info.value.message == "stream exploded"
    assert not isinstance(info.value, openai.APIStatusError)


def test_drop_after(client: openai.OpenAI) -> None:
    stream = chat(client, stream=True, extra_headers={"x-fake-drop-after": "3"})
    seen: list[str] = []
    with pytest.raises(Exception) as info:  # openai 3.x wraps it; older SDKs let httpx's error through
        for chunk in stream:
            seen.append(chunk.choices[0].delta.content)
    assert isinstance(info.value, openai.APIConnectionError) or type(info.value).__module__.startswith("httpx")
    assert "".join(seen) == "Hello! How can"
    assert chat(client).choices[0].message.content == REPLY  # server still healthy


def test_delay_causes_client_timeout(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APITimeoutError):
        chat(client, timeout=0.05, extra_headers={"x-fake-delay-ms": "300"})
    start = time.perf_counter()
    list(chat(client, stream=True, extra_headers={"x-fake-chunk-delay-ms": "10"}))
    assert time.perf_counter() - start >= 0.08  # 9 frames, 8 gaps of 10 ms


def test_reply_model_and_usage_overrides(client: openai.OpenAI) -> None:
    text = "Grüße, Welt — ok"
    headers = {
        "x-fake-reply": quote(text),
        "x-fake-model": "gpt-fake",
        "x-fake-cached-tokens": "5",
        "x-fake-reasoning-tokens": "4",
    }
    completion = chat(client, extra_headers=headers)
    assert completion.choices[0].message.content == text and completion.model == "gpt-fake"
    assert completion.usage.prompt_tokens_details.cached_tokens == 5
    assert completion.usage.completion_tokens_details.reasoning_tokens == 4
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (13, 4)

    response = client.responses.create(model="m", input="hi", extra_headers=headers)
    assert response.output_text == text and response.model == "gpt-fake"
    assert response.usage.input_tokens_details.cached_tokens == 5
    assert response.usage.output_tokens_details.reasoning_tokens == 4


def test_no_usage(client: openai.OpenAI) -> None:
    headers = {"x-fake-no-usage": "1"}
    assert chat(client, extra_headers=headers).usage is None
    chunks = list(chat(client, stream=True, stream_options={"include_usage": True}, extra_headers=headers))
    assert all(c.choices for c in chunks)
    assert client.responses.create(model="m", input="hi", extra_headers=headers).usage is None


def test_constructor_options() -> None:
    with FakeOpenAIServer(reply="Fixed answer", model="served-model") as srv, openai.OpenAI(
        base_url=srv.base_url, api_key="test", max_retries=0
    ) as client:
        completion = chat(client)
    assert (completion.choices[0].message.content, completion.model) == ("Fixed answer", "served-model")


# --- recording and lifecycle ------------------------------------------------------------------


def test_recorded_request(client: openai.OpenAI, server: FakeOpenAIServer) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="m", messages=MESSAGES, extra_query={"trace": "1"}, extra_headers={"X-Custom": "Yes"}
    )
    [request] = server.requests
    assert isinstance(request, RecordedRequest)
    assert request.body == raw.http_request.content
    assert request.json()["messages"] == MESSAGES
    assert (request.method, request.path, request.query) == ("POST", "/v1/chat/completions", {"trace": "1"})
    assert request.headers["authorization"] == "Bearer test" and request.headers["x-custom"] == "Yes"
    assert raw.headers["x-request-id"].startswith("req_")
    server.clear()
    assert server.requests == []


def test_start_stop_fast_and_closes_keepalive() -> None:
    start = time.perf_counter()
    srv = FakeOpenAIServer().start()
    base_url = srv.base_url
    with openai.OpenAI(base_url=base_url, api_key="test", max_retries=0) as client:
        chat(client)  # leaves a pooled keep-alive connection open
        srv.stop()
        assert time.perf_counter() - start < 0.5
        with pytest.raises(openai.APIConnectionError):
            chat(client)
    srv.stop()  # idempotent

    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        with FakeOpenAIServer():
            pass
        timings.append(time.perf_counter() - t0)
    assert min(timings) < 0.05


def test_concurrent_clients(client: openai.OpenAI, server: FakeOpenAIServer) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert chat(client).choices[0].message.content == REPLY
                assert "".join(c.choices[0].delta.content or "" for c in chat(client, stream=True)) == REPLY
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(server.requests) == 80


# --- async --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_chat_non_stream(server: FakeOpenAIServer) -> None:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
        completion = await client.chat.completions.create(model="m", messages=MESSAGES, n=2)
    assert [c.message.content for c in completion.choices] == [REPLY, REPLY]
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (13, 14)


@pytest.mark.asyncio
async def test_async_chat_stream(server: FakeOpenAIServer) -> None:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [c async for c in stream]
        plain = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        plain_chunks = [c async for c in plain]
    assert "".join(c.choices[0].delta.content or "" for c in chunks[:-1]) == REPLY
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 20
    assert all(c.usage is None for c in plain_chunks)
    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_async_stream_error_and_responses_helper(server: FakeOpenAIServer) -> None:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, extra_headers={"x-fake-stream-error-after": "0"}
        )
        with pytest.raises(openai.APIError, match="stream exploded"):
            async for _ in stream:
                pass
        async with client.responses.stream(model="m", input="hi") as rstream:
            final = await rstream.get_final_response()
    assert final.output_text == REPLY and final.usage.total_tokens == 8
