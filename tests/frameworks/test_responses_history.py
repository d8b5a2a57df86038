"""Responses API calls that resend the whole history as ``input`` are threaded like chat histories.

These tests need only the ``openai`` SDK: they run in the default suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt._conversations import prefix_digests
from hilt.providers.openai._history import input_history, output_answer

from tests._surfaces import needs_responses

TOOLS = [{"type": "function", "name": "weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]


def _sessions(log: Path) -> list[str]:
    hilt.uninstrument()
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["action"] for e in events] == ["prompt", "completion"] * (len(events) // 2)
    return [e["session_id"] for e in events if e["action"] == "prompt"]


@needs_responses
def test_resent_output_items_continue_the_conversation(client: Any, instrumented: Path) -> None:
    """A second call whose ``input`` is the first input, the first ``output`` (SDK objects) and a new message shares its conversation."""
    first = client.responses.create(model="gpt-4o-mini", input="Plan a trip to Lisbon")
    client.responses.create(
        model="gpt-4o-mini",
        input=[{"role": "user", "content": "Plan a trip to Lisbon"}, *first.output, {"role": "user", "content": "And packing?"}],
    )
    client.responses.create(model="gpt-4o-mini", input="Plan a trip to Porto")
    one, two, other = _sessions(instrumented)
    assert one == two and other != one


@needs_responses
def test_tool_call_round_trip_is_one_conversation(client: Any, instrumented: Path) -> None:
    """function_call → function_call_output → answer → next question: every turn is in the first turn's conversation."""
    ask = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.responses.create(model="gpt-4o-mini", input=ask, tools=TOOLS, extra_headers={"x-fake-tool-call": "weather"})
    call = first.output[0]
    assert call.type == "function_call"
    history = [*ask, call.model_dump(), {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}]
    second = client.responses.create(model="gpt-4o-mini", input=history, tools=TOOLS)
    history += [item.model_dump() for item in second.output] + [{"role": "user", "content": "And tomorrow?"}]
    client.responses.create(model="gpt-4o-mini", input=history, tools=TOOLS)
    sessions = _sessions(instrumented)
    assert len(set(sessions)) == 1 and len(sessions) == 3


@needs_responses
def test_streamed_turn_is_threaded(client: Any, instrumented: Path) -> None:
    """A streamed first turn's answer is remembered when the stream ends, so the resent history continues it."""
    with client.responses.create(model="gpt-4o-mini", input="Plan a trip", stream=True) as stream:
        events = list(stream)
    output = events[-1].response.output
    client.responses.create(model="gpt-4o-mini", input=[{"role": "user", "content": "Plan a trip"}, *output, {"role": "user", "content": "More"}])
    one, two = _sessions(instrumented)
    assert one == two


@needs_responses
def test_a_different_answer_starts_a_new_conversation(client: Any, instrumented: Path) -> None:
    """A history whose assistant turn is not what the model answered is not threaded onto that call."""
    client.responses.create(model="gpt-4o-mini", input="Plan a trip")
    forged = {"role": "assistant", "content": [{"type": "output_text", "text": "Something else"}]}
    client.responses.create(model="gpt-4o-mini", input=[{"role": "user", "content": "Plan a trip"}, forged, {"role": "user", "content": "More"}])
    one, two = _sessions(instrumented)
    assert one != two


def test_reasoning_items_do_not_change_the_history() -> None:
    """A resent history with or without the reasoning item of the answer has the same digests as the answer."""
    output = [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "thinking"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi!"}]},
    ]
    ask = {"role": "user", "content": [{"type": "input_text", "text": "Hello"}]}
    remembered = prefix_digests([*input_history([ask]), output_answer(output)])[-1]
    with_reasoning = prefix_digests(input_history([ask, *output, {"role": "user", "content": "next"}]))
    without = prefix_digests(input_history([ask, output[1], {"role": "user", "content": "next"}]))
    assert with_reasoning[1] == without[1] == remembered


def test_history_forms() -> None:
    """Items become chat-like messages: a run of outputs is one assistant turn, tool outputs are tool messages."""
    items = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{}"},
        {"type": "function_call", "call_id": "c2", "name": "time", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
    ]
    assert input_history(items) == [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "function": {"name": "weather", "arguments": "{}"}},
            {"id": "c2", "function": {"name": "time", "arguments": "{}"}},
        ]},
        {"role": "tool", "content": "sunny", "tool_call_id": "c1"},
        {"role": "assistant", "content": None},  # a hosted tool call ran on the server: nothing to match
    ]  # fmt: skip
    assert input_history("Hi") == [{"role": "user", "content": "Hi"}]
    assert input_history(iter(items)) is None


@pytest.mark.parametrize("value", [None, 3, {"role": "user"}])
def test_odd_input_gives_no_history(value: Any) -> None:
    """Input that is neither a string nor a list gives no history (and no error)."""
    assert input_history(value) is None
