"""Redaction: the built-in redactors, custom functions, counts, and the fail-closed rule, through real SDK calls."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.privacy import BUILTIN_NAMES, BUILTIN_REDACTORS, REDACTION_FAILED, Redactor, redact_text
from hilt.testing import read_lines

from tests._surfaces import needs_responses

PII = (
    "I am ada@example.com, phone +44 20 7946 0958, card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, "
    "from 192.168.1.10, key sk-proj-Xy7dK2mQ9vL4pR8sT1wZ3bN6cF0hJ5gA2eD. Order 4111111111111112 ships 2024-05-01."
)
REDACTED = (
    "I am [EMAIL], phone [PHONE], card [CARD], IBAN [IBAN], from [IP], key [SECRET]. Order 4111111111111112 ships 2024-05-01."
)
SECRETS = ("ada@example.com", "7946 0958", "4111 1111 1111 1111", "GB82 WEST", "192.168.1.10", "sk-proj-")


def test_builtins_replace_each_match_by_its_marker_and_keep_look_alikes():
    """Every built-in replaces its match by a typed marker; the Luhn-failing order number and the date stay."""
    assert redact_text(PII) == REDACTED
    assert BUILTIN_REDACTORS == {"secrets": "[SECRET]", "email": "[EMAIL]", "card": "[CARD]", "iban": "[IBAN]", "phone": "[PHONE]", "ip": "[IP]"}
    assert set(BUILTIN_NAMES) == set(BUILTIN_REDACTORS)


def test_only_the_chosen_redactors_run_and_counts_say_what_fired():
    """A redactor not chosen leaves its data alone; counts name each redactor that fired and how often."""
    counts: dict[str, int] = {}
    text = Redactor(["email", "card"]).redact("a@example.com b@example.org 5555-5555-5555-4444 10.0.0.1", counts)
    assert text == "[EMAIL] [EMAIL] [CARD] 10.0.0.1"
    assert counts == {"email": 2, "card": 1}


def test_text_without_candidates_is_returned_as_is():
    """A text with nothing to redact comes back as the same object (the event is then not copied)."""
    text = "Summarise the meeting notes in three bullet points."
    assert Redactor(BUILTIN_NAMES).redact(text, {}) is text


def test_non_ascii_text_keeps_its_characters_around_markers():
    """Offsets stay right in text with accents and CJK characters before the match."""
    assert redact_text("Écrivez à élodie.martin@exemple.fr — 東京 06 12 34 56 78 ✓") == "Écrivez à [EMAIL] — 東京 [PHONE] ✓"


def test_unknown_name_is_a_config_error_listing_the_known_names():
    """A typo is a ConfigError naming the key and the built-in names."""
    with pytest.raises(hilt.ConfigError) as caught:
        hilt.instrument(redact=["email", "emial"])
    assert "redact" in str(caught.value) and "email, phone, card, iban, ip, secrets" in str(caught.value) and "emial" in str(caught.value)


def _chat(client: Any, text: str, **extra: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}], **extra)


def test_jsonl_events_hold_markers_and_counts_not_values(client, log_path: Path):
    """Prompt text, messages, parameters and the answer are redacted before the JSONL line is written;
    extensions.redactions counts per event (a prompt's last message is its text: counted once)."""
    hilt.instrument(filepath=str(log_path), redact=list(BUILTIN_NAMES))
    reply = _chat(client, PII, user="ada@example.com", extra_headers={"x-fake-reply": "Noted: ada@example.com"})
    hilt.uninstrument()
    assert reply.choices[0].message.content == "Noted: ada@example.com"  # the application sees the real answer
    prompt, completion = read_lines(log_path)
    assert prompt["content"] == {"text": REDACTED, "messages": [{"role": "user", "content": REDACTED}]}
    assert prompt["extensions"]["params"] == {"model": "gpt-4o-mini", "user": "[EMAIL]"}
    assert prompt["extensions"]["redactions"] == {"secrets": 1, "email": 2, "card": 1, "iban": 1, "phone": 1, "ip": 1}
    assert completion["content"] == {"text": "Noted: [EMAIL]"}
    assert completion["extensions"]["redactions"] == {"email": 1}
    written = log_path.read_text(encoding="utf-8")
    assert not any(secret in written for secret in SECRETS)


def test_tool_calls_and_error_messages_are_redacted_ids_and_names_are_not(server, client, log_path: Path):
    """Tool-call arguments and an error's message are redacted; call ids, tool names, roles and the model stay."""
    server.tool_arguments = '{"to": "ada@example.com"}'
    tools = [{"type": "function", "function": {"name": "send_mail", "parameters": {"type": "object", "properties": {"to": {"type": "string"}}}}}]
    hilt.instrument(filepath=str(log_path), redact=["email"])
    try:
        _chat(client, "mail me", tools=tools, extra_headers={"x-fake-tool-call": "send_mail"})
        with pytest.raises(Exception):
            _chat(client, "x", extra_headers={"x-fake-status": "400"})
    finally:
        server.tool_arguments = '{"city": "Paris"}'
    hilt.uninstrument()
    _, completion, _, error = read_lines(log_path)
    [call] = completion["content"]["tool_calls"]
    assert (call["name"], call["arguments"], call["id"].startswith("call_")) == ("send_mail", '{"to": "[EMAIL]"}', True)
    assert error["action"] == "system" and "redactions" not in error["extensions"]
    assert error["extensions"]["model"] == "gpt-4o-mini"


def test_error_message_with_an_address_is_redacted(client, log_path: Path):
    """An error event's message (content.text and extensions.error_message) goes through the redactors too."""
    hilt.instrument(filepath=str(log_path), redact=["ip"])
    with pytest.raises(Exception) as raised:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}],
                                       extra_headers={"x-fake-status": "400"}, timeout=5)
    hilt.uninstrument()
    _, error = read_lines(log_path)
    assert error["extensions"]["error_message"] == str(raised.value)  # each SDK version words it its own way
    assert "Fake 400 error injected by x-fake-status." in str(raised.value)
    assert "redactions" not in error["extensions"]


