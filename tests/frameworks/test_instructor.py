"""instructor (structured output over ``chat.completions``) against a loopback server that answers JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pydantic
import pytest

pytest.importorskip("instructor", reason="instructor is not installed (tox -e frameworks installs it)")

import instructor  # noqa: E402

from hilt.testing import FakeOpenAIServer  # noqa: E402

from tests.frameworks._harness import arun_twice, assert_logged, run_twice  # noqa: E402


class Person(pydantic.BaseModel):
    name: str
    age: int


@pytest.fixture(scope="module")
def json_server() -> Iterator[FakeOpenAIServer]:
    """A server whose every answer is a ``Person`` as JSON."""
    with FakeOpenAIServer(reply='{"name": "Ada", "age": 36}') as fake:
        yield fake


ASK = [{"role": "user", "content": "Who wrote the first program?"}]


def test_create(json_server: FakeOpenAIServer, log_path: Path) -> None:
    """``create(response_model=...)`` is one logged call with the server's tokens; the parsed object is unchanged."""

    def scenario(url: str) -> Any:
        with openai.OpenAI(base_url=url, api_key="test-key", max_retries=0) as raw:
            client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
            person = client.chat.completions.create(model="gpt-4o-mini", response_model=Person, messages=ASK)
            return type(person).__name__, person.model_dump()  # the object also holds the raw reply (new ids)

    runs = run_twice(json_server, log_path, scenario)
    assert_logged(json_server, runs, calls=1)
    assert runs.output == ("Person", {"name": "Ada", "age": 36})


def partial_people(url: str) -> Any:
    """``create_partial`` over the JSON mode: every partial ``Person`` as a dict, in order."""
    with openai.OpenAI(base_url=url, api_key="test-key", max_retries=0) as raw:
        client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
        partials = client.chat.completions.create_partial(model="gpt-4o-mini", response_model=Person, messages=ASK)
        return [p.model_dump() for p in partials]


def test_create_partial_stream(json_server: FakeOpenAIServer, log_path: Path) -> None:
    """``create_partial`` streams: one logged call with the streamed JSON text; instructor never asks for usage."""

    runs = run_twice(json_server, log_path, partial_people)
    assert_logged(json_server, runs, calls=1)
    assert runs.output[-1] == {"name": "Ada", "age": 36}


def test_create_partial_with_hilt_stream_usage(json_server: FakeOpenAIServer, log_path: Path) -> None:
    """With HILT's ``stream_usage`` the same partial objects come out and the streamed call has its tokens."""

    runs = run_twice(json_server, log_path, partial_people, stream_usage=True)
    assert_logged(json_server, runs, calls=1)
    assert runs.completions[0]["metrics"]["tokens"]["completion"] == 4


async def test_async_create(json_server: FakeOpenAIServer, log_path: Path) -> None:
    """The async client is logged the same way."""

    async def scenario(url: str) -> Any:
        async with openai.AsyncOpenAI(base_url=url, api_key="test-key", max_retries=0) as raw:
            client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
            person = await client.chat.completions.create(model="gpt-4o-mini", response_model=Person, messages=ASK)
            return type(person).__name__, person.model_dump()

    runs = await arun_twice(json_server, log_path, scenario)
    assert_logged(json_server, runs, calls=1)


def test_two_turn_conversation(json_server: FakeOpenAIServer, log_path: Path) -> None:
    """A follow-up that resends the history with the first answer's completion message is threaded."""

    def scenario(url: str) -> Any:
        with openai.OpenAI(base_url=url, api_key="test-key", max_retries=0) as raw:
            client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
            first, completion = client.chat.completions.create_with_completion(
                model="gpt-4o-mini", response_model=Person, messages=ASK
            )
            history = [*ASK, completion.choices[0].message.model_dump(), {"role": "user", "content": "And a younger one?"}]
            second = client.chat.completions.create(model="gpt-4o-mini", response_model=Person, messages=history)
            return first.model_dump(), second.model_dump()

    runs = run_twice(json_server, log_path, scenario)
    assert_logged(json_server, runs, calls=2, same_conversation=True)
