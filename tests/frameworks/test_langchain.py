"""langchain-openai (``ChatOpenAI``, ``OpenAIEmbeddings``) against the loopback server, with and without HILT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

pytest.importorskip("langchain_openai", reason="langchain-openai is not installed (tox -e frameworks installs it)")

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage  # noqa: E402
from langchain_openai import ChatOpenAI, OpenAIEmbeddings  # noqa: E402


from tests.frameworks._harness import arun_twice, assert_logged, run_twice  # noqa: E402


def _chat(base_url: str, **options: Any) -> ChatOpenAI:
    return ChatOpenAI(model="gpt-4o-mini", base_url=base_url, api_key="test-key", max_retries=0, **options)


def _seen(message: BaseMessage) -> tuple[Any, ...]:
    """What the application reads from an answer (the reply ids differ from run to run)."""
    return (type(message).__name__, message.content if isinstance(message.content, str) else message.text, getattr(message, "usage_metadata", None))


def test_invoke(server, log_path: Path) -> None:
    """A plain ``invoke`` is logged once with the server's tokens, and the answer is the same as without HILT."""
    runs = run_twice(server, log_path, lambda url: _seen(_chat(url).invoke("Tell me a joke")))
    assert_logged(server, runs, calls=1)
    assert runs.output[1] == server.reply


def test_stream(server, log_path: Path) -> None:
    """A streamed call is logged once with the streamed text; LangChain asks for no usage here, so no tokens."""

    def scenario(url: str) -> list[Any]:
        return [(chunk.content, chunk.usage_metadata) for chunk in _chat(url).stream("Tell me a joke")]

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)
    assert "".join(text for text, _ in runs.output) == server.reply


def test_stream_with_hilt_stream_usage(server, log_path: Path) -> None:
    """HILT's ``stream_usage`` setting: LangChain gets the same chunks (no usage), the log has the server's tokens."""

    def scenario(url: str) -> list[Any]:
        return [(chunk.content, chunk.usage_metadata) for chunk in _chat(url).stream("Tell me a joke")]

    runs = run_twice(server, log_path, scenario, stream_usage=True)
    assert_logged(server, runs, calls=1)
    assert runs.completions[0]["metrics"]["tokens"]["total"] == 14 and all(usage is None for _, usage in runs.output)


def test_stream_with_stream_usage(server, log_path: Path) -> None:
    """With ``stream_usage=True`` LangChain asks for usage itself and HILT logs the server's tokens."""

    def scenario(url: str) -> list[Any]:
        return [(chunk.content, chunk.usage_metadata) for chunk in _chat(url, stream_usage=True).stream("Hi")]

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)
    reported = [usage for _, usage in runs.output if usage]
    assert [runs.completions[0]["metrics"]["tokens"]["total"]] == [usage["total_tokens"] for usage in reported]


async def test_ainvoke(server, log_path: Path) -> None:
    """An async ``ainvoke`` is logged once with the server's tokens."""

    async def scenario(url: str) -> tuple[Any, ...]:
        async with openai.DefaultAsyncHttpxClient() as http:  # LangChain's own pool is never closed
            return _seen(await _chat(url, http_async_client=http).ainvoke("Tell me a joke"))

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)


async def test_astream(server, log_path: Path) -> None:
    """An async stream is logged once with the streamed text."""

    async def scenario(url: str) -> list[str]:
        async with openai.DefaultAsyncHttpxClient() as http:
            return [chunk.content async for chunk in _chat(url, http_async_client=http).astream("Tell me a joke")]

    runs = await arun_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)


def test_two_turn_conversation(server, log_path: Path) -> None:
    """A second turn that resends the history (with the first answer) is threaded into the first turn's conversation."""

    def scenario(url: str) -> list[Any]:
        llm = _chat(url)
        history: list[BaseMessage] = [HumanMessage("Plan a trip to Lisbon")]
        first = llm.invoke(history)
        history += [first, HumanMessage("And what should I pack?")]
        second = llm.invoke(history)
        return [_seen(first), _seen(second)]

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=2, same_conversation=True)


def test_embeddings(server, log_path: Path) -> None:
    """``embed_query`` and ``embed_documents`` are one logged call each, with the server's token counts."""

    def scenario(url: str) -> list[Any]:
        embeddings = OpenAIEmbeddings(
            model="text-embedding-3-small", base_url=url, api_key="test-key", max_retries=0,
            check_embedding_ctx_length=False,  # else tiktoken downloads its tables
        )
        return [embeddings.embed_query("the sea"), embeddings.embed_documents(["waves", "sand and stones"])]

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=2)
    assert runs.output[0] == pytest.approx(server.embedding_for("the sea"))


def test_responses_api_invoke(server, log_path: Path) -> None:
    """``use_responses_api=True``: the call goes to ``/responses`` and is logged once with its tokens."""
    runs = run_twice(server, log_path, lambda url: _seen(_chat(url, use_responses_api=True).invoke("Hi")))
    assert_logged(server, runs, calls=1)
    assert isinstance(runs.output[0], str) and runs.output[1] == server.reply


def test_responses_api_stream(server, log_path: Path) -> None:
    """``use_responses_api=True`` streamed: one pair with the streamed text and the usage of ``response.completed``."""

    def scenario(url: str) -> list[Any]:
        return [(chunk.text, chunk.usage_metadata) for chunk in _chat(url, use_responses_api=True).stream("Hi")]

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=1)
    assert "".join(text for text, _ in runs.output) == server.reply


def test_message_types_unchanged(server, log_path: Path) -> None:
    """HILT hands LangChain the same SDK objects: the answer is still an ``AIMessage`` with the server's usage."""
    runs = run_twice(server, log_path, lambda url: _chat(url).invoke("Hi"))
    assert isinstance(runs.output, AIMessage)
    assert runs.output.usage_metadata == runs.plain.usage_metadata
    assert runs.output.content == runs.plain.content == server.reply


def test_responses_api_two_turn_conversation(server, log_path: Path) -> None:
    """``use_responses_api=True`` resends the whole history as ``input``: both turns share one conversation."""

    def scenario(url: str) -> list[Any]:
        llm = _chat(url, use_responses_api=True)
        history: list[BaseMessage] = [HumanMessage("Plan a trip to Lisbon")]
        first = llm.invoke(history)
        history += [first, HumanMessage("And what should I pack?")]
        return [_seen(first), _seen(llm.invoke(history))]

    runs = run_twice(server, log_path, scenario)
    assert_logged(server, runs, calls=2, same_conversation=True)
