"""Helpers for the Sheets tests: key files, journal lines, polling, and the fake sheet's rows."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hilt.testing._sheets_server import CLIENT_EMAIL, service_account_info

__all__ = ["CLIENT_EMAIL", "data_rows", "event_ids", "service_account_info", "wait_for", "write_events", "write_service_account"]

def write_service_account(path: Path, token_uri: str) -> Path:
    """A service-account key file at ``path`` whose ``token_uri`` is ``token_uri``."""
    path.write_text(json.dumps(service_account_info(token_uri)), encoding="utf-8")
    return path


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


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
    return [row[column] for row in data_rows(fake, title)]
