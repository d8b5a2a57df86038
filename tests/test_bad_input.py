"""Odd arguments from the application: HILT stays fast, bounded and transparent, and the SDK has the last word."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import openai
import pytest

import hilt
from hilt.exceptions import ConfigError
from hilt.testing import FakeOpenAIServer, read_lines

from tests._surfaces import needs_responses

MARKER = "…[truncated: {} characters]"


def _within(seconds: float, call: Callable[[], Any]) -> BaseException | None:
    """Run ``call`` in a thread; fail the test if it takes longer than ``seconds``; return what it raised."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the call was still running after {seconds} s"
    return outcome[0]


def _self_containing() -> list[Any]:
    messages: list[Any] = [{"role": "user", "content": "hi"}]
    messages.extend([messages] * 3)
    return messages


def test_message_list_containing_itself_fails_fast_like_the_sdk(instrumented: Path, client: openai.OpenAI) -> None:
    """A message list that contains itself raises the SDK's own ValueError within seconds; HILT logs the cycle as a marker."""
    error = _within(10, lambda: client.chat.completions.create(model="gpt-4o-mini", messages=_self_containing()))
    assert type(error) is ValueError and str(error) == "Circular reference detected"
    prompt, system = read_lines(instrumented)
    looped = {"value": [{"role": "user", "content": "hi"}, "<cycle>", "<cycle>", "<cycle>"]}
    assert prompt["content"]["messages"] == [{"role": "user", "content": "hi"}, looped, looped, looped]
    assert system["extensions"]["error_type"] == "ValueError"


@needs_responses
def test_responses_input_containing_itself_fails_fast_like_the_sdk(instrumented: Path, client: openai.OpenAI) -> None:
    """A Responses input list that contains itself raises the SDK's own ValueError within seconds."""
    error = _within(10, lambda: client.responses.create(model="gpt-4o-mini", input=_self_containing()))
    assert type(error) is ValueError and str(error) == "Circular reference detected"
    prompt, _ = read_lines(instrumented)
    assert prompt["content"]["input"][1] == [{"role": "user", "content": "hi"}, "<cycle>", "<cycle>", "<cycle>"]


def test_a_cycle_inside_a_parameter_is_a_marker(log_path: Path, client: openai.OpenAI) -> None:
    """A parameter that contains itself gets the SDK's own exception, as without HILT; HILT logs the cycle as a marker."""
    stop: list[Any] = ["END"]
    stop.append(stop)

    def call() -> Any:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stop=stop
        )

    without_hilt = _within(10, call)
    hilt.instrument(filepath=str(log_path))
    with_hilt = _within(10, call)
    hilt.uninstrument()
    assert (
        (type(with_hilt), str(with_hilt))
        == (type(without_hilt), str(without_hilt))
        == (ValueError, "Circular reference detected")
    )
    prompt, _ = read_lines(log_path)
    assert prompt["extensions"]["params"]["stop"] == ["END", "<cycle>"]


def test_a_huge_message_is_cut_at_the_field_limit_with_its_length(log_path: Path, client: openai.OpenAI) -> None:
    """A 20 MB message is logged cut to max_field_chars (marker included), with the original length in the marker."""
    hilt.instrument(filepath=str(log_path))
    huge = "x" * 20_000_000
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": huge}])
    hilt.uninstrument()
    prompt, _ = read_lines(log_path)
    marker = MARKER.format(20_000_000)
    expected = "x" * (100_000 - len(marker)) + marker
    assert prompt["content"]["text"] == expected
    assert prompt["content"]["messages"] == [{"role": "user", "content": expected}]
    assert log_path.stat().st_size < 300_000


