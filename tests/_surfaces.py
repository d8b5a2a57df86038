"""Which OpenAI SDK surfaces exist in the installed version, and helpers to read HILT's pairs."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path
from typing import Any

import openai
import pytest

from hilt.testing import read_lines

OPENAI_VERSION = tuple(int(p) if p.isdigit() else 0 for p in openai.__version__.split(".")[:3])


def _has(module: str, attribute: str | None = None) -> bool:
    try:
        if importlib.util.find_spec(module) is None:
            return False
        return attribute is None or hasattr(importlib.import_module(module), attribute)
    except ImportError:
        return False


def _class_has(module: str, cls: str, method: str, parameter: str | None = None) -> bool:
    try:
        function = getattr(getattr(importlib.import_module(module), cls), method)
        return parameter is None or parameter in inspect.signature(function).parameters
    except (ImportError, AttributeError, TypeError, ValueError):
        return False


HAS_RESPONSES = _has("openai.resources.responses")
HAS_RESPONSES_PARSE = HAS_RESPONSES and _class_has("openai.resources.responses", "Responses", "parse")
HAS_RESPONSES_STREAM = HAS_RESPONSES and _class_has("openai.resources.responses", "Responses", "stream")
HAS_BETA_RESPONSES = _has("openai.resources.beta.responses")
HAS_RESPONSES_RESUME = HAS_RESPONSES and _class_has("openai.resources.responses", "Responses", "stream", "response_id")
HAS_RESPONSES_CONVERSATION = HAS_RESPONSES and _class_has(
    "openai.resources.responses", "Responses", "create", "conversation"
)
HAS_CHAT_PARSE = _class_has("openai.resources.chat.completions", "Completions", "parse")
HAS_CHAT_STREAM = _class_has("openai.resources.chat.completions", "Completions", "stream")

needs_responses = pytest.mark.skipif(not HAS_RESPONSES, reason="client.responses arrived in openai 1.66")
needs_responses_parse = pytest.mark.skipif(not HAS_RESPONSES_PARSE, reason="responses.parse arrived after 1.66")
needs_responses_stream = pytest.mark.skipif(not HAS_RESPONSES_STREAM, reason="responses.stream arrived after 1.66")
needs_beta_responses = pytest.mark.skipif(
    not HAS_BETA_RESPONSES, reason="client.beta.responses is a separate class only in openai 3.x"
)
needs_responses_resume = pytest.mark.skipif(
    not HAS_RESPONSES_RESUME, reason="responses.stream(response_id=...) arrived after 1.66"
)
needs_responses_conversation = pytest.mark.skipif(
    not HAS_RESPONSES_CONVERSATION, reason="the conversation parameter of responses.create arrived in openai 1.101"
)
needs_chat_parse = pytest.mark.skipif(
    not HAS_CHAT_PARSE, reason="chat.completions.parse (non-beta) arrived in openai ~1.92"
)
needs_chat_stream = pytest.mark.skipif(
    not HAS_CHAT_STREAM, reason="chat.completions.stream (non-beta) arrived in openai ~1.92"
)


def skip_unless_raw(resource: object, method: str, kind: str = "with_raw_response") -> None:
    """Skip when this SDK offers no ``<resource>.<kind>.<method>``."""
    if not hasattr(getattr(resource, kind), method):
        pytest.skip(f"this openai version has no {kind}.{method} on {type(resource).__name__}")


def pairs(path: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The (prompt, completion-or-system) pairs of a log; fails unless every prompt has exactly one reply."""
    events = read_lines(path)
    prompts = [e for e in events if e["action"] == "prompt"]
    replies = [e for e in events if e["action"] != "prompt"]
    by_reply = {}
    for reply in replies:
        key = reply["extensions"]["reply_to"]
        assert key not in by_reply, f"two replies to prompt {key}"
        by_reply[key] = reply
    assert len(replies) == len(prompts), f"{len(prompts)} prompts, {len(replies)} replies"
    return [(p, by_reply[p["event_id"]]) for p in prompts]


def one_pair(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The only pair of a log."""
    found = pairs(path)
    assert len(found) == 1, f"expected one prompt/completion pair, found {len(found)}"
    return found[0]
