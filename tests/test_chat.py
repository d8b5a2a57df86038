"""Chat Completions through the real SDK over loopback HTTP: what HILT writes for each call."""

from __future__ import annotations

import openai
import pytest

import hilt
from hilt.testing import read_lines

REPLY = "Hello! How can I help you today?"
MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Say hello"},
]


def test_prompt_then_completion_pair(instrumented, client, server):
    """One call writes a prompt event then a completion event linked by reply_to, with usage, cost and status."""
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=50)
    prompt, completion = read_lines(instrumented)
    assert prompt["action"] == "prompt"
    assert prompt["actor"] == {"type": "human", "id": "user"}
    assert prompt["content"]["text"] == "Say hello"
    assert prompt["content"]["messages"] == MESSAGES
    assert prompt["extensions"]["model"] == "gpt-4o-mini"
    assert prompt["extensions"]["params"] == {"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 50}
    assert completion["action"] == "completion"
    assert completion["actor"] == {"type": "agent", "id": "openai", "name": "gpt-4o-mini"}
    assert completion["content"]["text"] == REPLY == response.choices[0].message.content
    assert completion["session_id"] == prompt["session_id"]
    ext = completion["extensions"]
    assert ext["reply_to"] == prompt["event_id"]
    assert ext["status_code"] == 200
    assert ext["status"] == "ok"
    assert ext["response_id"] == response.id
    assert ext["finish_reasons"] == ["stop"]
    assert ext.get("request_id") == getattr(response, "_request_id", None)  # the SDK has it from openai 1.x late
    # 3 + 2 words + 3 per message; 7 reply words
    assert completion["metrics"]["tokens"] == {"prompt": 11, "completion": 7, "total": 18, "cached": 0, "reasoning": 0}
    assert completion["metrics"]["cost_usd"] == pytest.approx((11 * 0.15 + 7 * 0.6) / 1e6)
    assert isinstance(completion["metrics"]["latency_ms"], int)
    assert completion["metrics"]["latency_ms"] == ext["latency_ms"]


def test_returns_the_sdk_object_untouched(instrumented, client):
    """The application gets the SDK's own ChatCompletion type."""
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(response) is openai.types.chat.ChatCompletion


def test_prompt_is_written_before_the_request(instrumented, client, server):
    """The prompt event is on disk while the request is still being answered."""
    seen = []

    class Probe:
        def write(self, event):
            seen.append((event["action"], len(server.requests)))

        def flush(self):
            pass

        def close(self):
            pass

    from hilt.instrumentation import current

    server.clear()
    current().pipeline.writers.append(Probe())
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert seen == [("prompt", 0), ("completion", 1)]


def test_cached_and_reasoning_tokens_priced_as_cached(instrumented, client):
    """Cached prompt tokens come out of the prompt price at the cached rate; reasoning tokens are recorded."""
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        extra_headers={"x-fake-cached-tokens": "4", "x-fake-reasoning-tokens": "3"},
    )
    completion = read_lines(instrumented)[1]
    assert completion["metrics"]["tokens"] == {"prompt": 11, "completion": 7, "total": 18, "cached": 4, "reasoning": 3}
    assert completion["metrics"]["cost_usd"] == pytest.approx((7 * 0.15 + 4 * 0.075 + 7 * 0.6) / 1e6)


def test_response_model_used_for_price_and_name(instrumented, client):
    """The dated model the server answered with names the agent and prices the call."""
    client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-model": "gpt-4o-mini-2024-07-18"}
    )
    completion = read_lines(instrumented)[1]
    assert completion["actor"]["name"] == "gpt-4o-mini-2024-07-18"
    assert completion["extensions"]["model"] == "gpt-4o-mini-2024-07-18"
    assert completion["extensions"]["request_model"] == "gpt-4o-mini"
    assert completion["metrics"]["cost_usd"] == pytest.approx((11 * 0.15 + 7 * 0.6) / 1e6)


def test_unknown_model_has_null_cost(instrumented, client):
    """An unknown model is never priced: cost_usd null and cost_status unknown_model."""
    client.chat.completions.create(model="my-private-model", messages=MESSAGES)
    completion = read_lines(instrumented)[1]
    assert completion["metrics"]["cost_usd"] is None
    assert completion["extensions"]["cost_status"] == "unknown_model"


def test_price_override(log_path, client):
    """instrument(prices=...) prices a private model per million tokens."""
    hilt.instrument(filepath=str(log_path), prices={"my-private-model": {"input": 1.0, "output": 2.0}})
    client.chat.completions.create(model="my-private-model", messages=MESSAGES)
    completion = read_lines(log_path)[1]
    assert completion["metrics"]["cost_usd"] == pytest.approx((11 * 1.0 + 7 * 2.0) / 1e6)
    assert "cost_status" not in completion["extensions"]


def test_tool_calls_recorded(instrumented, client):
    """Tool calls are structured content; the text is null, not the string 'None'."""
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    response = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, tools=tools, extra_headers={"x-fake-tool-call": "get_weather"}
    )
    prompt, completion = read_lines(instrumented)
    assert prompt["extensions"]["params"]["tools"] == tools
    call = response.choices[0].message.tool_calls[0]
    assert "text" not in completion["content"]
    assert completion["content"]["tool_calls"] == [
        {"id": call.id, "type": "function", "name": "get_weather", "arguments": '{"city": "Paris"}'}
    ]
    assert completion["extensions"]["finish_reasons"] == ["tool_calls"]


def test_multiple_choices(instrumented, client):
    """With n=2 every choice is kept; the first is the text."""
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, n=2)
    completion = read_lines(instrumented)[1]
    assert completion["content"]["text"] == REPLY
    assert [c["index"] for c in completion["content"]["choices"]] == [0, 1]
    assert completion["extensions"]["finish_reasons"] == ["stop", "stop"]


