"""Run one framework scenario twice (without HILT, then with it) and check what HILT logged.

A scenario is a function of the loopback server's base URL that talks to the server through the
framework and returns what the application would see (texts, parsed objects, usage the framework
reports), with the reply ids left out since the server makes new ones for every request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hilt
from hilt.schema import validate_event
from hilt.testing import FakeOpenAIServer, RecordedRequest
from hilt.testing._replies import prompt_tokens, words

_KINDS = {"/chat/completions": "chat", "/responses": "responses", "/embeddings": "embeddings", "/completions": "completions"}


@dataclass
class Runs:
    """The outputs of both runs, and the requests and events of the instrumented one."""

    plain: Any
    output: Any
    requests: list[RecordedRequest]
    events: list[dict[str, Any]]

    @property
    def prompts(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["action"] == "prompt"]

    @property
    def completions(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["action"] == "completion"]


def _instrument(log: Path, options: dict[str, Any]) -> None:
    hilt.instrument(backend="local", filepath=str(log), **options)


def _events(log: Path) -> list[dict[str, Any]]:
    hilt.uninstrument()  # closes the writer: every event is on disk
    if not log.exists():
        return []
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for event in events:
        validate_event(event)
    return events


def run_twice(server: FakeOpenAIServer, log: Path, scenario: Callable[[str], Any], **options: Any) -> Runs:
    """``scenario`` without HILT, then with HILT (``options`` are HILT settings)."""
    hilt.uninstrument()
    plain = scenario(server.base_url)
    server.clear()
    _instrument(log, options)
    output = scenario(server.base_url)
    return Runs(plain, output, server.requests, _events(log))


async def arun_twice(
    server: FakeOpenAIServer, log: Path, scenario: Callable[[str], Awaitable[Any]], **options: Any
) -> Runs:
    """:func:`run_twice` for a coroutine scenario (both runs in the test's event loop)."""
    hilt.uninstrument()
    plain = await scenario(server.base_url)
    server.clear()
    _instrument(log, options)
    output = await scenario(server.base_url)
    return Runs(plain, output, server.requests, _events(log))


def kind_of(request: RecordedRequest) -> str:
    """``chat``, ``responses``, ``embeddings`` or ``completions`` from the request path."""
    path = request.path.removeprefix("/v1")
    return _KINDS[path]


def expected_tokens(server: FakeOpenAIServer, request: RecordedRequest) -> dict[str, int]:
    """The usage the server sent for ``request`` (its token rule, see ``hilt.testing._replies``)."""
    kind, payload = kind_of(request), request.json()
    prompt = prompt_tokens(kind, payload)
    if kind == "embeddings":
        return {"prompt": prompt, "total": prompt}
    completion = words(server.reply) * (payload.get("n") or 1)
    return {"prompt": prompt, "completion": completion, "total": prompt + completion}


def _server_sent_usage(request: RecordedRequest) -> bool:
    payload = request.json()
    if payload.get("stream") is not True or kind_of(request) == "responses":
        return True
    return (payload.get("stream_options") or {}).get("include_usage") is True


def assert_logged(server: FakeOpenAIServer, runs: Runs, *, calls: int, same_conversation: bool = False) -> None:
    """One prompt/completion pair per request, in order, with the server's tokens and reply text."""
    assert runs.output == runs.plain
    assert len(runs.requests) == calls
    assert len(runs.prompts) == calls and len(runs.completions) == calls, [e["action"] for e in runs.events]
    for request, prompt, completion in zip(runs.requests, runs.prompts, runs.completions):
        kind = kind_of(request)
        assert completion["extensions"]["reply_to"] == prompt["event_id"]
        assert completion["extensions"]["status"] == "ok"
        assert completion["session_id"] == prompt["session_id"]
        assert prompt["extensions"]["model"] == request.json()["model"]
        assert prompt["extensions"]["stream"] is (request.json().get("stream") is True)
        tokens = {k: v for k, v in completion["metrics"].get("tokens", {}).items() if k in ("prompt", "completion", "total")}
        assert tokens == (expected_tokens(server, request) if _server_sent_usage(request) else {})
        if kind in ("chat", "responses"):
            assert completion["content"]["text"] == server.reply
    if same_conversation:
        assert len({e["session_id"] for e in runs.events}) == 1
