"""The ``hash`` capture mode's transform: texts become keyed hashes (equal texts group), structure stays readable."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt._pipeline import Pipeline
from hilt._record import CallRecord
from hilt.privacy import REDACTION_FAILED, EventProtector, Redactor
from hilt.privacy._hashing import TextHasher, key_path, load_key
from hilt.testing import read_lines
from hilt.writers.jsonl import JsonlWriter


def expected_hash(text: str) -> str:
    return "hmac-sha256:" + hmac.new(load_key(), text.encode(), hashlib.sha256).hexdigest()[:32]


def test_key_is_created_private_and_reused() -> None:
    """The key is 32 random bytes in the state folder: file 0600, folder 0700, the same for every hasher and process."""
    digest = TextHasher()("hello")
    path = key_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(path.read_bytes()) == 32
    assert digest == expected_hash("hello") == TextHasher()("hello")
    other = subprocess.run([sys.executable, "-c", "from hilt.privacy._hashing import TextHasher; print(TextHasher()('hello'))"],
                           capture_output=True, text=True, check=True, env=os.environ)  # fmt: skip
    assert other.stdout.strip() == digest
    assert TextHasher()("hello!") != digest


def test_a_bad_key_file_is_refused(tmp_path: Path) -> None:
    """A key file of the wrong size is an error that says how to recover (the field then fails closed)."""
    bad = tmp_path / "hash.key"
    bad.write_bytes(b"short")
    with pytest.raises(ValueError, match="delete it to create a new one"):
        TextHasher(bad)("x")


def _events(client: Any, log_path: Path, **call: Any) -> list[dict[str, Any]]:
    """The events HILT renders for one real chat call (content captured in full)."""
    hilt.instrument(filepath=str(log_path))
    client.chat.completions.create(model="gpt-4o-mini", **call)
    hilt.uninstrument()
    return read_lines(log_path)


def test_hash_mode_hashes_text_and_keeps_structure(server, client, log_path: Path) -> None:
    """Message contents, the answer's tool-call arguments and tool descriptions become hashes; roles, ids,
    tool names, the model and settings parameters stay readable, and equal texts get equal hashes."""
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", "parameters": {"type": "object"}}}]
    prompt, completion = _events(
        client, log_path, messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"}],
        tools=tools, temperature=0.5, extra_headers={"x-fake-tool-call": "get_weather"},
    )  # fmt: skip
    protector = EventProtector(None)
    hashed_prompt, hashed_completion = protector.protect(prompt, True), protector.protect(completion, True)
    question = expected_hash("Weather in Paris?")
    assert hashed_prompt["content"] == {
        "text": question,
        "messages": [{"role": "system", "content": expected_hash("Be brief.")}, {"role": "user", "content": question}],
    }
    params = hashed_prompt["extensions"]["params"]
    assert params["temperature"] == 0.5 and params["model"] == "gpt-4o-mini"
    assert params["tools"] == [{"type": "function", "function": {"name": "get_weather", "description": expected_hash("Weather for a city"), "parameters": {"type": "object"}}}]
    [call] = hashed_completion["content"]["tool_calls"]
    original = completion["content"]["tool_calls"][0]
    assert call == {**original, "arguments": expected_hash(original["arguments"])}
    for key in ("event_id", "timestamp", "session_id", "actor", "action", "metrics", "provenance"):
        assert hashed_completion.get(key) == completion.get(key)
    assert "redactions" not in hashed_prompt["extensions"]
    assert prompt["content"]["text"] == "Weather in Paris?"  # the rendered event itself is not changed in place


def test_hash_mode_redacts_before_hashing_and_keeps_error_messages_readable(client, log_path: Path) -> None:
    """With redactors on, a text is redacted then hashed (the counts stay); an error message is only redacted."""
    with pytest.raises(Exception) as raised:
        _events(client, log_path, messages=[{"role": "user", "content": "mail ada@example.com"}], extra_headers={"x-fake-status": "400"})
    prompt, error = read_lines(log_path)
    protector = EventProtector(Redactor(["email"]))
    hashed = protector.protect(prompt, True)
    assert hashed["content"]["text"] == expected_hash("mail [EMAIL]")
    assert hashed["extensions"]["redactions"] == {"email": 1}
    assert protector.protect(error, True)["content"]["text"] == f"BadRequestError: {raised.value}"  # words vary by SDK version


def test_pipeline_hashes_a_hash_mode_call_and_fails_closed_on_a_bad_key(tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline applies the hash to a call in hash mode without any redactor; when the key cannot be
    read, the text is written as [REDACTION_FAILED] with one warning."""
    log = tmp_path / "events.jsonl"
    pipeline = Pipeline([JsonlWriter(log)])
    assert pipeline.privacy is None
    record = CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0, request_model="m", prompt_text="secret plan", capture_mode="hash")
    pipeline.begin(record)
    key_path().write_bytes(b"broken")
    monkeypatch.setattr(pipeline._hash_only, "hasher", TextHasher())
    with caplog.at_level(logging.WARNING, logger="hilt"):
        pipeline.begin(CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0, prompt_text="secret plan", capture_mode="hash"))
    pipeline.begin(CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0, prompt_text="plain call"))
    pipeline.close()
    assert pipeline.privacy is None  # a call in hash mode does not put later calls through the step
    first, second, plain = read_lines(log)
    assert plain["content"]["text"] == "plain call"
    assert first["content"]["text"].startswith("hmac-sha256:") and len(first["content"]["text"]) == 44
    assert second["content"]["text"] == REDACTION_FAILED
    assert "secret" not in log.read_text(encoding="utf-8")
    assert [r.getMessage().split(" (")[0] for r in caplog.records if r.name == "hilt"] == ["HILT could not hash a field for capture mode hash"]