def test_multimodal_parts_kept_as_structure(instrumented, client):
    """A list of content parts is recorded as parts; inline image data is summarised, not copied."""
    image = "data:image/png;base64," + "A" * 5000
    parts = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": image}}]
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": parts}])
    prompt = read_lines(instrumented)[0]
    assert prompt["content"]["text"] == "What is this?"
    recorded = prompt["content"]["messages"][0]["content"]
    assert recorded[0] == {"type": "text", "text": "What is this?"}
    assert recorded[1]["image_url"]["url"] == f"data:image/png;base64,<{len(image)} characters omitted>"


def test_api_key_never_recorded(instrumented, client):
    """Neither the API key nor the Authorization header appears anywhere in the log."""
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-trace": "1"})
    text = instrumented.read_text()
    assert "test-key" not in text
    assert "Bearer" not in text
    assert "x-trace" not in text


def test_rate_limit_error_is_a_system_event_and_the_same_exception(instrumented, client):
    """A 429 writes a system event with status 429 and re-raises the very exception object."""
    caught = []
    with pytest.raises(openai.RateLimitError) as info:
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "429"})
        except openai.RateLimitError as exc:
            caught.append(exc)
            raise
    assert info.value is caught[0]
    assert info.traceback[-1].frame.f_globals["__name__"].startswith("openai")
    prompt, error = read_lines(instrumented)
    assert error["action"] == "system"
    assert error["actor"] == {"type": "system", "id": "openai"}
    ext = error["extensions"]
    assert ext["status_code"] == 429
    assert ext["status"] == "error"
    assert ext["error_type"] == "RateLimitError"
    assert ext["reply_to"] == prompt["event_id"]
    assert ext["request_id"] == info.value.request_id
    assert error["content"]["text"].startswith("RateLimitError: Error code: 429")
    assert "cost_usd" not in error["metrics"]


def test_server_error_status(instrumented, client):
    """A 500 is recorded with status_code 500 and type InternalServerError."""
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "500"})
    assert read_lines(instrumented)[1]["extensions"]["status_code"] == 500


def test_timeout_and_connection_error_codes(instrumented, server):
    """A timeout is recorded as 504 and a refused connection as 502 (documented codes)."""
    with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0, timeout=0.05) as slow:
        with pytest.raises(openai.APITimeoutError):
            slow.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-delay-ms": "500"})
    with openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0) as dead:
        with pytest.raises(openai.APIConnectionError):
            dead.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    events = read_lines(instrumented)
    assert [(e["extensions"]["status_code"], e["extensions"]["error_type"]) for e in events if e["action"] == "system"] == [
        (504, "APITimeoutError"),
        (502, "APIConnectionError"),
    ]


def test_retries_are_one_call(instrumented, server):
    """Two 500s then a 200 with max_retries=2 is one logical call: one pair, status 200."""
    with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=2) as retrying:
        retrying.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={"x-fake-fail-first": "2", "x-fake-key": "retries-are-one-call"},
        )
    events = read_lines(instrumented)
    assert [e["action"] for e in events] == ["prompt", "completion"]
    assert events[1]["extensions"]["status_code"] == 200


def test_unusual_inputs_never_raise_or_consume(instrumented, client, server):
    """Messages given as a generator reach the server whole and HILT does not consume them."""
    server.clear()
    messages = (m for m in MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert server.requests[-1].json()["messages"] == MESSAGES
    prompt = read_lines(instrumented)[0]
    assert prompt["extensions"]["params"]["messages_not_captured"] == "generator"
    assert "messages" not in prompt.get("content", {})


def test_missing_usage_and_choices(instrumented, client):
    """A response without usage records no tokens (not zeros) and a null cost with status no_usage."""
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-no-usage": "1"})
    completion = read_lines(instrumented)[1]
    assert "tokens" not in completion["metrics"]
    assert completion["metrics"]["cost_usd"] is None
    assert completion["extensions"]["cost_status"] == "no_usage"


def test_capture_content_off(log_path, client):
    """capture_content=False keeps prompts and answers out of the log but keeps the numbers."""
    hilt.instrument(filepath=str(log_path), capture_content=False)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    prompt, completion = read_lines(log_path)
    assert "content" not in prompt
    assert "content" not in completion
    assert completion["metrics"]["tokens"]["total"] == 18
    assert "Say hello" not in log_path.read_text()


def test_azure_client_is_covered(instrumented, server):
    """AzureOpenAI goes through the same patched class; the provider is recorded as azure."""
    root = server.base_url.rsplit("/v1", 1)[0]
    with openai.AzureOpenAI(azure_endpoint=root, api_key="k", api_version="2024-06-01", max_retries=0) as azure:
        try:
            azure.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        except openai.NotFoundError:
            pass  # the fake may not serve Azure's deployment URL; the call is recorded either way
    events = read_lines(instrumented)
    assert events[0]["action"] == "prompt"
    assert events[1]["actor"]["id"] == "azure"


def test_odd_response_shapes_never_raise():
    """A response with no choices and no usage (a lax compatible server) gives empty fields, not an error."""
    from hilt._record import CallRecord
    from hilt.providers.openai._chat import capture_response

    record = CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0)
    odd = openai.types.chat.ChatCompletion.model_construct(id="x", model="m")
    capture_response(record, odd, True)
    assert (record.response_id, record.response_model, record.tokens, record.completion_text) == ("x", "m", {}, None)
    record = CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0)
    capture_response(record, {"choices": "not-a-list", "usage": {"prompt_tokens": -1, "total_tokens": True}}, True)
    assert record.tokens == {}
