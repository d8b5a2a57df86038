"""``compress`` and ``retention_days`` act on rotated files: set without ``rotate`` they do nothing, and HILT says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hilt


def test_compress_and_retention_without_rotate_warn_once(log_path: Path, client: Any, caplog: pytest.LogCaptureFixture) -> None:
    """instrument(compress=True, retention_days=7) without rotate logs one warning naming both and rotate; calls are logged."""
    with caplog.at_level("WARNING", logger="hilt"):
        hilt.instrument(filepath=str(log_path), compress=True, retention_days=7)
        for _ in range(2):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        hilt.uninstrument()
    assert [json.loads(line)["action"] for line in log_path.read_text().splitlines()] == ["prompt", "completion"] * 2
    assert [r.getMessage() for r in caplog.records if r.name == "hilt"] == [
        "HILT ignores compress, retention_days: they act on the files HILT rotates, and rotate is not set"
    ]
