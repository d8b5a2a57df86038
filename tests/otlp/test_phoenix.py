"""A real backend: Arize Phoenix (``phoenix serve`` on 127.0.0.1) receives HILT's spans over OTLP/HTTP.

The spans are read back through Phoenix's own APIs (REST for the spans, GraphQL for the cost Phoenix
computes with its price table): Phoenix must show the model, the token counts and a cost. Phoenix is a
heavy install: run with ``tox -e phoenix``; skipped where ``arize-phoenix`` is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt.testing import read_lines

# find_spec, not importorskip: importing phoenix here is not needed (it runs as a server) and warns

pytestmark = pytest.mark.skipif(importlib.util.find_spec("phoenix") is None, reason="needs arize-phoenix (tox -e phoenix)")

PROJECT = "hilt-tests"
COST_QUERY = (
    "query ($name: String!) { projects(filter: {col: name, value: $name}) { edges { node { spans(first: 50) "
    "{ edges { node { spanId costSummary { total { cost } } } } } } } } }"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``phoenix serve`` on free 127.0.0.1 ports with a fresh working folder; its base URL."""
    executable = shutil.which("phoenix", path=str(Path(sys.executable).parent)) or shutil.which("phoenix")
    assert executable, "arize-phoenix is installed but its phoenix command is not on PATH"
    port = _free_port()
    env = {
        **os.environ,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(_free_port()),
        "PHOENIX_WORKING_DIR": str(tmp_path_factory.mktemp("phoenix")),
    }
    log = (tmp_path_factory.mktemp("phoenix-log") / "serve.log").open("w")
    process = subprocess.Popen([executable, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a cold start (database migrations) takes ~30 s on a busy machine
        while time.monotonic() < deadline:
            assert process.poll() is None, f"phoenix serve exited with {process.returncode}, see {log.name}"
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        else:
            pytest.fail(f"phoenix serve did not answer within 180 s, see {log.name}")
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _phoenix_spans(base_url: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        try:
            spans = _get(f"{base_url}/v1/projects/{PROJECT}/spans?limit=100")["data"]
        except urllib.error.HTTPError as exc:  # 404 until the first span created the project
            if exc.code != 404:
                raise
            spans = []
        if len(spans) >= count or time.monotonic() > deadline:
            return spans
        time.sleep(0.3)


def test_phoenix_shows_model_tokens_and_cost(phoenix: str, client: Any, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two calls sent to Phoenix come back with HILT's model and token counts, a Phoenix cost equal to HILT's,
    and the application's conversation id as Phoenix's session."""
    for name in [n for n in os.environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", phoenix)
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", f"openinference.project.name={PROJECT}")
    hilt.instrument(backend=["local", "otlp"], filepath=str(log_path))
    with hilt.conversation(id="ticket-7"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}], extra_headers={"x-fake-cached-tokens": "2"}
        )
        list(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Again"}], stream=True, stream_options={"include_usage": True}))
    hilt.uninstrument()
    events = read_lines(log_path)
    replies = {e["extensions"]["trace_id"]: e for e in events if e["action"] == "completion"}
    spans = _phoenix_spans(phoenix, 2)
    assert sorted(span["context"]["trace_id"] for span in spans) == sorted(replies)
    costs = _get(phoenix + "/graphql", {"query": COST_QUERY, "variables": {"name": PROJECT}})
    [project] = costs["data"]["projects"]["edges"]
    phoenix_cost = {edge["node"]["spanId"]: edge["node"]["costSummary"]["total"]["cost"] for edge in project["node"]["spans"]["edges"]}
    for span in spans:
        reply = replies[span["context"]["trace_id"]]
        tokens = reply["metrics"]["tokens"]
        attributes = span["attributes"]
        assert (span["name"], span["span_kind"]) == ("chat gpt-4o-mini", "LLM")
        assert (attributes["llm.model_name"], attributes["llm.provider"]) == ("gpt-4o-mini", "openai")
        assert (attributes["llm.token_count.prompt"], attributes["llm.token_count.completion"]) == (tokens["prompt"], tokens["completion"])
        assert attributes["llm.token_count.prompt_details.cache_read"] == tokens["cached"]
        assert attributes["session.id"] == "ticket-7"
        assert phoenix_cost[span["context"]["span_id"]] == pytest.approx(reply["metrics"]["cost_usd"], rel=1e-9)
        assert attributes["hilt.cost_usd"] == reply["metrics"]["cost_usd"]
