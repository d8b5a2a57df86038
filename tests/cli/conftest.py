"""Fixtures for the ``hilt logs`` tests: run the real command in a subprocess; logs with known numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ._make import LEGACY_PAIR, call, write_log

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def hilt_cli() -> Run:
    """``hilt_cli("logs", "stats", ...)`` runs ``python -m hilt.cli`` and returns the finished process."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        merged = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "hilt.cli", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=merged,
            timeout=timeout,
        )

    return run


@pytest.fixture
def known_log(tmp_path: Path) -> Path:
    """Six calls with known numbers over two days, two models (one without a price), users, tags, an error,
    a torn line and a line that is not JSON, then two lines from hilt-python 0.2.8."""
    return write_log(
        tmp_path / "known.jsonl",
        call(
            "conv_aaa111",
            "2026-11-29T10:00:00Z",
            "first question",
            "first answer",
            latency=100,
            ttft=40.0,
            tokens={"prompt": 100, "completion": 20, "total": 120, "cached": 64, "reasoning": 0},
            cost=0.002,
            user="alice",
            tags=["support"],
        ),
        call(
            "conv_aaa111",
            "2026-11-29T10:05:00Z",
            "second question",
            "second answer",
            latency=300,
            ttft=60.0,
            tokens={"prompt": 150, "completion": 30, "total": 180, "cached": 0, "reasoning": 10},
            cost=0.003,
            user="alice",
            tags=["support"],
        ),
        "not json at all",
        call("conv_bbb222", "2026-11-29T11:00:00Z", "rate me", None, latency=50, status_code=429, user="bob"),
        call(
            "conv_bbb222",
            "2026-11-30T09:00:00Z",
            "custom model",
            "custom answer",
            model="my-finetune",
            latency=200,
            tokens={"prompt": 40, "completion": 10, "total": 50},
            cost=None,
            user="bob",
            tags=["batch", "support"],
        ),
        '{"hilt_version": "1.0.0", "event_id": "torn',
        LEGACY_PAIR[0],
        LEGACY_PAIR[1],
    )


def stats_json(run: Run, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``hilt logs stats ARGS --json`` parsed (the command must succeed)."""
    done = run("logs", "stats", *args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def real_log(instrumented: Path, client: Any) -> Path:
    """A log written by real instrumented SDK calls on the loopback server: a two-turn conversation of user
    carol, a stream (TTFT), and a rate-limited call outside any conversation context."""
    import openai

    import hilt

    with hilt.conversation(user="carol", tags=["demo"]):
        history: list[Any] = [{"role": "user", "content": "Plan a day in Porto."}]
        first = client.chat.completions.create(
            model="gpt-4o-mini", messages=history, extra_headers={"x-fake-reply": "Walk the Ribeira."}
        )
        history += [first.choices[0].message, {"role": "user", "content": "And in the evening?"}]
        client.chat.completions.create(
            model="gpt-4o-mini", messages=history, extra_headers={"x-fake-reply": "A port cellar."}
        )
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "A haiku please"}],
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-fake-reply": "Old river, new light"},
        )
        for _ in stream:
            pass
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "again?"}],
            extra_headers={"x-fake-status": "429"},
        )
    hilt.uninstrument()
    return instrumented
