"""Coexistence with Datadog's ``ddtrace`` openai integration (``ddtrace.patch(openai=True)``).

``tests/parity/_ddtrace_app.py`` makes the same calls in five fresh interpreters: plain, HILT alone, ddtrace
alone, ddtrace patched first and HILT first. In both orders the SDK imports its resource modules on first use,
after both are set up; HILT's import hook patches each one as it arrives, before ddtrace's does, so ddtrace's
layer is the outer one. ddtrace runs with no
Datadog agent: its agent address is a loopback server that records requests, DogStatsD a loopback socket, and a trace
filter keeps its spans in memory and drops them. ddtrace is heavy, so it has its own extra and tox env
(``tox -e datadog``); without it these tests skip.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hilt.testing import read_lines

APP = Path(__file__).with_name("_ddtrace_app.py")
MODES = ("plain", "hilt", "ddtrace", "ddtrace-first", "hilt-first")
ORDERS = ("ddtrace-first", "hilt-first")
STREAM_WITHOUT_USAGE = 2  # the third call: a chat stream that does not ask for usage
VOLATILE = frozenset(
    {"event_id", "timestamp", "session_id", "reply_to", "latency_ms", "ttft_ms", "pid", "ppid", "run_id", "response_id", "request_id"}
)
HAS_DDTRACE = importlib.util.find_spec("ddtrace") is not None
needs_ddtrace = pytest.mark.skipif(not HAS_DDTRACE, reason="needs ddtrace: pip install 'hilt[datadog]' (tox -e datadog)")


@dataclass
class Run:
    returncode: int
    stderr: str
    seen: list[Any]
    spans: list[Any]
    bodies: list[tuple[str, bytes]]
    events: list[dict[str, Any]]


def masked(value: Any) -> Any:
    """``value`` with the fields that differ between any two runs (ids, times, pids) replaced by a placeholder."""
    if isinstance(value, dict):
        return {k: "<volatile>" if k in VOLATILE else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def pairs(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The events two by two: the calls are made one after the other, each writes a prompt and its reply."""
    assert len(events) % 2 == 0
    return [events[i : i + 2] for i in range(0, len(events), 2)]


class _AgentHandler(BaseHTTPRequestHandler):
    """Records each request line and answers 404, as an agent that knows no endpoint would."""

    def _record(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_POST = _record

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def datadog_agent() -> Iterator[tuple[ThreadingHTTPServer, socket.socket]]:
    """A loopback HTTP server where ddtrace's agent would be, recording requests, and a UDP socket for DogStatsD."""
    agent = ThreadingHTTPServer(("127.0.0.1", 0), _AgentHandler)
    agent.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=agent.serve_forever, daemon=True)
    thread.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as statsd:
        statsd.bind(("127.0.0.1", 0))
        statsd.setblocking(False)
        yield agent, statsd
    agent.shutdown()
    agent.server_close()


@pytest.fixture(scope="module")
def runs(server, datadog_agent, tmp_path_factory) -> dict[str, Run]:
    """Each mode run once against the loopback OpenAI server."""
    agent, statsd = datadog_agent
    home = tmp_path_factory.mktemp("ddtrace-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HILT_", "OPENAI_", "DD_"))}
    env.update(
        {f"XDG_{name}_HOME": str(home / name.lower()) for name in ("CONFIG", "STATE", "DATA", "CACHE")},
        HILT_RAISE_INTERNAL_ERRORS="1",
        DD_TRACE_AGENT_URL=f"http://127.0.0.1:{agent.server_address[1]}",
        DD_DOGSTATSD_URL=f"udp://127.0.0.1:{statsd.getsockname()[1]}",
        DD_INSTRUMENTATION_TELEMETRY_ENABLED="false",
        DD_REMOTE_CONFIGURATION_ENABLED="false",
        DD_TRACE_STARTUP_LOGS="false",
        DD_TRACE_STATS_COMPUTATION_ENABLED="false",
        DD_CRASHTRACKING_ENABLED="false",
        DD_LLMOBS_ENABLED="false",
    )
    results = {}
    for mode in MODES:
        log = home / f"{mode}.jsonl"
        server.clear()
        done = subprocess.run(
            [sys.executable, str(APP), mode, server.base_url, str(log)], env=env, capture_output=True, text=True, timeout=180
        )
        output = json.loads(done.stdout) if done.returncode == 0 else {"seen": [], "spans": []}
        events = read_lines(log) if log.exists() else []
        bodies = [(r.path, r.body) for r in server.requests]
        results[mode] = Run(done.returncode, done.stderr, output["seen"], output["spans"], bodies, events)
    return results


