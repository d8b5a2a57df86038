"""``capture_content = "hash"`` end to end: real calls through ``instrument()`` and ``hilt.conversation()``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hilt
from hilt.testing import read_lines

PROMPT = "my secret plan for Tuesday"


def _call(client: Any) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])


def test_hash_mode_from_instrument_hashes_equal_prompts_equally(log_path: Path, client: Any) -> None:
    """With capture_content="hash", no prompt or answer text reaches the log; the same prompt twice gives the
    same hash, the model, tokens and status stay readable."""
    hilt.instrument(filepath=str(log_path), capture_content="hash")
    _call(client)
    _call(client)
    hilt.uninstrument()
    events = read_lines(log_path)
    assert [e["action"] for e in events] == ["prompt", "completion"] * 2
    assert "secret" not in log_path.read_text(encoding="utf-8")
    first, second = events[0]["content"]["text"], events[2]["content"]["text"]
    assert first == second and first.startswith("hmac-sha256:") and len(first) == 44
    assert events[1]["content"]["text"].startswith("hmac-sha256:")
    assert events[1]["extensions"]["model"] == "gpt-4o-mini"
    assert events[1]["metrics"]["tokens"]["total"] > 0
    assert events[1]["extensions"]["status_code"] == 200


def test_hash_mode_for_one_conversation(log_path: Path, client: Any) -> None:
    """hilt.conversation(capture_content="hash") hashes that conversation's texts only."""
    hilt.instrument(filepath=str(log_path))
    with hilt.conversation(capture_content="hash"):
        _call(client)
    _call(client)
    hilt.uninstrument()
    texts = [e["content"]["text"] for e in read_lines(log_path) if e["action"] == "prompt"]
    assert texts[0].startswith("hmac-sha256:") and texts[1] == PROMPT
