"""``capture_content``: full, metadata and hash; no text anywhere in metadata mode, in any backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt import ConfigError
from hilt._config import load_settings
from hilt.instrumentation._recorder import ERROR_MESSAGE_OMITTED
from hilt.testing import FakeOpenAIServer, read_lines

from tests._surfaces import HAS_RESPONSES
from tests.privacy._backends import every_backend

SECRET = "SECRET-7f3a"  # in every text the application sends or the model returns below
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": f"{SECRET} tool description",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": SECRET}}},
    },
}
ERROR_FRAME = json.dumps({"error": {"message": f"Invalid prompt {SECRET}", "type": "invalid_request_error", "param": None, "code": None}})


@pytest.fixture(scope="module")
def secret_server() -> Iterator[FakeOpenAIServer]:
    """A loopback server whose replies and tool-call arguments carry the secret, and a stream that fails echoing it."""
    with FakeOpenAIServer(reply=f"{SECRET} reply", tool_arguments=json.dumps({"city": SECRET})) as fake:
        fake.register_body("echo-error", [f"data: {ERROR_FRAME}\n\n".encode()])
        yield fake


@pytest.fixture
def secret_client(secret_server: FakeOpenAIServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=secret_server.base_url, api_key="test-key", max_retries=0) as client:
        yield client


def _call_everything(client: openai.OpenAI) -> int:
    """Chat (tools, tool history, a tool-call reply), a stream, a stream failing with an echo, embeddings,
    legacy completions and Responses when the SDK has it; returns the number of calls."""
    history = [
        {"role": "system", "content": f"{SECRET} system"},
        {"role": "user", "content": f"{SECRET} question"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps({"city": SECRET})}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": f"{SECRET} tool result"},
    ]  # fmt: skip
    client.chat.completions.create(model="gpt-4o-mini", messages=history, tools=[TOOL], temperature=0.2, user="user-42")
    client.chat.completions.create(
        model="gpt-4o-mini", messages=history[:2], tools=[TOOL], extra_headers={"x-fake-tool-call": "get_weather"}
    )
    for _ in client.chat.completions.create(model="gpt-4o-mini", messages=history[:2], stream=True):
        pass
    with pytest.raises(openai.APIError, match=SECRET):
        for _ in client.chat.completions.create(
            model="gpt-4o-mini", messages=history[:2], stream=True, extra_headers={"x-fake-body": "echo-error"}
        ):
            pass
    client.embeddings.create(model="text-embedding-3-small", input=[f"{SECRET} one", f"{SECRET} two"])
    client.completions.create(model="gpt-3.5-turbo-instruct", prompt=f"{SECRET} complete this")
    if not HAS_RESPONSES:
        return 6
    client.responses.create(model="gpt-4o-mini", input=f"{SECRET} input", instructions=f"{SECRET} instructions")
    return 7


@pytest.mark.parametrize("mode", ["full", "metadata"])
def test_metadata_mode_leaves_no_text_in_any_backend(mode: str, secret_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In metadata mode the secret is in no JSONL line, Sheets cell or span attribute (in full mode it is in all
    three, so the scan sees it), while tokens, status, model and settings parameters are still recorded."""
    with every_backend(tmp_path, monkeypatch, spans=7 if HAS_RESPONSES else 6, capture_content=mode) as out:
        calls = _call_everything(secret_client)
    assert len(out.events) == 2 * calls and len(out.sheet_rows) == 1 + 2 * calls and len(out.spans) == calls
    if mode == "full":
        assert SECRET in out.jsonl and SECRET in json.dumps(out.sheet_rows)
        assert any(SECRET in json.dumps(span.attributes) for span in out.spans)
        return
    assert SECRET not in out.everything()
    first_prompt, first_reply = out.events[0], out.events[1]
    assert "content" not in first_prompt and "content" not in first_reply
    assert first_prompt["extensions"]["params"] == {
        "model": "gpt-4o-mini", "tools": [{"type": "function", "name": "get_weather"}], "temperature": 0.2, "user": "user-42"
    }
    assert first_reply["extensions"]["status"] == "ok" and first_reply["metrics"]["tokens"]["total"] > 0
    failed = [e for e in out.events if e["extensions"].get("status") == "error"]
    assert [(e["extensions"]["error_type"], e["extensions"]["error_message"]) for e in failed] == [("APIError", ERROR_MESSAGE_OMITTED)]


