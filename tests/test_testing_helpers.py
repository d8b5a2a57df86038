"""The public helpers of ``hilt.testing``: reading a log back, polling, and importing them without extras."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hilt.testing import read_lines, wait_for


def test_read_lines_keeps_a_line_separator_inside_a_string(tmp_path: Path) -> None:
    """read_lines returns one dict per JSON line, even when a string holds U+2028, and [] for a missing file."""
    log = tmp_path / "events.jsonl"
    log.write_text(json.dumps({"text": "a\u2028b"}, ensure_ascii=False) + "\n\n" + json.dumps({"n": 2}) + "\n", encoding="utf-8")
    assert read_lines(log) == [{"text": "a\u2028b"}, {"n": 2}]
    assert read_lines(tmp_path / "missing.jsonl") == []


def test_wait_for_returns_the_value_or_fails_after_the_timeout() -> None:
    """wait_for returns the first truthy value of the predicate, and raises AssertionError once the timeout passes."""
    answers = iter([0, "", "ready"])
    assert wait_for(lambda: next(answers), timeout=5, interval=0) == "ready"
    with pytest.raises(AssertionError, match="condition not met within 0.05 s"):
        wait_for(lambda: False, timeout=0.05, interval=0.01)


def test_star_import_does_not_load_the_otlp_receiver() -> None:
    """``from hilt.testing import *`` works without the otlp extra: the OTLP receiver loads only when asked for."""
    code = "import sys; from hilt.testing import *; print('hilt.testing._otlp_receiver' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"
