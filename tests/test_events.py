"""The HILT event model: defaults, vocabularies, lenient reading, serialization."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from hilt import Actor, Content, Event, Metrics
from hilt._ids import new_event_id
from hilt.events import ALLOWED_ACTIONS, ALLOWED_ACTOR_TYPES, FORMAT_VERSION

HUMAN = {"type": "human", "id": "user"}


def make(**fields: object) -> Event:
    data: dict[str, object] = {"session_id": "conv_1", "actor": HUMAN, "action": "prompt"}
    data.update(fields)
    return Event.model_validate(data)


def test_event_ids_are_uuid7_and_time_ordered() -> None:
    """Default event ids are version-7 RFC 4122 UUIDs whose string order is creation order."""
    before_ms = time.time_ns() // 1_000_000
    ids = [make().event_id for _ in range(2000)]
    after_ms = time.time_ns() // 1_000_000
    assert len(set(ids)) == 2000
    assert sorted(ids) == ids
    for value in (ids[0], ids[-1]):
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
    assert before_ms <= uuid.UUID(ids[0]).int >> 80 <= uuid.UUID(ids[-1]).int >> 80 <= after_ms + 1


def test_new_event_id_orders_ids_within_one_millisecond() -> None:
    """Ids made in the same millisecond differ only in a rising counter, so they still sort in order."""
    ids = [new_event_id() for _ in range(50)]
    assert sorted(ids) == ids
    assert len(set(ids)) == 50


def test_timestamp_default_is_utc_iso_with_offset() -> None:
    """The default timestamp is now in UTC and serializes as ISO 8601 ending in +00:00."""
    before = datetime.now(timezone.utc)
    event = make()
    after = datetime.now(timezone.utc)
    assert event.timestamp.utcoffset() == timedelta(0)
    assert before <= event.timestamp <= after
    written = event.to_dict()["timestamp"]
    assert written.endswith("+00:00")
    assert datetime.fromisoformat(written) == event.timestamp


def test_hilt_version_default() -> None:
    """Every event carries the format version 1.0.0 and writes it first."""
    data = make().to_dict()
    assert FORMAT_VERSION == "1.0.0"
    assert list(data)[:6] == ["hilt_version", "event_id", "timestamp", "session_id", "actor", "action"]
    assert data["hilt_version"] == "1.0.0"


def test_vocabularies() -> None:
    """The actor types and actions are exactly those of the HILT format."""
    assert ALLOWED_ACTOR_TYPES == {"human", "agent", "tool", "system"}
    assert ALLOWED_ACTIONS == {
        "prompt", "completion", "completion_chunk", "retrieval", "tool_call", "tool_result", "system", "feedback",
    }


@pytest.mark.parametrize("actor_type", sorted(ALLOWED_ACTOR_TYPES))
def test_each_actor_type_is_accepted(actor_type: str) -> None:
    """Each of the four actor types builds an event."""
    assert make(actor={"type": actor_type, "id": "x"}).actor.type == actor_type


@pytest.mark.parametrize("action", sorted(ALLOWED_ACTIONS))
def test_each_action_is_accepted(action: str) -> None:
    """Each of the eight actions builds an event."""
    assert make(action=action).action == action


def test_unknown_actor_type_is_rejected() -> None:
    """An actor type outside the vocabulary fails validation at actor.type."""
    with pytest.raises(ValidationError) as caught:
        make(actor={"type": "robot", "id": "x"})
    assert [e["loc"] for e in caught.value.errors()] == [("actor", "type")]


def test_unknown_action_is_rejected() -> None:
    """An action outside the vocabulary (e.g. "error") fails validation at action."""
    with pytest.raises(ValidationError) as caught:
        make(action="error")
    assert [e["loc"] for e in caught.value.errors()] == [("action",)]


def test_required_fields() -> None:
    """session_id, actor and action are required; the rest has defaults."""
    with pytest.raises(ValidationError) as caught:
        Event.model_validate({})
    assert sorted(e["loc"][0] for e in caught.value.errors()) == ["action", "actor", "session_id"]


def test_missing_optional_parts_read_as_empty_objects() -> None:
    """A line without content, metrics or extensions reads back with empty objects, so the README accessors work."""
    event = Event.from_json('{"session_id": "c", "actor": {"type": "agent", "id": "openai"}, "action": "completion"}')
    assert event.content == Content()
    assert event.metrics == Metrics()
    assert event.content.text is None
    assert event.metrics.tokens.get("total", 0) == 0
    assert event.metrics.cost_usd is None
    assert event.extensions.get("status_code") is None
    assert event.provenance == {}


def test_null_optional_parts_read_as_empty_objects() -> None:
    """Explicit nulls for content, metrics, metrics.tokens, provenance and extensions read as empty objects."""
    event = make(content=None, metrics={"tokens": None}, provenance=None, extensions=None)
    assert event.content.text is None
    assert event.metrics.tokens == {}
    assert event.provenance == {}
    assert event.extensions == {}


def test_z_timestamp_is_accepted() -> None:
    """A timestamp ending in Z reads as UTC."""
    event = make(timestamp="2026-11-27T02:36:43.418570Z")
    assert event.timestamp == datetime(2026, 11, 27, 2, 36, 43, 418570, tzinfo=timezone.utc)
    assert event.to_dict()["timestamp"] == "2026-11-27T02:36:43.418570+00:00"


def test_other_offsets_are_converted_to_utc() -> None:
    """A timestamp with another offset, or a naive one, is stored and written in UTC."""
    assert make(timestamp="2026-11-27T04:36:43+02:00").to_dict()["timestamp"] == "2026-11-27T02:36:43+00:00"
    assert make(timestamp=datetime(2026, 1, 2, 3, 4, 5)).to_dict()["timestamp"] == "2026-01-02T03:04:05+00:00"


def test_actor_extra_keys_are_ignored_on_read() -> None:
    """An actor key outside type/id/name/metadata is dropped when reading, not an error."""
    event = make(actor={"type": "agent", "id": "openai", "name": "gpt-4o-mini", "colour": "blue"})
    assert event.actor == Actor(type="agent", id="openai", name="gpt-4o-mini")
    assert event.to_dict()["actor"] == {"type": "agent", "id": "openai", "name": "gpt-4o-mini"}


def test_cost_as_numeric_string_reads_as_float() -> None:
    """The reference writer's string cost "0.000006" reads as the number 6e-06."""
    assert make(metrics={"cost_usd": "0.000006"}).metrics.cost_usd == 0.000006


