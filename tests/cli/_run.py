"""Run the real ``hilt`` command in a subprocess, as a user would: to completion, or in the background."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m hilt.cli ARGS`` with UTF-8 output; returns the finished process."""
    merged = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hilt.cli", *args], capture_output=True, text=True, encoding="utf-8", env=merged, timeout=timeout
    )


def stats_json(run: Run, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``hilt logs stats ARGS --json`` parsed (the command must succeed)."""
    done = run("logs", "stats", *args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@contextlib.contextmanager
def running_cli(*args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -u -m hilt.cli ARGS`` in the background, its output piped (UTF-8); terminated on exit."""
    with subprocess.Popen(
        [sys.executable, "-u", "-m", "hilt.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    ) as process:
        try:
            yield process
        finally:
            process.terminate()
            process.wait(10)


def read_output_lines(stream: Any, count: int, timeout: float = 10.0) -> list[str]:
    """Up to ``count`` lines from a running command's ``stream`` (newlines stripped), waiting at most ``timeout`` seconds."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while len(lines) < count and time.monotonic() < deadline:
        line = stream.readline()
        if line:
            lines.append(line.rstrip("\n"))
    return lines