def test_conversation_sets_the_capture_mode_of_its_calls(client: Any, log_path: Path) -> None:
    """The innermost hilt.conversation(capture_content=...) decides for its calls; outside, the setting does."""
    hilt.instrument(filepath=str(log_path))

    def ask(text: str) -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])

    ask("outside")
    with hilt.conversation(capture_content="metadata"):
        ask("quiet")
        with hilt.conversation(tags=["inner"]):
            ask("inherited")
        with hilt.conversation(capture_content=True):
            ask("loud again")
    ask("after")
    hilt.uninstrument()
    prompts = [e.get("content", {}).get("text") for e in read_lines(log_path) if e["action"] == "prompt"]
    assert prompts == ["outside", None, None, "loud again", "after"]


def test_each_record_carries_its_capture_mode(client: Any, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """record.capture_mode is the setting (hash here) unless a conversation overrides it, e.g. to metadata or full."""
    state = hilt.instrument(filepath=str(log_path), capture_content="hash")
    seen: list[str] = []
    begin = state.pipeline.begin
    monkeypatch.setattr(state.pipeline, "begin", lambda record: (seen.append(record.capture_mode), begin(record)))
    messages = [{"role": "user", "content": "hi"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    with hilt.conversation(capture_content="metadata"):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    with hilt.conversation(capture_content="FULL"):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert seen == ["hash", "metadata", "full"]


def test_conversation_rejects_an_unknown_mode() -> None:
    """A capture mode that is not full, metadata, hash or a boolean is a ConfigError naming the values."""
    with pytest.raises(ConfigError) as info:
        with hilt.conversation(capture_content="partial"):
            pass
    assert str(info.value) == (
        'hilt.conversation(): capture_content: expected one of "full", "metadata", "hash" '
        "(or a boolean: true is full, false is metadata), got 'partial'"
    )


@pytest.mark.parametrize(
    ("raw", "mode"),
    [("full", "full"), ("metadata", "metadata"), ("hash", "hash"), (" Hash ", "hash"), ("true", "full"), ("1", "full"), ("false", "metadata"), ("off", "metadata")],
)
def test_environment_values_map_to_modes(raw: str, mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """HILT_CAPTURE_CONTENT takes a mode name or a boolean word (true: full, false: metadata)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HILT_CAPTURE_CONTENT", raw)
    assert load_settings().capture_content == mode


@pytest.mark.parametrize(("value", "mode"), [(True, "full"), (False, "metadata"), ("hash", "hash")])
def test_instrument_accepts_booleans_and_modes(value: Any, mode: str, log_path: Path) -> None:
    """instrument(capture_content=True/False) keeps working as full/metadata."""
    assert hilt.instrument(filepath=str(log_path), capture_content=value).settings.capture_content == mode


def _user_and_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: str | None, project: str) -> str:
    """The capture mode resolved from a user config file (trusted) and an untrusted ./hilt.toml."""
    import os

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "hilt" / "hilt.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"capture_content = {user}\n" if user else "")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "hilt.toml").write_text(f"capture_content = {project}\n")
    monkeypatch.chdir(work)
    return load_settings().capture_content


@pytest.mark.parametrize(
    ("user", "project", "mode"),
    [
        (None, '"hash"', "hash"),
        (None, '"metadata"', "metadata"),
        (None, "false", "metadata"),
        ('"hash"', '"metadata"', "metadata"),
        ('"hash"', '"full"', "hash"),
        ('"hash"', "true", "hash"),
        ('"metadata"', '"hash"', "metadata"),
        ("false", '"full"', "metadata"),
    ],
)
def test_untrusted_project_file_may_only_lower_capture(user: str | None, project: str, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An untrusted ./hilt.toml may lower capture (full > hash > metadata), never raise it above the user's own setting."""
    assert _user_and_project(tmp_path, monkeypatch, user, project) == mode


def test_a_mode_word_that_is_not_a_mode_is_refused_in_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A TOML string other than full/metadata/hash is an error naming the file, the key and the values."""
    config = tmp_path / "explicit.toml"
    config.write_text('capture_content = "none"\n')
    monkeypatch.setenv("HILT_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (
        f'{config}: capture_content: expected one of "full", "metadata", "hash" '
        "(or a boolean: true is full, false is metadata), got 'none'"
    )
