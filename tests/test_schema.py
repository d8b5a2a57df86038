"""The shipped JSON Schema: every event HILT writes validates, broken events do not."""

from __future__ import annotations

import copy
import sys
from typing import Any

import jsonschema
import pytest

from hilt import Event
from hilt._record import STATUS_CANCELLED, STATUS_ERROR, STATUS_OK, CallRecord
from hilt.processors import CostCalculator, build_completion_event, build_prompt_event
from hilt.schema import load_schema, validate_event

T0 = 1_000_000_000_000  # started_ns; the other clocks are offsets from it
MS = 1_000_000


def prompt_record(**fields: Any) -> CallRecord:
    record = CallRecord(
        endpoint="chat.completions",
        provider="openai",
        started_ns=T0,
        request_model="gpt-4o-mini",
        prompt_text="What is in this picture?",
        prompt_content={
            "messages": [
                {"role": "system", "content": "You are terse."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this picture?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,<1000 characters omitted>"}},
                    ],
                },
            ]
        },
        params={"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 50},
        server="127.0.0.1:8000",
        conversation_id="conv_0123456789ab",
        user="alice",
        tags=("demo",),
        metadata={"tenant": "acme"},
    )
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def test_schema_is_draft_2020_12_and_well_formed() -> None:
    """The shipped file is a valid draft 2020-12 schema requiring the six core keys."""
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["hilt_version", "event_id", "timestamp", "session_id", "actor", "action"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["actor"]["additionalProperties"] is False
    assert schema["properties"]["action"]["enum"] == [
        "prompt", "completion", "completion_chunk", "retrieval", "tool_call", "tool_result", "system", "feedback",
    ]


def test_load_schema_returns_a_fresh_copy() -> None:
    """Changing the dict load_schema returns does not change the next one or validation."""
    schema = load_schema()
    schema["required"].append("nonsense")
    assert "nonsense" not in load_schema()["required"]


def test_importing_hilt_does_not_import_jsonschema() -> None:
    """jsonschema is optional: importing hilt and hilt.schema does not import it."""
    import subprocess

    code = "import sys, hilt, hilt.events, hilt.session, hilt.schema; print('jsonschema' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_prompt_event_validates() -> None:
    """A prompt event with multimodal messages, params and conversation context validates and reads back."""
    record = prompt_record()
    event = build_prompt_event(record)
    validate_event(event)
    assert event["action"] == "prompt"
    assert event["actor"] == {"type": "human", "id": "alice"}
    assert event["content"]["text"] == "What is in this picture?"
    assert event["extensions"] == {
        "model": "gpt-4o-mini",
        "stream": False,
        "params": {"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 50},
        "user": "alice",
        "tags": ["demo"],
        "metadata": {"tenant": "acme"},
    }
    assert Event.model_validate(event).to_dict() == event


def test_completion_event_with_tokens_and_cost_validates() -> None:
    """A priced completion (dated response model, cached tokens, tool call) validates with exact metrics."""
    record = prompt_record()
    build_prompt_event(record)
    record.status_code = 200
    record.response_model = "gpt-4o-mini-2024-07-18"
    record.response_id = "chatcmpl-1"
    record.request_id = "req_1"
    record.finish_reasons = ["tool_calls"]
    record.completion_text = None
    record.completion_content = {
        "tool_calls": [{"id": "call_1", "type": "function", "name": "lookup", "arguments": "{\"q\": 1}"}]
    }
    record.tokens = {"prompt": 1000, "completion": 500, "total": 1500, "cached": 400, "reasoning": 0}
    record.ended_ns = T0 + 12 * MS
    CostCalculator()(record)
    event = build_completion_event(record)
    validate_event(event)
    assert event["action"] == "completion"
    assert event["actor"] == {"type": "agent", "id": "openai", "name": "gpt-4o-mini-2024-07-18"}
    assert event["metrics"] == {
        "tokens": {"prompt": 1000, "completion": 500, "total": 1500, "cached": 400, "reasoning": 0},
        "cost_usd": pytest.approx(0.00042, abs=1e-12),
        "latency_ms": 12,
    }
    assert event["extensions"]["reply_to"] == record.prompt_event_id
    assert event["extensions"]["status_code"] == 200
    assert event["extensions"]["request_model"] == "gpt-4o-mini"
    assert Event.model_validate(event).to_dict() == event


def test_completion_with_unknown_model_validates_with_null_cost() -> None:
    """An unknown model gives cost_usd null and cost_status unknown_model, and still validates."""
    record = prompt_record(request_model="no-such-model-xyz", status_code=200, tokens={"prompt": 5, "completion": 1})
    build_prompt_event(record)
    CostCalculator()(record)
    event = build_completion_event(record)
    validate_event(event)
    assert event["metrics"]["cost_usd"] is None
    assert event["extensions"]["cost_status"] == "unknown_model"


def test_error_system_event_validates() -> None:
    """An SDK error becomes a system event (actor system, no cost) that validates."""
    record = prompt_record()
    build_prompt_event(record)
    record.status = STATUS_ERROR
    record.status_code = 429
    record.error_type = "RateLimitError"
    record.error_message = "Rate limit reached"
    record.error_code = "rate_limit_exceeded"
    record.request_id = "req_2"
    record.ended_ns = T0 + 3 * MS
    CostCalculator()(record)
    event = build_completion_event(record)
    validate_event(event)
    assert event["action"] == "system"
    assert event["actor"] == {"type": "system", "id": "openai"}
    assert event["content"] == {"text": "RateLimitError: Rate limit reached"}
    assert event["metrics"] == {"latency_ms": 3}
    assert event["extensions"]["status_code"] == 429
    assert event["extensions"]["status"] == "error"
    assert Event.model_validate(event).to_dict() == event


def test_stream_completion_with_ttft_validates() -> None:
    """A streamed completion with usage and a time to first token validates; ttft_ms is a float."""
    record = prompt_record(stream=True)
    prompt = build_prompt_event(record)
    validate_event(prompt)
    assert prompt["extensions"]["stream"] is True
    record.stream_started = True
    record.status_code = 200
    record.response_model = "gpt-4o-mini-2024-07-18"
    record.completion_text = "A cat."
    record.finish_reasons = ["stop"]
    record.tokens = {"prompt": 20, "completion": 3, "total": 23}
    record.first_token_ns = T0 + 4_250_000
    record.ended_ns = T0 + 9 * MS
    CostCalculator()(record)
    event = build_completion_event(record)
    validate_event(event)
    assert event["metrics"]["ttft_ms"] == 4.25
    assert event["metrics"]["latency_ms"] == 9
    assert event["content"] == {"text": "A cat."}
    assert Event.model_validate(event).to_dict() == event


@pytest.mark.parametrize("status", [STATUS_CANCELLED, STATUS_ERROR])
def test_stream_ended_early_without_usage_validates(status: str) -> None:
    """A stream cut short (cancelled or failed mid-stream, no usage) is a completion event that validates."""
    record = prompt_record(stream=True)
    build_prompt_event(record)
    record.stream_started = True
    record.status = status
    record.status_code = 499 if status == STATUS_CANCELLED else 502
    record.completion_text = "A c"
    record.first_token_ns = T0 + MS
    record.ended_ns = T0 + 2 * MS
    CostCalculator()(record)
    event = build_completion_event(record)
    validate_event(event)
    assert event["action"] == "completion"
    assert "tokens" not in event["metrics"]
    assert event["extensions"]["status"] == status


def test_call_with_no_usage_validates() -> None:
    """A successful call whose response had no usage writes no tokens and cost_status no_usage."""
    record = prompt_record(status=STATUS_OK, status_code=200, completion_text="ok")
    build_prompt_event(record)
    CostCalculator()(record)
    event = build_completion_event(record)
    validate_event(event)
    assert "tokens" not in event["metrics"]
    assert event["metrics"]["cost_usd"] is None
    assert event["extensions"]["cost_status"] == "no_usage"


def test_event_model_output_validates() -> None:
    """Events built with the pydantic model and serialized by to_dict validate, including every action."""
    for action in ("prompt", "completion", "completion_chunk", "retrieval", "tool_call", "tool_result", "system",
                   "feedback"):
        validate_event(Event(session_id="s", actor={"type": "tool", "id": "search"}, action=action).to_dict())


def _valid() -> dict[str, Any]:
    record = prompt_record(status_code=200, response_model="gpt-4o-mini", completion_text="Hi",
                           tokens={"prompt": 11, "completion": 7, "total": 18}, cost_usd=0.000006)
    build_prompt_event(record)
    event = build_completion_event(record)
    validate_event(event)
    return event


def _set(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    event = copy.deepcopy(event)
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


def _drop(event: dict[str, Any], key: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    del event[key]
    return event


INVALID = {
    "bad action": (lambda e: _set(e, ("action",), "error"), ["action"], "enum"),
    "null token count": (lambda e: _set(e, ("metrics", "tokens", "total"), None), ["metrics", "tokens", "total"], "type"),
    "negative token count": (lambda e: _set(e, ("metrics", "tokens", "prompt"), -1), ["metrics", "tokens", "prompt"], "minimum"),
    "float token count": (lambda e: _set(e, ("metrics", "tokens", "prompt"), 1.5), ["metrics", "tokens", "prompt"], "type"),
    "null extra token count": (lambda e: _set(e, ("metrics", "tokens", "audio"), None), ["metrics", "tokens", "audio"], "type"),
    "extra actor key": (lambda e: _set(e, ("actor", "model"), "gpt-4o"), ["actor"], "additionalProperties"),
    "bad actor type": (lambda e: _set(e, ("actor", "type"), "user"), ["actor", "type"], "enum"),
    "cost as string": (lambda e: _set(e, ("metrics", "cost_usd"), "0.000006"), ["metrics", "cost_usd"], "type"),
    "fractional latency": (lambda e: _set(e, ("metrics", "latency_ms"), 9.5), ["metrics", "latency_ms"], "type"),
    "text as list": (lambda e: _set(e, ("content", "text"), [{"type": "text"}]), ["content", "text"], "type"),
    "extensions as list": (lambda e: _set(e, ("extensions",), []), ["extensions"], "type"),
    "extra top-level key": (lambda e: _set(e, ("run_id",), "run_1"), [], "additionalProperties"),
    "missing hilt_version": (lambda e: _drop(e, "hilt_version"), [], "required"),
    "missing actor": (lambda e: _drop(e, "actor"), [], "required"),
    "integer session_id": (lambda e: _set(e, ("session_id",), 5), ["session_id"], "type"),
    "timestamp without offset": (lambda e: _set(e, ("timestamp",), "2026-01-01T00:00:00"), ["timestamp"], "pattern"),
    "timestamp with 4 fraction digits": (
        lambda e: _set(e, ("timestamp",), "2026-01-01T00:00:00.1234+00:00"), ["timestamp"], "pattern"),
    "event_id not a UUID": (lambda e: _set(e, ("event_id",), "evt_123"), ["event_id"], "pattern"),
    "sample rate 0": (lambda e: _set(e, ("extensions", "sample_rate"), 0), ["extensions", "sample_rate"], "exclusiveMinimum"),
    "sample rate above 1": (lambda e: _set(e, ("extensions", "sample_rate"), 1.5), ["extensions", "sample_rate"], "maximum"),
    "metadata as string": (lambda e: _set(e, ("extensions", "metadata"), "contract"), ["extensions", "metadata"], "type"),
    "chain without mac": (lambda e: _set(e, ("extensions", "chain"), {"seq": 3}), ["extensions", "chain"], "required"),
    "chain mac not hex": (
        lambda e: _set(e, ("extensions", "chain"), {"seq": 3, "mac": "zz" * 32}), ["extensions", "chain", "mac"], "pattern"),
    "erasure without count": (
        lambda e: _set(e, ("extensions", "erasure"), {"at": "2026-11-30T05:30:00+00:00"}), ["extensions", "erasure"], "required"),
    "trace id too short": (lambda e: _set(e, ("extensions", "trace_id"), "abc"), ["extensions", "trace_id"], "pattern"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_events_are_rejected(case: str) -> None:
    """Each broken variant of a valid completion is rejected at the expected place by the expected keyword."""
    mutate, path, keyword = INVALID[case]
    with pytest.raises(jsonschema.ValidationError) as caught:
        validate_event(mutate(_valid()))
    assert list(caught.value.absolute_path) == path
    assert caught.value.validator == keyword


def test_reference_writer_line_is_rejected() -> None:
    """A hilt-python 0.2.8 completion line (no hilt_version, string cost) does not validate: it is not HILT output."""
    line = {
        "event_id": "2fc9a3c4-1111-4222-8333-444455556666",
        "timestamp": "2026-11-27T02:36:43.428517+00:00",
        "session_id": "conv_42aac502b978",
        "actor": {"type": "agent", "id": "openai"},
        "action": "completion",
        "content": {"text": "Hi there"},
        "metrics": {"tokens": {"prompt": 11, "completion": 7, "total": 18}, "cost_usd": "0.000006",
                    "cost_usd_display": "0,000006 USD"},
    }
    with pytest.raises(jsonschema.ValidationError):
        validate_event(line)
    line["hilt_version"] = "1.0.0"
    line["metrics"]["cost_usd"] = 0.000006
    validate_event(line)
