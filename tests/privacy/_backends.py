"""Helpers for the capture tests: HILT writing to every backend at once (JSONL, the fake Sheets API, a
loopback OTLP receiver), and everything those backends received, as text to scan."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.testing import FakeSheetsServer, read_lines


@dataclass
class Outputs:
    """What each backend received once HILT was uninstrumented."""

    events: list[dict[str, Any]] = field(default_factory=list)
    jsonl: str = ""
    sheet_rows: list[list[Any]] = field(default_factory=list)
    spans: list[Any] = field(default_factory=list)

    def everything(self) -> str:
        """Every byte written, as one text: JSONL lines, Sheets cells, span names and attributes."""
        spans = [[span.name, span.attributes, span.status_message] for span in self.spans]
        return "\n".join([self.jsonl, json.dumps(self.sheet_rows, ensure_ascii=False), json.dumps(spans, ensure_ascii=False, default=str)])


@contextlib.contextmanager
def every_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spans: int, **options: Any) -> Iterator[Outputs]:
    """``hilt.instrument`` with the local, sheets and otlp backends; after the block, :class:`Outputs` is filled
    (``spans``: how many spans to wait for). OpenTelemetry is asked to put message content on spans."""
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs the otlp extra")
    from hilt.testing import OtlpReceiver

    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    log_path = tmp_path / "events.jsonl"
    outputs = Outputs()
    with FakeSheetsServer() as sheets, OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "span_only")
        credentials = sheets.write_service_account(tmp_path / "service-account.json")
        hilt.instrument(
            backend=["local", "sheets", "otlp"],
            filepath=str(log_path),
            sheet_id=sheets.spreadsheet_id,
            credentials_path=str(credentials),
            sheets_endpoint=sheets.endpoint,
            journal_path=str(tmp_path / "journal" / "sheets.jsonl"),
            flush_interval=0.05,
            shutdown_timeout=5.0,
            **options,
        )
        try:
            yield outputs
        finally:
            hilt.uninstrument()
        outputs.jsonl = log_path.read_text(encoding="utf-8")
        outputs.events = read_lines(log_path)
        outputs.sheet_rows = sheets.rows()
        outputs.spans = receiver.wait_for_spans(spans)