def _scrub_names(text: str) -> str:
    return text.replace("Ada Lovelace", "[NAME]")


def test_custom_functions_mix_with_names_and_are_counted_by_name(client, log_path: Path):
    """A str -> str function runs after the built-ins; it is counted under its name once per field it changed."""
    hilt.instrument(filepath=str(log_path), redact=["email", _scrub_names])
    _chat(client, "Ada Lovelace <ada@example.com>")
    hilt.uninstrument()
    prompt = read_lines(log_path)[0]
    assert prompt["content"]["text"] == "[NAME] <[EMAIL]>"
    assert prompt["extensions"]["redactions"] == {"email": 1, "_scrub_names": 1}


def test_a_dotted_path_from_the_environment_is_imported(client, log_path: Path, monkeypatch: pytest.MonkeyPatch):
    """HILT_REDACT=email,module:function imports the function (the environment is trusted)."""
    monkeypatch.setenv("HILT_REDACT", "email, tests.privacy.test_redact:_scrub_names")
    hilt.instrument(filepath=str(log_path))
    _chat(client, "Ada Lovelace <ada@example.com>")
    hilt.uninstrument()
    assert read_lines(log_path)[0]["content"]["text"] == "[NAME] <[EMAIL]>"


def test_a_path_that_cannot_be_imported_stops_instrument():
    """An unimportable module:function is a ConfigError from instrument() (nothing is written unredacted)."""
    with pytest.raises(hilt.ConfigError) as caught:
        hilt.instrument(redact=["tests.privacy.no_such_module:scrub"])
    assert str(caught.value).startswith("instrument(): redact: expected") and "ModuleNotFoundError" in str(caught.value)
    assert not hilt.is_instrumented()


def _broken(text: str) -> str:
    raise RuntimeError(f"cannot handle {text}")


def test_a_failing_custom_redactor_fails_closed_and_reports_once(client, log_path: Path, caplog: pytest.LogCaptureFixture):
    """A custom redactor that raises: the field becomes [REDACTION_FAILED] (never the raw text), one warning
    on the hilt logger, the calls return normally."""
    hilt.instrument(filepath=str(log_path), redact=[_broken])
    with caplog.at_level(logging.DEBUG, logger="hilt"):
        first = _chat(client, "secret one")
        _chat(client, "secret two")
    hilt.uninstrument()
    assert first.choices[0].message.content == "Hello! How can I help you today?"
    prompt, completion, *_ = read_lines(log_path)
    assert prompt["content"] == {"text": REDACTION_FAILED, "messages": [{"role": "user", "content": REDACTION_FAILED}]}
    assert prompt["extensions"]["redactions"] == {"redaction_failed": 1}
    assert completion["content"] == {"text": REDACTION_FAILED}
    assert "secret" not in log_path.read_text(encoding="utf-8")
    warnings = [r.getMessage() for r in caplog.records if r.name == "hilt" and r.levelno == logging.WARNING]
    assert warnings == [
        f"HILT's redactor {_broken.__qualname__} failed (the redactor {_broken.__qualname__} raised RuntimeError); "
        f"the field was written as {REDACTION_FAILED}, the call is unaffected"
    ]