def test_the_field_limit_comes_from_the_environment(
    log_path: Path, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HILT_MAX_FIELD_CHARS=2000 cuts prompts and the answer at 2,000 characters."""
    monkeypatch.setenv("HILT_MAX_FIELD_CHARS", "2000")
    hilt.instrument(filepath=str(log_path))
    question, reply = "q" * 5_000, "a" * 3_000
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}], extra_headers={"x-fake-reply": reply}
    )
    hilt.uninstrument()
    prompt, completion = read_lines(log_path)
    assert prompt["content"]["text"] == "q" * (2000 - len(MARKER.format(5000))) + MARKER.format(5000)
    assert completion["content"]["text"] == "a" * (2000 - len(MARKER.format(3000))) + MARKER.format(3000)


@pytest.mark.parametrize("endpoint", ["chat", "completions", "responses"])
def test_a_long_streamed_answer_is_cut_with_its_full_length(
    log_path: Path, client: openai.OpenAI, endpoint: str
) -> None:
    """A streamed answer longer than the limit is kept up to the limit, with the streamed length in the marker."""
    if endpoint == "responses" and not hasattr(client, "responses"):
        pytest.skip("client.responses arrived in openai 1.66")
    hilt.instrument(filepath=str(log_path), max_field_chars=1000)
    reply = " ".join(f"w{i}" for i in range(1000))  # 4,889 characters, streamed word by word
    headers = {"x-fake-reply": reply}
    if endpoint == "chat":
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True, extra_headers=headers
        )
    elif endpoint == "completions":
        stream = client.completions.create(
            model="gpt-3.5-turbo-instruct", prompt="hi", stream=True, extra_headers=headers
        )
    else:
        stream = client.responses.create(model="gpt-4o-mini", input="hi", stream=True, extra_headers=headers)
    for _ in stream:
        pass
    hilt.uninstrument()
    _, completion = read_lines(log_path)
    marker = MARKER.format(len(reply))
    assert completion["content"]["text"] == reply[: 1000 - len(marker)] + marker
    if endpoint != "responses":  # the final Response carries the whole text: nothing was lost from the stream
        assert completion["extensions"]["content_truncated"] is True


def test_zero_means_no_limit(log_path: Path, client: openai.OpenAI) -> None:
    """max_field_chars=0 keeps a 150,000-character message whole."""
    hilt.instrument(filepath=str(log_path), max_field_chars=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "y" * 150_000}])
    hilt.uninstrument()
    prompt, _ = read_lines(log_path)
    assert prompt["content"]["text"] == "y" * 150_000


@pytest.mark.parametrize("value", ["abc", "999", "-1", "1.5"])
def test_a_bad_field_limit_is_a_clear_config_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """HILT_MAX_FIELD_CHARS must be 0 or a whole number from 1000: anything else names the variable and what it expects."""
    monkeypatch.setenv("HILT_MAX_FIELD_CHARS", value)
    with pytest.raises(ConfigError) as caught:
        hilt.instrument()
    assert str(caught.value) == (
        f"environment variable HILT_MAX_FIELD_CHARS: max_field_chars: expected a whole number of characters, "
        f"1000 or more (0: no limit), got '{value}'"
    )


def test_the_toml_field_limit_must_be_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """max_field_chars = "big" in a TOML file is an error that names the file and the key."""
    from hilt._config import load_settings

    config = tmp_path / "hilt.toml"
    config.write_text('max_field_chars = "big"\n')
    monkeypatch.setenv("HILT_CONFIG", str(config))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == f"{config}: max_field_chars: expected a whole number of characters, got 'big'"


def test_a_data_url_image_is_described_not_copied(
    instrumented: Path, client: openai.OpenAI, server: FakeOpenAIServer
) -> None:
    """An inline base64 image is logged as its media type and length, whatever the field limit."""
    url = "data:image/png;base64," + "A" * 5_000
    message = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
    client.chat.completions.create(model="gpt-4o-mini", messages=[message])
    prompt, _ = read_lines(instrumented)
    assert prompt["content"]["messages"][0]["content"][0]["image_url"] == {
        "url": "data:image/png;base64,<5022 characters omitted>"
    }


def test_long_streamed_tool_arguments_are_cut_like_text(log_path: Path) -> None:
    """Tool-call arguments streamed in many pieces are joined once and cut at the field limit with their length."""
    arguments = '{"city": "' + "x " * 1500 + '"}'
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    hilt.instrument(filepath=str(log_path), max_field_chars=1000)
    with FakeOpenAIServer(tool_arguments=arguments) as server:
        with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
            stream = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "hi"}],
                tools=[tool],
                stream=True,
                extra_headers={"x-fake-tool-call": "get_weather"},
            )
            pieces = sum(1 for _ in stream)
    hilt.uninstrument()
    assert pieces > 1000
    _, completion = read_lines(log_path)
    marker = MARKER.format(len(arguments))
    assert completion["content"]["tool_calls"][0]["arguments"] == arguments[: 1000 - len(marker)] + marker
    assert completion["extensions"]["content_truncated"] is True


def test_inline_base64_audio_is_described_not_copied(instrumented: Path, client: openai.OpenAI) -> None:
    """Base64 audio in an input_audio part is logged as its length; a "data" value that is not base64 stays as it is."""
    audio = {"type": "input_audio", "input_audio": {"data": "UklGR" + "A" * 4995, "format": "wav"}}
    note = {"type": "text", "text": "hi", "data": "plain words, not base64 at all, kept as they are in the log"}
    client.chat.completions.create(model="gpt-4o-audio-preview", messages=[{"role": "user", "content": [audio, note]}])
    prompt, _ = read_lines(instrumented)
    parts = prompt["content"]["messages"][0]["content"]
    assert parts[0]["input_audio"] == {"data": "<5000 characters of base64 omitted>", "format": "wav"}
    assert parts[1]["data"] == note["data"]
