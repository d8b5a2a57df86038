"""Helpers for the Sheets tests: a service-account key file whose token URI is the fake's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

CLIENT_EMAIL = "hilt-test@hilt-tests.iam.gserviceaccount.com"


@lru_cache(maxsize=1)
def private_key_pem() -> str:
    """One RSA key per test session (generation takes a few tens of milliseconds)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def service_account_info(token_uri: str) -> dict[str, Any]:
    return {
        "type": "service_account",
        "project_id": "hilt-tests",
        "private_key_id": "0123456789abcdef",
        "private_key": private_key_pem(),
        "client_email": CLIENT_EMAIL,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


def write_service_account(path: Path, token_uri: str) -> Path:
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
