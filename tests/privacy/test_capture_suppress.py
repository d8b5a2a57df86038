"""``hilt.suppress()``: the calls inside it are not recorded and go to the SDK exactly as without HILT."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.testing import FakeOpenAIServer, read_lines

MESSAGES = [{"role": "user", "content": "hi"}]


def _lines(log_path: Path) -> list[dict[str, Any]]:
    hilt.uninstrument()
    return read_lines(log_path) if log_path.exists() else []


def test_suppressed_calls_create_no_record_and_no_event(client: Any, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside suppress() no record reaches the pipeline and nothing is written; the calls around it are logged."""
    state = hilt.instrument(filepath=str(log_path))
    begun: list[str] = []
    begin = state.pipeline.begin
    monkeypatch.setattr(state.pipeline, "begin", lambda record: (begun.append(record.endpoint), begin(record)))
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "before"}])
    with hilt.suppress():
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hidden"}])
        client.embeddings.create(model="text-embedding-3-small", input="hidden")
        with hilt.suppress():  # nested: still suppressed after the inner block ends
            pass
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hidden too"}])
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "after"}])
    assert reply.choices[0].message.content == "Hello! How can I help you today?"
    assert begun == ["chat.completions.create", "chat.completions.create"]
    assert [e["content"]["text"] for e in _lines(log_path) if e["action"] == "prompt"] == ["before", "after"]


def test_a_suppressed_stream_is_the_sdks_own_and_reads_the_same(client: Any, log_path: Path) -> None:
    """A stream made inside suppress() is the SDK's Stream, yields the same chunks, and is not logged even when read after the block."""
    hilt.instrument(filepath=str(log_path))
    with hilt.suppress():
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert type(stream).__module__.startswith("openai")
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Hello! How can I help you today?"
    assert _lines(log_path) == []


def test_suppressed_request_body_is_unchanged_by_stream_usage(server: FakeOpenAIServer, client: Any, log_path: Path) -> None:
    """With stream_usage on, a recorded stream asks for usage but a suppressed one is sent exactly as the application wrote it."""
    hilt.instrument(filepath=str(log_path), stream_usage=True)
    server.clear()
    for _ in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
        pass
    with hilt.suppress():
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
            pass
    recorded, suppressed = (json.loads(r.body) for r in server.requests)
    assert recorded.get("stream_options") == {"include_usage": True}
    assert suppressed == {"messages": MESSAGES, "model": "gpt-4o-mini", "stream": True}
    assert len(_lines(log_path)) == 2


async def test_suppress_follows_asyncio_tasks(async_client: Any, log_path: Path) -> None:
    """A task created inside suppress() inherits it; a task created outside, running at the same time, is logged."""
    hilt.instrument(filepath=str(log_path))

    async def ask(text: str) -> None:
        await async_client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])

    with hilt.suppress():
        hidden = asyncio.ensure_future(ask("hidden"))
    await asyncio.gather(hidden, ask("shown"))
    assert [e["content"]["text"] for e in _lines(log_path) if e["action"] == "prompt"] == ["shown"]


def test_suppress_follows_contextvars_across_threads(client: Any, log_path: Path) -> None:
    """Like any context variable: a thread running a copied context is suppressed, a plain new thread is not."""
    hilt.instrument(filepath=str(log_path))

    def ask(text: str) -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])

    with hilt.suppress():
        copied = contextvars.copy_context()
        plain = threading.Thread(target=ask, args=("plain thread",))
        plain.start()
        plain.join()
    worker = threading.Thread(target=copied.run, args=(ask, "copied context"))
    worker.start()
    worker.join()
    assert [e["content"]["text"] for e in _lines(log_path) if e["action"] == "prompt"] == ["plain thread"]


def test_suppress_without_instrumentation_is_harmless(client: Any) -> None:
    """suppress() works when HILT is not instrumented: the call simply runs."""
    with hilt.suppress():
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert reply.choices[0].message.content == "Hello! How can I help you today?"


def test_an_exception_inside_suppress_leaves_recording_on(client: Any, log_path: Path) -> None:
    """An error raised in the block propagates unchanged and the next call is recorded."""
    hilt.instrument(filepath=str(log_path))
    with pytest.raises(KeyError), hilt.suppress():
        raise KeyError("boom")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(_lines(log_path)) == 2
