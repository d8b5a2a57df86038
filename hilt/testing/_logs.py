"""Read a HILT JSONL log back in a test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["read_lines"]


def read_lines(path: str | Path) -> list[dict[str, Any]]:
    """Every event of the log at ``path`` as a dict, in file order (an empty list when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    # Not splitlines(): U+2028 may sit inside a JSON string.
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
