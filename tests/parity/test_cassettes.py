"""Replay recorded OpenAI traffic through the real SDK with HILT on; the logged tokens equal the recorded usage.

The cassettes live outside the project (``../shared/acceptance/cassettes`` next to the checkout, or the
folder named by ``HILT_CASSETTES``); the tests skip when they are absent. Each recorded response is
served, in order, by a loopback server; the SDK is called with the recorded request body; the expected
usage is taken from the cassettes' README table and cross-checked against the recorded bytes.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest

import hilt

from tests._surfaces import HAS_RESPONSES, pairs

yaml = pytest.importorskip("yaml", reason="the cassette tests need PyYAML")


def _cassette_folder() -> Path | None:
    configured = os.environ.get("HILT_CASSETTES")  # read at import: the test fixtures clear HILT_* later
    if configured:
        return Path(configured) if Path(configured).is_dir() else None
    for ancestor in Path(__file__).resolve().parents:
        candidate = ancestor / "shared" / "acceptance" / "cassettes"
        if candidate.is_dir():
            return candidate
    return None


FOLDER = _cassette_folder()
pytestmark = pytest.mark.skipif(FOLDER is None, reason="recorded cassettes not found (set HILT_CASSETTES)")
_ROW = re.compile(r"#(\d+) (\w+) (\S+) `[^`]*`(?: stream)? → (\d+): \*\*([^*]+)\*\*")


def readme_usage() -> dict[str, list[dict[str, Any]]]:
    """file -> per interaction {"status", "tokens"} as listed in the README table."""
    table: dict[str, list[dict[str, Any]]] = {}
    for line in (FOLDER / "README.md").read_text(encoding="utf-8").splitlines() if FOLDER else []:
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 7 or not cells[2].startswith("`otel__"):
            continue
        rows = []
        for _, _, _, status, usage in _ROW.findall(cells[6]):
            rows.append({"status": int(status), "tokens": _readme_tokens(usage)})
        table[cells[2].strip("`")] = rows
    return table


def _readme_tokens(text: str) -> dict[str, int] | None:
    if text == "none":
        return None
    counts, *extras = text.split()
    prompt, completion, total = counts.split("/")
    tokens = {"prompt": int(prompt), "total": int(total)}
    if completion != "-":
        tokens["completion"] = int(completion)
    for extra in extras:
        name, value = extra.split("=")
        tokens[name] = int(value)
    return tokens


def recorded_tokens(body: str) -> dict[str, int] | None:
    """The usage in a recorded response body (for streams: the last usage seen in a ``data:`` event)."""
    found = None
    documents = [body] if not body.lstrip().startswith(("data:", "event:")) else [
        line[5:].strip() for line in body.splitlines() if line.startswith("data:") and line[5:].strip() != "[DONE]"
    ]
    for document in documents:
        data = json.loads(document)
        usage = data.get("usage") or (data.get("response") or {}).get("usage")
        if usage:
            found = usage
    if found is None:
        return None
    tokens = {"prompt": found.get("prompt_tokens", found.get("input_tokens")), "total": found["total_tokens"]}
    completion = found.get("completion_tokens", found.get("output_tokens"))
    if completion is not None:
        tokens["completion"] = completion
    details = found.get("completion_tokens_details") or found.get("output_tokens_details") or {}
    if details.get("reasoning_tokens"):
        tokens["reasoning"] = details["reasoning_tokens"]
    return tokens


class ReplayServer:
    """Serves the recorded responses in order on 127.0.0.1 and keeps the request bodies it received."""

    def __init__(self, interactions: list[dict[str, Any]]) -> None:
        self.interactions = interactions
        self.received: list[tuple[str, str, bytes]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                index = len(replay.received)
                replay.received.append((self.command, self.path, body))
                response = replay.interactions[index]["response"]
                data = response["body"]["string"].encode()
                headers = {k.lower(): v[0] for k, v in response["headers"].items()}
                self.send_response(response["status"]["code"])
                self.send_header("content-type", headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


def _method(resource_client: Any, path: str) -> Any:
    if path.endswith("/chat/completions"):
        return resource_client.chat.completions
    if path.endswith("/responses"):
        return resource_client.responses
    if path.endswith("/embeddings"):
        return resource_client.embeddings
    return resource_client.completions


def _known_arguments(create: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Fields this SDK version's ``create`` does not know go through ``extra_body`` (same request body)."""
    import inspect

    known = inspect.signature(create).parameters
    unknown = {k: v for k, v in body.items() if k not in known}
    return {**{k: v for k, v in body.items() if k in known}, **({"extra_body": unknown} if unknown else {})}