@needs_ddtrace
def test_every_run_succeeds_quietly_and_sends_nothing_to_datadog(runs, datadog_agent):
    """Every mode exits 0 with nothing on stderr; the Datadog agent address gets only ddtrace's ``GET /info``
    probe (no trace, no metric) and the DogStatsD address nothing."""
    assert {mode: (run.returncode, run.stderr) for mode, run in runs.items()} == dict.fromkeys(MODES, (0, ""))
    agent, statsd = datadog_agent
    assert agent.requests and set(agent.requests) == {"GET /info"}
    with pytest.raises(BlockingIOError):
        statsd.recv(65536)


@needs_ddtrace
@pytest.mark.parametrize("order", ORDERS)
def test_application_sees_what_it_sees_with_ddtrace_alone(runs, order):
    """With both, the application gets the same types, chunks and values as with ddtrace alone (streams: ddtrace's
    TracedStream proxy, which still passes isinstance(openai.Stream)); without ddtrace, HILT's are the SDK's own."""
    assert runs[order].seen == runs["ddtrace"].seen
    assert runs["hilt"].seen == runs["plain"].seen
    kinds = [entry[1] for entry in runs[order].seen]
    assert kinds.count("ddtrace.llmobs._integrations.base_stream_handler.TracedStream stream=True") == 4
    assert [entry[2:] for entry in runs[order].seen] == [entry[2:] for entry in runs["plain"].seen]


@needs_ddtrace
@pytest.mark.parametrize("order", ORDERS)
def test_ddtrace_still_records_every_call(runs, order):
    """ddtrace records the same spans with HILT as without it: one per chat and embeddings call, the 429 as an error."""
    assert runs[order].spans == runs["ddtrace"].spans
    names = [span[1] for span in runs[order].spans]
    assert names == ["createChatCompletion"] * 6 + ["createEmbedding"] + ["createChatCompletion"] * 3
    assert [span[2] for span in runs[order].spans] == [0] * 7 + [1, 0, 0]


@needs_ddtrace
@pytest.mark.parametrize("order", ORDERS)
def test_request_bodies_are_byte_identical_to_ddtrace_alone(runs, order):
    """HILT adds nothing to any request body; ddtrace itself adds include_usage to a stream that did not ask for it."""
    assert runs[order].bodies == runs["ddtrace"].bodies
    assert runs["hilt"].bodies == runs["plain"].bodies
    changed = [i for i, (a, b) in enumerate(zip(runs["ddtrace"].bodies, runs["plain"].bodies)) if a != b]
    assert changed == [STREAM_WITHOUT_USAGE]
    assert json.loads(runs["ddtrace"].bodies[STREAM_WITHOUT_USAGE][1])["stream_options"] == {"include_usage": True}


@needs_ddtrace
@pytest.mark.parametrize("order", ORDERS)
def test_hilt_events_equal_those_without_ddtrace(runs, order):
    """HILT writes one complete pair per call, equal to the run without ddtrace, except the stream that did not ask
    for usage: ddtrace asked for it, so HILT logs its tokens too, and (ddtrace's layer being the outer one in both
    orders) the prompt event shows the stream_options ddtrace added (what was sent)."""
    with_both, alone = pairs(masked(runs[order].events)), pairs(masked(runs["hilt"].events))
    assert len(with_both) == len(alone) == 10
    for index, (pair, expected) in enumerate(zip(with_both, alone)):
        if index != STREAM_WITHOUT_USAGE:
            assert pair == expected, index
    (prompt, reply), (expected_prompt, expected_reply) = with_both[STREAM_WITHOUT_USAGE], alone[STREAM_WITHOUT_USAGE]
    assert "tokens" not in expected_reply["metrics"] and expected_reply["extensions"]["cost_status"] == "no_usage"
    assert reply["metrics"]["tokens"] == {"prompt": 5, "completion": 7, "total": 12, "cached": 0, "reasoning": 0}
    assert reply["content"] == expected_reply["content"] and reply["extensions"]["status"] == "ok"
    params = {**expected_prompt["extensions"]["params"], "stream_options": {"include_usage": True}}
    assert prompt["extensions"]["params"] == params


def test_another_instrumentors_private_keyword_is_not_a_parameter():
    """A keyword that is not an identifier (ddtrace's ``_dd.with_raw_response``) is left out of params, and out of
    content_omitted when content capture is off."""
    from hilt._record import CallRecord
    from hilt.providers.openai._params import capture_preamble

    kwargs = {"model": "gpt-4o-mini", "temperature": 0.5, "_dd.with_raw_response": True}
    for capture_content in (True, False):
        record = CallRecord(endpoint="chat.completions.create", provider="openai", started_ns=0)
        capture_preamble(record, kwargs, frozenset({"messages"}), capture_content)
        assert record.params == {"model": "gpt-4o-mini", "temperature": 0.5}, capture_content
