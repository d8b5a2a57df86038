"""litellm (``completion``, ``acompletion``, ``embedding``) against the loopback server, with and without HILT.

litellm calls the SDK client's own ``post`` rather than ``chat.completions.create``: these calls are
recorded by HILT's low-level hook (``hilt/instrumentation/_lowlevel.py``).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("litellm", reason="litellm is not installed (tox -e frameworks installs it)")

import litellm  # noqa: E402

# litellm's own TypedDicts make pydantic warn when it builds their schema on the first call


from tests.frameworks._harness import arun_twice, assert_logged, run_twice  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Items? .* using the `ReadOnly` qualifier:UserWarning")


@pytest.fixture(autouse=True)
def _collect_litellm_event_loops() -> Iterator[None]:
    """litellm leaves event loops of its own unclosed, with or without HILT: collect them here, quietly,
    rather than in whatever test the garbage collector happens to run next."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


ASK = [{"role": "user", "content": "Tell me about the sea"}]


def _options(url: str) -> dict[str, Any]:
    return {"api_base": url, "api_key": "test-key", "max_retries": 0}


def _usage(response: Any) -> tuple[Any, ...]:
    usage = response.usage
    return usage.prompt_tokens, getattr(usage, "completion_tokens", None), usage.total_tokens


def test_completion(server, log_path: Path) -> None:
    """``litellm.completion`` is logged once with the server's tokens; the answer is unchanged."""

    def scenario(url: str) -> Any:
        response = litellm.completion(model="openai/gpt-4o-mini", messages=ASK, **_options(url))
        return response.choices[0].message.content, _usage(response)

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)
    assert runs.completions[0]["provenance"]["endpoint"] == "client.post /chat/completions"


def test_completion_stream(server, log_path: Path) -> None:
    """A streamed ``completion`` is logged once with the streamed text; the chunks the application reads are unchanged."""

    def scenario(url: str) -> Any:
        stream = litellm.completion(model="openai/gpt-4o-mini", messages=ASK, stream=True, **_options(url))
        return [chunk.choices[0].delta.content for chunk in stream]

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)
    assert "".join(t for t in runs.output if t) == server.reply


async def test_acompletion(server, log_path: Path) -> None:
    """``litellm.acompletion`` is logged once with the server's tokens."""

    async def scenario(url: str) -> Any:
        response = await litellm.acompletion(model="openai/gpt-4o-mini", messages=ASK, **_options(url))
        return response.choices[0].message.content, _usage(response)

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)


async def test_acompletion_stream(server, log_path: Path) -> None:
    """An async streamed ``acompletion`` is logged once with the streamed text."""

    async def scenario(url: str) -> Any:
        stream = await litellm.acompletion(model="openai/gpt-4o-mini", messages=ASK, stream=True, **_options(url))
        return [chunk.choices[0].delta.content async for chunk in stream]

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)


def test_two_turn_conversation(server, log_path: Path) -> None:
    """A second ``completion`` with the history and the first answer is threaded into the first one's conversation."""

    def scenario(url: str) -> Any:
        first = litellm.completion(model="openai/gpt-4o-mini", messages=ASK, **_options(url))
        history = [*ASK, first.choices[0].message.model_dump(), {"role": "user", "content": "And the ocean?"}]
        second = litellm.completion(model="openai/gpt-4o-mini", messages=history, **_options(url))
        return first.choices[0].message.content, second.choices[0].message.content

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=2, same_conversation=True)


def test_embedding(server, log_path: Path) -> None:
    """``litellm.embedding`` (sent through ``client.post`` unless ``encoding_format`` is given) is logged once."""

    def scenario(url: str) -> Any:
        plain = litellm.embedding(model="openai/text-embedding-3-small", input=["the sea"], **_options(url))
        formatted = litellm.embedding(
            model="openai/text-embedding-3-small", input=["waves", "sand"], encoding_format="float", **_options(url)
        )
        return [d["embedding"] for d in plain.data + formatted.data], plain.usage.prompt_tokens

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=2)
    endpoints = [e["provenance"]["endpoint"] for e in runs.completions]
    # litellm reuses its client: ``embeddings.with_raw_response`` was bound by the run without HILT, so
    # that call reaches HILT only at the client level
    assert endpoints[0] == "client.post /embeddings" and endpoints[1] in ("client.post /embeddings", "embeddings.create")


async def test_aembedding(server, log_path: Path) -> None:
    """``litellm.aembedding`` is logged once."""

    async def scenario(url: str) -> Any:
        response = await litellm.aembedding(model="openai/text-embedding-3-small", input=["the sea"], **_options(url))
        return [d["embedding"] for d in response.data]

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)


def test_agent_door_logs_every_litellm_call(server, tmp_path: Path) -> None:
    """Under ``HILT_ENABLED=1`` a litellm script gets one pair per request for its chat, stream and embedding calls."""
    script = tmp_path / "app.py"
    script.write_text(
        "import sys, litellm\n"
        "opts = dict(api_base=sys.argv[1], api_key='k', max_retries=0)\n"
        "ask = [{'role': 'user', 'content': 'hi'}]\n"
        "print(litellm.completion(model='openai/gpt-4o-mini', messages=ask, **opts).choices[0].message.content)\n"
        "print(''.join(c.choices[0].delta.content or '' for c in "
        "litellm.completion(model='openai/gpt-4o-mini', messages=ask, stream=True, **opts)))\n"
        "print(len(litellm.embedding(model='openai/text-embedding-3-small', input=['x'], **opts).data))\n",
        encoding="utf-8",
    )
    log = tmp_path / "events.jsonl"
    env = {**os.environ, "HILT_ENABLED": "1", "HILT_FILEPATH": str(log)}
    server.clear()
    result = subprocess.run([sys.executable, str(script), server.base_url], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [server.reply, server.reply, "1"]
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(server.requests) == 3
    assert [(e["action"], e["provenance"]["endpoint"]) for e in events] == [
        (action, endpoint)
        for endpoint in ("client.post /chat/completions", "client.post /chat/completions", "client.post /embeddings")
        for action in ("prompt", "completion")
    ]
