"""What a multi-process log holds, call by call (for the process-layout tests)."""

from __future__ import annotations

from pathlib import Path

from tests._surfaces import pairs

REPLY = "Hello! How can I help you today?"  # the fake server's reply to every chat call


def calls(log: Path) -> list[tuple[str, str, int, int]]:
    """``(prompt text, reply text, pid, ppid)`` per call, sorted; fails unless every prompt has exactly one reply,
    written by the same process."""
    found = []
    for prompt, reply in pairs(log):
        assert reply["provenance"]["pid"] == prompt["provenance"]["pid"], (prompt, reply)
        found.append((prompt["content"]["text"], reply["content"]["text"], prompt["provenance"]["pid"], prompt["provenance"]["ppid"]))
    return sorted(found)


def assert_no_hilt_noise(stderr: str) -> None:
    """Nothing from HILT on a child's stderr: its warnings all name HILT, and no traceback at all."""
    assert "HILT" not in stderr and "Traceback" not in stderr, stderr
