"""Fixtures for the ``hilt logs`` tests: run the real command in a subprocess; logs with known numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


from hilt.cli._demo import converse, stream_reply

from tests.cli._make import LEGACY_PAIR, call, write_log
from tests.cli._run import Run, run_cli


@pytest.fixture
def hilt_cli() -> Run:
    """``hilt_cli("logs", "stats", ...)`` runs ``python -m hilt.cli`` and returns the finished process."""
    return run_cli


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


@pytest.fixture
def real_log(instrumented: Path, client: Any) -> Path:
    """A log written by real instrumented SDK calls on the loopback server: a two-turn conversation of user
    carol, a stream (TTFT), and a rate-limited call outside any conversation context."""
    import openai

    import hilt

    with hilt.conversation(user="carol", tags=["demo"]):
        converse(client, [("Plan a day in Porto.", "Walk the Ribeira."), ("And in the evening?", "A port cellar.")])
        stream_reply(client, "A haiku please", "Old river, new light")
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "again?"}],
            extra_headers={"x-fake-status": "429"},
        )
    hilt.uninstrument()
    return instrumented
