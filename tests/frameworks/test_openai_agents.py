"""openai-agents (``Runner`` with the Chat Completions and the Responses models) against the loopback server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

pytest.importorskip("agents", reason="openai-agents is not installed (tox -e frameworks installs it)")

from agents import Agent, OpenAIChatCompletionsModel, OpenAIResponsesModel, Runner, set_tracing_disabled  # noqa: E402

set_tracing_disabled(True)  # the SDK's traces go to api.openai.com otherwise


from tests.frameworks._harness import arun_twice, assert_logged  # noqa: E402


def _agent(client: openai.AsyncOpenAI, responses: bool) -> Agent:
    model_class = OpenAIResponsesModel if responses else OpenAIChatCompletionsModel
    return Agent(name="guide", instructions="You are a travel guide.", model=model_class(model="gpt-4o-mini", openai_client=client))


def _client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=url, api_key="test-key", max_retries=0)


def _usage(result: Any) -> list[Any]:
    return [(r.usage.input_tokens, r.usage.output_tokens) for r in result.raw_responses]


@pytest.mark.parametrize("responses", [False, True], ids=["chat", "responses"])
async def test_run(server, log_path: Path, responses: bool) -> None:
    """``Runner.run``: one logged call with the server's tokens; the final output is unchanged."""

    async def scenario(url: str) -> Any:
        async with _client(url) as client:
            result = await Runner.run(_agent(client, responses), "Where should I go in May?")
            return result.final_output, _usage(result)

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)
    assert runs.output[0] == server.reply


@pytest.mark.parametrize("responses", [False, True], ids=["chat", "responses"])
async def test_run_streamed(server, log_path: Path, responses: bool) -> None:
    """``Runner.run_streamed``: one logged call with the streamed text; the application sees the same events."""

    async def scenario(url: str) -> Any:
        async with _client(url) as client:
            result = Runner.run_streamed(_agent(client, responses), "Where should I go in May?")
            deltas = [
                event.data.delta
                async for event in result.stream_events()
                if event.type == "raw_response_event" and event.data.type == "response.output_text.delta"
            ]
            return deltas, result.final_output

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)
    assert "".join(runs.output[0]) == server.reply


async def test_run_streamed_chat_with_hilt_stream_usage(server, log_path: Path) -> None:
    """The Chat Completions model streams without usage; HILT's ``stream_usage`` adds it without changing the run."""

    async def scenario(url: str) -> Any:
        async with _client(url) as client:
            result = Runner.run_streamed(_agent(client, False), "Where should I go in May?")
            kinds = [event.type async for event in result.stream_events()]
            return kinds, result.final_output, _usage(result)

    runs = await arun_twice(server, log_path, scenario, stream_usage=True)
    assert_logged(server, runs, calls=1)
    assert runs.completions[0]["metrics"]["tokens"]["completion"] == 7


@pytest.mark.parametrize("responses", [False, True], ids=["chat", "responses"])
async def test_two_turn_conversation(server, log_path: Path, responses: bool) -> None:
    """A second run fed ``to_input_list()`` of the first continues the first run's conversation."""

    async def scenario(url: str) -> Any:
        async with _client(url) as client:
            agent = _agent(client, responses)
            first = await Runner.run(agent, "Where should I go in May?")
            second = await Runner.run(agent, first.to_input_list() + [{"role": "user", "content": "And in June?"}])
            return first.final_output, second.final_output

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=2, same_conversation=True)
