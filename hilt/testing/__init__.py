"""Test helpers for HILT: loopback fakes of the OpenAI, Google Sheets and OTLP APIs, and small helpers to read
what HILT wrote.

Example::

    from hilt.testing import FakeOpenAIServer, read_lines

    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=[...])
        assert server.requests[0].json()["model"] == "gpt-4o-mini"
    assert [event["action"] for event in read_lines("logs/events.jsonl")] == ["prompt", "completion"]

- :class:`FakeOpenAIServer`: an OpenAI-compatible server (see ``hilt.testing._server`` for the fault-injection
  headers and ``hilt.testing._replies`` for the deterministic token rule). Stdlib only.
- :class:`FakeSheetsServer` with :func:`write_service_account` / :func:`service_account_info`: the Sheets API
  and Google's token endpoint behind the real ``gspread`` (signing the key needs ``cryptography``).
- :class:`OtlpReceiver`: an OTLP/HTTP collector that decodes the spans and metrics it receives (needs
  ``opentelemetry-proto``, from the ``otlp`` extra; imported on first use).
- :func:`read_lines`: the events of a JSONL log; :func:`wait_for`: poll until a background writer caught up.
"""

from __future__ import annotations

from typing import Any

from ._logs import read_lines
from ._server import FakeOpenAIServer, RecordedRequest
from ._sheets_server import CLIENT_EMAIL, FakeSheetsServer, service_account_info, write_service_account
from ._waiting import wait_for

__all__ = [
    "CLIENT_EMAIL",
    "FakeOpenAIServer",
    "FakeSheetsServer",
    "RecordedRequest",
    "read_lines",
    "service_account_info",
    "wait_for",
    "write_service_account",
]

# Not in __all__: ``from hilt.testing import *`` must work without the otlp extra.
_OTLP_NAMES = ("OtlpReceiver", "ReceivedSpan", "ReceivedMetric")


def __getattr__(name: str) -> Any:
    """The OTLP receiver needs ``opentelemetry-proto``: import it only when a test asks for it."""
    if name in _OTLP_NAMES:
        from . import _otlp_receiver

        return getattr(_otlp_receiver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
