"""Every backend gets the redacted event: the Sheets rows and the OpenTelemetry span hold markers, never the values."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.testing import read_lines

from tests.sheets._helpers import data_rows, sheets_writer
from tests.sheets.conftest import credentials, fast_backoff, sheet_options, sheets  # noqa: F401 - fixtures

PROMPT = "Bill ada@example.com on card 4111 1111 1111 1111, she is at 203.0.113.7"
REDACTED = "Bill [EMAIL] on card [CARD], she is at [IP]"
ANSWER = "Sent to ada@example.com"
VALUES = ("ada@example.com", "4111 1111 1111 1111", "203.0.113.7")


def _call(client: Any) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}], extra_headers={"x-fake-reply": ANSWER}
    )


def test_sheets_rows_and_journal_hold_markers(client, sheets, sheet_options):  # noqa: F811
    """The Sheets journal and the rows in the sheet show the markers and none of the values."""
    hilt.instrument(**sheet_options, redact=["email", "card", "ip"])
    _call(client)
    assert sheets_writer().flush(5)
    hilt.uninstrument()
    header, *_ = sheets.rows()
    rows = [dict(zip(header, row)) for row in data_rows(sheets)]
    assert [row["message"] for row in rows] == [REDACTED, "Sent to [EMAIL]"]
    everything = json.dumps(sheets.rows()) + Path(sheet_options["journal_path"]).read_text(encoding="utf-8")
    assert not any(value in everything for value in VALUES)


def test_otlp_span_holds_markers(client, log_path: Path, monkeypatch: pytest.MonkeyPatch):
    """With message content on spans, the span's input and output messages are the redacted ones."""
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs the otlp extra (pip install 'hilt[otlp]')")
    from hilt.testing import OtlpReceiver

    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
        hilt.instrument(backend=["local", "otlp"], filepath=str(log_path), redact=["email", "card", "ip"])
        _call(client)
        hilt.uninstrument()
        [span] = receiver.wait_for_spans(1)
    assert span.attributes["gen_ai.input.messages"] == '[{"role":"user","parts":[{"type":"text","content":"' + REDACTED + '"}]}]'
    assert '"content":"Sent to [EMAIL]"' in span.attributes["gen_ai.output.messages"]
    assert not any(value in json.dumps(span.attributes) for value in VALUES)
    assert [event["content"]["text"] for event in read_lines(log_path)] == [REDACTED, "Sent to [EMAIL]"]
