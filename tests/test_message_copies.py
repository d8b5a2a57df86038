"""The copies of a resent history are reused only while the messages are unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from hilt.testing import read_lines
from hilt.providers.openai._message_copies import message_copies
from hilt.providers.openai._redact import jsonable


def test_follow_up_reuses_the_copies_of_the_messages_it_resends() -> None:
    """A follow-up that resends the same plain messages gets the very same copy objects for them."""
    history: list[Any] = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    first = message_copies(history, wrap=True)
    history += [{"role": "assistant", "content": "Hello"}, {"role": "user", "content": "More"}]
    second = message_copies(list(history), wrap=True)
    assert second == [jsonable(m) for m in history]
    assert second[0] is first[0] and second[1] is first[1]


def test_a_message_edited_after_it_was_sent_is_copied_again() -> None:
    """Replacing a field of an already sent message changes its copy in the next request."""
    history = [{"role": "user", "content": "my password is hunter2"}, {"role": "assistant", "content": "ok"}]
    message_copies(history)
    history[0]["content"] = "edited"
    history.append({"role": "user", "content": "next"})
    assert message_copies(history) == [
        {"role": "user", "content": "edited"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "next"},
    ]


def test_messages_with_nested_values_are_copied_every_time() -> None:
    """A content list edited in place is seen: messages holding containers are never reused."""
    parts = [{"type": "text", "text": "first"}]
    history = [{"role": "user", "content": parts}]
    message_copies(history)
    parts[0]["text"] = "second"
    assert message_copies(history) == [{"role": "user", "content": [{"type": "text", "text": "second"}]}]


def test_secrets_are_redacted_in_reused_copies() -> None:
    """A secret-looking key stays redacted however often its message is resent."""
    history = [{"role": "user", "content": "Hi", "api_key": "sk-secret-value"}]
    assert message_copies(history) == [{"role": "user", "content": "Hi", "api_key": "[REDACTED]"}]
    history = history + [{"role": "user", "content": "again"}]
    assert message_copies(history)[0] == {"role": "user", "content": "Hi", "api_key": "[REDACTED]"}


def test_a_new_text_cap_is_applied_to_resent_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing max_field_chars copies the history again under the new cap."""
    from hilt import providers

    history = [{"role": "user", "content": "x" * 200}]
    assert message_copies(history)[0]["content"] == "x" * 200
    monkeypatch.setattr(providers, "max_field_chars", 100)
    capped = message_copies(history)[0]["content"]
    assert len(capped) == 100 and capped.endswith("…[truncated: 200 characters]")


def test_conversation_log_records_each_turn_history(instrumented, client) -> None:
    """Each turn's prompt event holds exactly the messages sent at that turn, earlier ones reused or not."""
    history: list[dict[str, str]] = [{"role": "user", "content": "Hello"}]
    for turn in range(3):
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=history)
        history = history + [{"role": "assistant", "content": reply.choices[0].message.content}, {"role": "user", "content": f"q{turn}"}]
    prompts = [e for e in read_lines(instrumented) if e["action"] == "prompt"]
    assert [len(p["content"]["messages"]) for p in prompts] == [1, 3, 5]
    assert prompts[2]["content"]["messages"] == history[:5]