def test_null_token_count_is_rejected() -> None:
    """A null token count is not a valid event (unknown counts are left out)."""
    with pytest.raises(ValidationError) as caught:
        make(metrics={"tokens": {"prompt": None}})
    assert [e["loc"] for e in caught.value.errors()] == [("metrics", "tokens", "prompt")]


def test_to_dict_drops_empty_parts() -> None:
    """to_dict leaves out empty content, metrics, provenance, extensions, empty tokens and None values."""
    event = make(
        event_id="01900000-0000-7000-8000-000000000000",
        timestamp="2026-01-01T00:00:00+00:00",
        content={"text": None},
        metrics={"tokens": {}, "cost_usd": None},
        provenance={},
        extensions={},
    )
    assert event.to_dict() == {
        "hilt_version": "1.0.0",
        "event_id": "01900000-0000-7000-8000-000000000000",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "session_id": "conv_1",
        "actor": {"type": "human", "id": "user"},
        "action": "prompt",
    }


def test_to_dict_keeps_filled_parts_and_extras() -> None:
    """Filled content, metrics (with extras), provenance and extensions are written as given, Nones dropped."""
    event = make(
        event_id="01900000-0000-7000-8000-000000000001",
        timestamp="2026-01-01T00:00:00.123456+00:00",
        actor={"type": "agent", "id": "openai", "name": "gpt-4o-mini"},
        action="completion",
        content={"text": "Hi", "tool_calls": [{"id": "call_1"}], "refusal": None, "parsed": {"a": 1}},
        metrics={"tokens": {"prompt": 11, "completion": 7, "total": 18}, "cost_usd": 6e-06, "latency_ms": 9,
                 "ttft_ms": 1.5, "cost_status": "ok"},
        provenance={"source": "hilt"},
        extensions={"reply_to": "x", "status_code": 200},
    )
    assert event.to_dict() == {
        "hilt_version": "1.0.0",
        "event_id": "01900000-0000-7000-8000-000000000001",
        "timestamp": "2026-01-01T00:00:00.123456+00:00",
        "session_id": "conv_1",
        "actor": {"type": "agent", "id": "openai", "name": "gpt-4o-mini"},
        "action": "completion",
        "content": {"text": "Hi", "tool_calls": [{"id": "call_1"}], "parsed": {"a": 1}},
        "metrics": {"tokens": {"prompt": 11, "completion": 7, "total": 18}, "cost_usd": 6e-06, "latency_ms": 9,
                    "ttft_ms": 1.5, "cost_status": "ok"},
        "provenance": {"source": "hilt"},
        "extensions": {"reply_to": "x", "status_code": 200},
    }


def test_round_trip_through_json() -> None:
    """An event written with to_json reads back equal, and its JSON is the to_dict shape without spaces."""
    event = make(
        content={"text": "héllo", "messages": [{"role": "user", "content": "héllo"}]},
        metrics={"tokens": {"prompt": 3, "cached": 0}, "cost_usd": 0.5, "latency_ms": 12},
        extensions={"model": "gpt-4o-mini"},
    )
    line = event.to_json()
    assert "\n" not in line
    assert "héllo" in line  # not ASCII-escaped
    assert json.loads(line) == event.to_dict()
    again = Event.from_json(line)
    assert again == event
    assert again.to_json() == line
