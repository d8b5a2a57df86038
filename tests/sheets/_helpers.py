"""Helpers for the Sheets tests: chat calls, the running Sheets writer, journal lines and the fake sheet's rows
(key files and polling: ``hilt.testing``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hilt.instrumentation import current

__all__ = ["chat", "data_rows", "event_ids", "sheets_writer", "write_events"]


def chat(client: Any, n: int, text: str = "hello") -> None:
    """``n`` chat calls whose prompts are ``"<text> 0"``, ``"<text> 1"``..."""
    for i in range(n):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"{text} {i}"}])


def sheets_writer() -> Any:
    """The Sheets writer of the current instrumentation (``backend="sheets"`` puts it after the journal writer)."""
    return current().pipeline.writers[1]


def write_events(path: Path, n: int, start: int = 0, text: str = "=1+1", texts: dict[int, str] | None = None) -> list[str]:
    """Append ``n`` prompt events to the JSONL file ``path`` (event ``i`` says ``texts[i]`` if given); returns their ids."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = [f"00000000-0000-7000-8000-{i:012d}" for i in range(start, start + n)]
    with path.open("a", encoding="utf-8") as handle:
        for i, event_id in enumerate(ids, start):
            event = {"event_id": event_id, "timestamp": f"2026-01-01T00:00:{i % 60:02d}+00:00", "session_id": "conv_x",
                     "actor": {"type": "human", "id": "user"}, "action": "prompt",
                     "content": {"text": (texts or {}).get(i, text)}}
            handle.write(json.dumps(event) + "\n")
    return ids


def data_rows(fake: Any, title: str = "Logs") -> list[list[Any]]:
    """The rows below the header."""
    return fake.rows(title)[1:]


def event_ids(fake: Any, title: str = "Logs", column: int = 2) -> list[str]:
    """The event ids of the rows below the header (column C)."""
    return [row[column] for row in data_rows(fake, title)]
