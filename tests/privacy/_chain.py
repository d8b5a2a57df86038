"""Shared by the audit-trail tests: a log instrumented with ``integrity=True`` and small readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.logs._verify import verify_logs

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def chained_log(log_path: Path) -> Iterator[Path]:
    """HILT instrumented with ``integrity=True``; afterwards every line must still match the JSON Schema."""
    from hilt.schema import validate_event

    hilt.instrument(backend="local", filepath=str(log_path), integrity=True)
    yield log_path
    hilt.uninstrument()
    for path in log_path.parent.iterdir():
        if path.name.startswith(log_path.name) and not path.name.endswith(".gz"):
            for line in path.read_bytes().splitlines():
                validate_event(json.loads(line))


def calls(client: Any, count: int, user: str = "alice") -> None:
    with hilt.conversation(user=user):
        for _ in range(count):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def findings(path: Path) -> list[tuple[str, str, int | None]]:
    return [(p.kind, Path(p.file).name, p.line) for p in verify_logs([path]).problems]
