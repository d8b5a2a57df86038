"""One event shape: the pipeline's events and Event.to_json() give the same bytes; the schema matches the model."""

from __future__ import annotations

from typing import Any

import pytest

from hilt import Event
from hilt._format import CORE_KEYS, FORMAT_VERSION, render_completion, render_prompt, shape_event
from hilt._record import STATUS_CANCELLED, STATUS_ERROR, CallRecord
from hilt.processors import CostCalculator
from hilt.schema import load_schema
from hilt.writers.jsonl import dumps_event

from tests.test_schema import MS, T0, prompt_record  # the same chat call the schema tests use


def _record(**fields: Any) -> CallRecord:
    """A chat call whose request history holds a null (kept: nested values are written as given)."""
    record = prompt_record(
        prompt_content={"messages": [{"role": "assistant", "content": None, "tool_calls": []}, {"role": "user", "content": "Hi"}]},
        params={"model": "gpt-4o-mini", "temperature": None},
        user=None, tags=(), metadata={}, status_code=200, ended_ns=T0 + 5 * MS,
    )
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def _completed(**fields: Any) -> CallRecord:
    record = _record(**fields)
    render_prompt(record)
    CostCalculator()(record)
    return record


CASES = {
    "priced": lambda: _completed(response_model="gpt-4o-mini-2024-07-18", completion_text="Hello", tokens={"prompt": 3, "completion": 1, "total": 4}),
    "unknown model": lambda: _completed(request_model="no-such-model", completion_text="Hello", tokens={"prompt": 3, "completion": 1}),
    "no usage": lambda: _completed(completion_text="Hello"),
    "tool call, no text": lambda: _completed(completion_content={"tool_calls": [{"id": "c", "name": "f", "arguments": "{}"}]}),
    "error": lambda: _completed(status=STATUS_ERROR, status_code=429, error_type="RateLimitError", error_message="slow down"),
    "stream cut short": lambda: _completed(status=STATUS_CANCELLED, stream=True, stream_started=True, completion_text="Hel", first_token_ns=T0 + MS),
    "context": lambda: _completed(user="alice", tags=("a",), metadata={"k": None}, completion_text="Hello"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pipeline_event_and_event_to_json_are_byte_identical(case: str) -> None:
    """Each rendered event, read back into Event and written with to_json, gives the very same line."""
    record = CASES[case]()
    for event in (render_prompt(record), render_completion(record)):
        line = dumps_event(event)
        assert (Event.model_validate(event).to_json() + "\n").encode() == line
        assert Event.from_json(line).to_dict() == event


def test_unknown_cost_is_written_as_null_in_both_paths() -> None:
    """A completion whose price is unknown carries "cost_usd": null, whether rendered or built with Event."""
    event = render_completion(CASES["unknown model"]())
    assert event["metrics"] == {"tokens": {"prompt": 3, "completion": 1}, "cost_usd": None, "latency_ms": 5}
    assert event["extensions"]["cost_status"] == "unknown_model"
    built = Event(session_id="s", actor={"type": "agent", "id": "openai"}, action="completion", metrics={"latency_ms": 5})
    assert built.to_dict()["metrics"] == {"cost_usd": None, "latency_ms": 5}
    assert b'"cost_usd":null' in dumps_event(built.to_dict())


def test_shape_rules() -> None:
    """shape_event orders the core keys, drops empty parts and None values, keeps extensions as given."""
    event = shape_event(
        FORMAT_VERSION, "id", "2026-01-01T00:00:00+00:00", "s", {"type": "human", "id": "u", "name": None}, "prompt",
        content={"text": None}, metrics={"tokens": {}, "cost_usd": None}, provenance={}, extensions={"model": None},
    )
    assert event == {
        "hilt_version": "1.0.0", "event_id": "id", "timestamp": "2026-01-01T00:00:00+00:00", "session_id": "s",
        "actor": {"type": "human", "id": "u"}, "action": "prompt", "extensions": {"model": None},
    }
    assert tuple(event)[:6] == CORE_KEYS


def _json_types(node: dict[str, Any]) -> set[str]:
    """The JSON types a (pydantic or hand-written) schema node allows, null left out."""
    options = node.get("anyOf", [node])
    types: set[str] = set()
    for option in options:
        kind = option.get("type")
        if kind is None and "enum" in option:
            kind = "string"
        types.update([kind] if isinstance(kind, str) else kind or [])
    return types - {"null"}


def _resolve(model_schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return model_schema["$defs"][ref.rsplit("/", 1)[1]] if ref else node


def test_schema_matches_the_pydantic_model() -> None:
    """event.schema.json names the model's fields with the same JSON types, vocabularies and required core keys."""
    schema = load_schema()
    model = Event.model_json_schema(mode="serialization")
    assert schema["required"] == list(CORE_KEYS)
    assert schema["$id"].endswith(FORMAT_VERSION)
    assert set(schema["properties"]) == set(model["properties"])
    for name, node in model["properties"].items():
        model_node = _resolve(model, node)
        ours = schema["properties"][name]
        assert _json_types(ours) == (_json_types(model_node) or {"object"}), name
        if "enum" in model_node:
            assert ours["enum"] == model_node["enum"], name
        if model_node.get("properties"):  # Actor, Content, Metrics: same fields, same types
            extras = {"choices"} if name == "content" else set()  # documented extras of an open object
            assert set(ours["properties"]) == set(model_node["properties"]) | extras, name
            for field, field_node in model_node["properties"].items():
                assert _json_types(ours["properties"][field]) == _json_types(field_node), f"{name}.{field}"
            assert ours.get("required", []) == model_node.get("required", []), name
            assert ours["additionalProperties"] == model_node.get("additionalProperties", False), name