def test_a_redactor_returning_a_non_string_fails_closed(client, log_path: Path):
    """A function that returns None does not let the text through."""
    hilt.instrument(filepath=str(log_path), redact=[lambda text: None])
    _chat(client, "my secret")
    hilt.uninstrument()
    assert read_lines(log_path)[0]["content"]["text"] == REDACTION_FAILED


def test_without_redact_events_are_not_copied(client, log_path: Path):
    """With no redactor the pipeline has no privacy step at all."""
    state = hilt.instrument(filepath=str(log_path))
    assert state.pipeline.privacy is None
    _chat(client, "ada@example.com")
    hilt.uninstrument()
    prompt = read_lines(log_path)[0]
    assert prompt["content"]["text"] == "ada@example.com" and "redactions" not in prompt["extensions"]


def test_conversation_context_is_not_redacted(client, log_path: Path):
    """The user id and tags the application binds stay as given (they find a person's records)."""
    hilt.instrument(filepath=str(log_path), redact=["email"])
    with hilt.conversation(user="ada@example.com", tags=["vip"]):
        _chat(client, "hello ada@example.com")
    hilt.uninstrument()
    prompt = read_lines(log_path)[0]
    assert (prompt["actor"]["id"], prompt["extensions"]["user"], prompt["content"]["text"]) == ("ada@example.com", "ada@example.com", "hello [EMAIL]")
    assert json.loads(json.dumps(prompt["extensions"]["tags"])) == ["vip"]


def test_a_fault_inside_hilts_redaction_drops_the_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """A bug in a built-in finder: the event is not written at all (fail closed), one warning names the step."""
    from hilt._pipeline import Pipeline
    from hilt._record import CallRecord
    from hilt.privacy._patterns import Builtin
    from hilt.writers.jsonl import JsonlWriter

    def broken(views: Any) -> list[tuple[int, int]]:
        raise RuntimeError("finder bug")

    monkeypatch.delenv("HILT_RAISE_INTERNAL_ERRORS")
    redactor = Redactor(["email"])
    redactor.builtins = (Builtin("email", "[EMAIL]", broken, 0),)
    log = tmp_path / "events.jsonl"
    pipeline = Pipeline([JsonlWriter(log)], redactor=redactor)
    with caplog.at_level(logging.WARNING, logger="hilt"):
        pipeline.begin(CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0, prompt_text="ada@example.com"))
    pipeline.close()
    assert not log.exists() or log.read_text() == ""
    assert [r.getMessage() for r in caplog.records if r.name == "hilt"] == [
        "HILT could not redact an event (it was not written) (RuntimeError: finder bug); the application is unaffected, only this telemetry is lost"
    ]


def test_a_streamed_answer_is_redacted_when_the_stream_ends(client, log_path: Path):
    """The completion event of a stream holds the redacted text; the application read every chunk unchanged."""
    hilt.instrument(filepath=str(log_path), redact=["email"])
    stream = _chat(client, "who?", stream=True, extra_headers={"x-fake-reply": "write to ada@example.com today"})
    received = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    hilt.uninstrument()
    assert received == "write to ada@example.com today"
    completion = read_lines(log_path)[1]
    assert completion["content"]["text"] == "write to [EMAIL] today"
    assert completion["extensions"]["redactions"] == {"email": 1}


@needs_responses
def test_responses_input_items_and_instructions_are_redacted(client, log_path: Path):
    """A Responses call's instructions and input items are redacted; their roles and types stay."""
    hilt.instrument(filepath=str(log_path), redact=["email", "phone"])
    client.responses.create(
        model="gpt-4o-mini", instructions="Reply to ada@example.com",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Call +44 20 7946 0958"}]}],
    )  # fmt: skip
    hilt.uninstrument()
    prompt = read_lines(log_path)[0]
    assert prompt["content"]["instructions"] == "Reply to [EMAIL]"
    assert "[PHONE]" in json.dumps(prompt["content"]) and "7946" not in json.dumps(prompt)
    assert prompt["extensions"]["redactions"] == {"email": 1, "phone": 1}
