"""Output shapes the fake server does not produce, read from real SDK objects: reasoning summaries,
refusals, hosted tool calls, incomplete and failed responses; and content capture switched off."""

from __future__ import annotations

import pytest

from hilt._record import CallRecord

from tests._surfaces import HAS_RESPONSES, one_pair

needs_responses = pytest.mark.skipif(not HAS_RESPONSES, reason="client.responses arrived in openai 1.66")

BASE = {
    "id": "resp_1", "object": "response", "created_at": 1, "model": "o4-mini", "parallel_tool_calls": True,
    "tool_choice": "auto", "tools": [],
    "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 20,
              "output_tokens_details": {"reasoning_tokens": 12}, "total_tokens": 30},
}  # fmt: skip


def _record(body: dict) -> CallRecord:
    from openai._models import construct_type  # how the SDK itself builds responses (no validation)
    from openai.types.responses import Response

    from hilt.providers.openai._responses import capture_response

    record = CallRecord(endpoint="responses.create", provider="openai", started_ns=0)
    response = construct_type(type_=Response, value={**BASE, **body})
    assert type(response) is Response
    capture_response(record, response, True)
    return record


@needs_responses
def test_reasoning_summary_text_and_hosted_tool_call():
    record = _record(
        {
            "status": "completed",
            "output": [
                {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Thinking."}]},
                {"id": "ws_1", "type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "q"}},
                {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": "Answer.", "annotations": []}]},
            ],
        }
    )  # fmt: skip
    assert record.completion_text == "Answer."
    assert record.completion_content == {
        "reasoning": ["Thinking."],
        "tool_calls": [{"id": "ws_1", "type": "web_search_call", "status": "completed"}],
    }
    assert record.tokens == {"prompt": 10, "completion": 20, "total": 30, "cached": 4, "reasoning": 12}
    assert record.answer_message == {"role": "assistant", "content": "Answer."}


@needs_responses
def test_refusal():
    record = _record(
        {
            "status": "completed",
            "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                        "content": [{"type": "refusal", "refusal": "I can't help with that."}]}],
        }
    )  # fmt: skip
    assert record.completion_text is None
    assert record.completion_content == {"refusal": "I can't help with that."}


@needs_responses
def test_incomplete_response():
    record = _record({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}, "output": []})
    assert record.status == "ok"
    assert record.finish_reasons == ["max_output_tokens"]
    assert record.response_extras["response_status"] == "incomplete"


@needs_responses
def test_failed_response():
    record = _record(
        {"status": "failed", "error": {"code": "server_error", "message": "boom"}, "output": [], "usage": None}
    )
    assert record.status == "error"
    assert (record.error_type, record.error_code, record.error_message) == ("ResponseFailed", "server_error", "boom")
    assert record.tokens == {}


def test_capture_content_off_keeps_counts_only(log_path, client):
    import hilt

    from hilt.testing import read_lines

    hilt.instrument(filepath=str(log_path), capture_content=False)
    client.embeddings.create(model="text-embedding-3-small", input=["secret words", "more"])
    client.completions.create(model="gpt-3.5-turbo-instruct", prompt="secret prompt")
    hilt.uninstrument()
    assert "secret" not in log_path.read_text()
    events = read_lines(log_path)
    assert [e["metrics"]["tokens"]["total"] for e in events if e["action"] == "completion"] == [3, 9]


def test_streaming_response_closed_unread_is_logged(instrumented, client):
    """A with_streaming_response result closed without reading the body is logged, without usage."""
    manager = client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    response = manager.__enter__()
    response.http_response.close()
    _, completion = one_pair(instrumented)
    assert completion["extensions"]["body_not_parsed"] is True
    assert "tokens" not in completion["metrics"]


def test_streaming_response_dropped_is_logged(instrumented, client):
    """A with_streaming_response result that is dropped, never read nor closed, is logged when collected."""
    import gc

    manager = client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    manager.__enter__()
    del manager
    gc.collect()
    _, completion = one_pair(instrumented)
    assert completion["extensions"]["body_not_parsed"] is True
