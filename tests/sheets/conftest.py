"""Fixtures for the Sheets backend: the fake Sheets API, a service-account file, quick settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hilt.testing import FakeSheetsServer


@pytest.fixture
def sheets() -> Iterator[FakeSheetsServer]:
    """A fresh fake Sheets API (and token endpoint) per test."""
    with FakeSheetsServer() as fake:
        yield fake


@pytest.fixture
def credentials(tmp_path: Path, sheets: FakeSheetsServer) -> Path:
    """A service-account key file whose ``token_uri`` is the fake's."""
    return sheets.write_service_account(tmp_path / "service-account.json")


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries in milliseconds, and short HTTP time-outs, so fault tests stay fast."""
    import hilt.writers.sheets._backoff as backoff
    import hilt.writers.sheets._client as client
    import hilt.writers.sheets._worker as worker

    monkeypatch.setattr(backoff, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(backoff, "BACKOFF_CAP", 0.05)
    monkeypatch.setattr(worker, "SETUP_RETRY", 0.2)
    monkeypatch.setattr(client, "HTTP_TIMEOUT", (2.0, 2.0))


@pytest.fixture
def sheet_options(sheets: FakeSheetsServer, credentials: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``instrument()`` keyword arguments for the Sheets backend against the fake (uninstrumented before it stops)."""
    import hilt

    yield {
        "backend": "sheets",
        "sheet_id": sheets.spreadsheet_id,
        "credentials_path": str(credentials),
        "sheets_endpoint": sheets.endpoint,
        "journal_path": str(tmp_path / "journal" / "sheets.jsonl"),
        "flush_interval": 0.05,
        "shutdown_timeout": 3.0,
    }
    hilt.uninstrument()
