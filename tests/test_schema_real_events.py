"""Real events of every kind this version writes (sampled, labelled, chained, an erasure record, a failure,
a reply HILT could not read) validate against the shipped JSON Schema, so other HILT readers can read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt
from hilt.logs import EventMatcher, forget_events, verify_logs
from hilt.schema import validate_event

MESSAGES = [{"role": "user", "content": "hi"}]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_sampled_labelled_chained_events_and_an_erasure_record_validate(client: Any, log_path: Path) -> None:
    """Every line of a sampled, labelled, chained log, before and after an erasure, validates; the log
    carries sample_rate, metadata, user, tags and chain on both events of a call, and one erasure record."""
    hilt.instrument(filepath=str(log_path), sample_rate=0.999999, metadata={"legal_basis": "contract"}, integrity=True)
    try:
        with hilt.conversation(id="conv-alice", user="alice", tags=["support"], metadata={"ticket": 7}):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        with hilt.conversation(id="conv-bob", user="bob"), pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-status": "429"})
    finally:
        hilt.uninstrument()
    before = _lines(log_path)
    assert [(e["action"], e["extensions"]["sample_rate"]) for e in before] == [
        ("prompt", 0.999999), ("completion", 0.999999), ("prompt", 0.999999), ("system", 0.999999),
    ]
    assert before[1]["extensions"]["metadata"] == {"legal_basis": "contract", "ticket": 7}
    assert before[1]["extensions"]["user"] == "alice" and before[1]["extensions"]["tags"] == ["support"]
    assert [e["extensions"]["chain"]["seq"] for e in before] == [0, 1, 2, 3]

    (result,) = forget_events([log_path], EventMatcher(users=["alice"]))
    assert result.removed == 2
    after = _lines(log_path)
    for event in after:
        validate_event(event)
    erasure = after[-1]
    assert (erasure["action"], erasure["session_id"], erasure["actor"]) == ("system", "hilt-audit", {"type": "system", "id": "hilt"})
    assert erasure["extensions"]["erasure"]["events_removed"] == 2
    assert verify_logs([log_path]).ok


def test_a_reply_hilt_could_not_read_validates(client: Any, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A completion marked capture_failed (the extractor raised) still validates and keeps status and latency."""
    import dataclasses

    from hilt.providers.openai import EXTRACTORS

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("unreadable reply")

    monkeypatch.delenv("HILT_RAISE_INTERNAL_ERRORS")
    monkeypatch.setitem(EXTRACTORS, "chat", dataclasses.replace(EXTRACTORS["chat"], capture_response=broken))
    hilt.instrument(filepath=str(log_path))
    try:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    finally:
        hilt.uninstrument()
    prompt, completion = _lines(log_path)
    validate_event(prompt)
    validate_event(completion)
    assert completion["extensions"]["capture_failed"] == "RuntimeError"
    assert (completion["extensions"]["status"], completion["extensions"]["status_code"]) == ("ok", 200)


def test_redacted_events_validate(client: Any, log_path: Path) -> None:
    """A call whose prompt holds an e-mail address, logged with redact=["email"], writes events that validate and
    count the match in extensions.redactions."""
    hilt.instrument(filepath=str(log_path), redact=["email"])
    try:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "mail ann@example.com"}])
    finally:
        hilt.uninstrument()
    prompt, completion = _lines(log_path)
    for event in (prompt, completion):
        validate_event(event)
    assert prompt["extensions"]["redactions"] == {"email": 1}
    assert "ann@example.com" not in log_path.read_text(encoding="utf-8")
