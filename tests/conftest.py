"""Shared fixtures: a loopback OpenAI-compatible server, a clean environment, an instrumented process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hilt.testing import FakeOpenAIServer


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test sees the developer's HILT_*/OPENAI_* variables or writes to the real home folders."""
    for name in list(os.environ):
        if name.startswith(("HILT_", "OPENAI_")):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.setenv("HILT_RAISE_INTERNAL_ERRORS", "1")
    from hilt._safety import reset_reports

    reset_reports()
    yield
    import hilt

    hilt.uninstrument()


@pytest.fixture(scope="session", autouse=True)
def price_data_loaded(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Calls never wait for the price data (cost_status prices_loading); tests that check costs need it loaded.
    Its cached copy goes to a temporary folder, not the developer's ~/.cache."""
    from hilt.pricing import wait_for_prices

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        assert wait_for_prices(timeout=60)


@pytest.fixture(scope="session")
def server() -> Iterator[FakeOpenAIServer]:
    """One loopback OpenAI-compatible server for the session."""
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """Where the instrumented test writes its events."""
    return tmp_path / "logs" / "events.jsonl"


@pytest.fixture
def instrumented(log_path: Path) -> Iterator[Path]:
    """HILT instrumented to ``log_path`` for the test; afterwards every line must match the JSON Schema."""
    import hilt
    from hilt.schema import validate_event

    hilt.instrument(backend="local", filepath=str(log_path))
    yield log_path
    hilt.uninstrument()
    if log_path.exists():
        for line in log_path.read_text(encoding="utf-8").split("\n"):
            if not line:
                continue
            validate_event(json.loads(line))


@pytest.fixture
def client(server: FakeOpenAIServer) -> Any:
    import openai

    with openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0) as sync_client:
        yield sync_client


@pytest.fixture
async def async_client(server: FakeOpenAIServer) -> Any:
    import openai

    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test-key", max_retries=0) as aclient:
        yield aclient

