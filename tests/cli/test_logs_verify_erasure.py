"""``hilt logs forget`` on a rotated, chained log: ``hilt logs verify`` accounts for every erased event,
at file boundaries too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hilt
from tests.cli._run import run_cli

MESSAGES = [{"role": "user", "content": "Say hello"}]


def _users_by_file(log_path: Path) -> list[list[str]]:
    files = sorted(p for p in log_path.parent.iterdir() if p.name.startswith(log_path.name + ".")) + [log_path]
    return [[json.loads(line)["extensions"].get("user") for line in path.read_bytes().splitlines()] for path in files]


def test_forget_a_call_split_by_a_rotation_then_verify_passes(log_path: Path, client: Any) -> None:
    """Bob's prompt ends one rotated file and his reply starts the next: after forget, verify exits 0 and counts both."""
    hilt.instrument(backend="local", filepath=str(log_path), integrity=True, rotate="2KB", capture_content="metadata")
    for user in ["alice", "bob"] * 6:
        with hilt.conversation(user=user):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    hilt.uninstrument()
    layout = _users_by_file(log_path)
    split = [(a, b) for a, b in zip(layout, layout[1:]) if a and b and a[-1] == "bob" == b[0]]
    assert split, layout  # the case under test: one of bob's calls straddles a rotation
    forgot = run_cli("logs", "forget", "--user", "bob", str(log_path))
    assert forgot.returncode == 0, forgot.stderr
    verified = run_cli("logs", "verify", str(log_path), "--json")
    report = json.loads(verified.stdout)
    assert (verified.returncode, report["problems"]) == (0, []), verified.stdout
    assert sum(erasure["events_removed"] for erasure in report["erasures"]) == 12
