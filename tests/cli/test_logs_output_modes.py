"""Files the ``hilt logs`` commands write hold prompts and answers: they are created 0600, like the log itself."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli._run import Run


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which a plain open() makes a world-readable file."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--to", "csv"),
        ("export", "--to", "jsonl"),
        ("export", "--to", "parquet"),
        ("export", "--to", "parquet", "--rows", "calls"),
        ("export", "--to", "jsonl", "--rows", "original"),
        ("report",),
    ],
    ids=["csv", "jsonl", "parquet", "parquet-calls", "original", "report"],
)
def test_output_file_is_private(known_log: Path, hilt_cli: Run, tmp_path: Path, usual_umask: None, args: tuple[str, ...]) -> None:
    """`hilt logs export/report -o FILE` creates FILE with mode 0600 (the log's prompts stay private to their owner)."""
    output = tmp_path / "out"
    done = hilt_cli("logs", *args, str(known_log), "-o", str(output))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