def _replay_sync(client: Any, name: str, path: str, body: dict[str, Any]) -> None:
    resource = _method(client, path)
    body = _known_arguments(resource.create, body)
    if "raw_response" in name:
        result = resource.with_raw_response.create(**body).parse()
    elif "context_manager" in name:
        with resource.create(**body) as stream:
            for _ in stream:
                pass
        return
    else:
        result = resource.create(**body)
    if isinstance(result, openai.Stream):
        for _ in result:
            pass


async def _replay_async(client: Any, name: str, path: str, body: dict[str, Any]) -> None:
    resource = _method(client, path)
    body = _known_arguments(resource.create, body)
    if "raw_response" in name:
        result = (await resource.with_raw_response.create(**body)).parse()
    else:
        result = await resource.create(**body)
    if isinstance(result, openai.AsyncStream):
        async for _ in result:
            pass


def _replay(name: str, server: ReplayServer, path: str, body: dict[str, Any]) -> None:
    is_async = name.startswith("otel__test_async") or name.endswith("raw_response_streaming.yaml")
    try:
        if is_async:

            async def main() -> None:
                async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
                    await _replay_async(client, name, path, body)

            asyncio.run(main())
        else:
            with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
                _replay_sync(client, name, path, body)
    except openai.APIStatusError:
        pass  # recorded errors: the SDK raises as it did when they were recorded


CASSETTES = sorted(p.name for p in FOLDER.glob("otel__*.yaml")) if FOLDER else []


def test_readme_lists_every_cassette():
    assert CASSETTES and sorted(readme_usage()) == CASSETTES


@pytest.mark.parametrize("name", CASSETTES)
def test_replayed_tokens_equal_recorded_usage(name, log_path):
    interactions = yaml.safe_load((FOLDER / name).read_text(encoding="utf-8"))["interactions"]
    expected = readme_usage()[name]
    assert len(expected) == len(interactions)
    if not HAS_RESPONSES and any(i["request"]["uri"].endswith("/responses") for i in interactions):
        pytest.skip("client.responses arrived in openai 1.66")
    hilt.instrument(filepath=str(log_path))
    with ReplayServer(interactions) as server:
        for interaction in interactions:
            request = interaction["request"]
            path = request["uri"].split("/v1", 1)[1]
            _replay(name, server, path, json.loads(request["body"]))
    hilt.uninstrument()

    found = pairs(log_path)
    assert len(found) == len(interactions) == len(server.received)
    for (prompt, reply), interaction, listed, received in zip(found, interactions, expected, server.received):
        response = interaction["response"]
        assert response["status"]["code"] == listed["status"]
        assert recorded_tokens(response["body"]["string"]) == listed["tokens"]  # README agrees with the bytes
        logged = reply["metrics"].get("tokens")
        if listed["tokens"] is None:
            assert logged is None
        else:
            assert {k: logged[k] for k in listed["tokens"]} == listed["tokens"]
            assert logged.get("reasoning", 0) == listed["tokens"].get("reasoning", 0)
        assert reply["extensions"]["status_code"] == listed["status"]
        sent = json.loads(received[2])
        recorded = json.loads(interaction["request"]["body"])
        if interaction["request"]["uri"].endswith("/embeddings") and "encoding_format" not in recorded:
            # newer SDKs ask for base64 unless told otherwise (and decode it themselves)
            assert sent.pop("encoding_format", "base64") == "base64"
        assert sent == recorded
