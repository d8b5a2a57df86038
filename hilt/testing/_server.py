"""A loopback OpenAI-compatible HTTP server for tests (stdlib only).

Routes (``/v1`` prefix optional, query string ignored for routing; Azure OpenAI paths
``/openai/deployments/{name}/...`` and ``/openai/...`` route like their OpenAI twins):
``POST /chat/completions``, ``POST /responses`` (also ``?beta=true``),
``GET /responses/{id}`` (``?stream=true`` replays the events, honouring
``starting_after``), ``POST /embeddings``, ``POST /completions``; anything else is
a 404 with an OpenAI error body. Every reply has an ``x-request-id: req_<hex>``.

Fault injection and overrides by request header:

``x-fake-status: CODE``       reply CODE (4xx/5xx) with an error body, ``retry-after-ms: 1``.
``x-fake-fail-first: N``      with ``x-fake-key: K``: the first N requests carrying K fail
                              with ``x-fake-status`` (default 500); later ones succeed.
``x-fake-delay-ms: N``        sleep N ms before replying.
``x-fake-chunk-delay-ms: N``  sleep N ms between stream frames.
``x-fake-stream-error-after: N``  after N content frames send an error frame and end the
                              stream: ``data: {"error": ...}`` for chat/legacy (the SDK raises
                              ``APIError``), an ``error`` event for responses (the SDK yields it).
``x-fake-drop-after: N``      after N content frames close the connection mid-body
                              (the SDK raises ``APIConnectionError``).
``x-fake-reply: TEXT``        reply text (percent-decoded, so non-ASCII works).
``x-fake-tool-call: NAME``    if the request has ``tools``: reply with a call to NAME.
``x-fake-cached-tokens: N``, ``x-fake-reasoning-tokens: N``  usage details.
``x-fake-no-usage: 1``        no ``usage`` (non-stream) / no usage chunk (stream).
``x-fake-model: NAME``        model name in the reply.
``x-fake-body: KEY``          reply 200 with what ``register_body(KEY, ...)`` stored, verbatim: a JSON
                              body, or a list of SSE frames sent as a stream (shape fuzzing).

"Content frames" are the text / tool-argument delta frames. The token rule is in
``hilt.testing._replies``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import _replies as r
from ._loopback import LoopbackHandler, LoopbackServer

DEFAULT_REPLY = "Hello! How can I help you today?"
DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None


class FakeOpenAIServer(LoopbackServer):
    """OpenAI-compatible server on ``127.0.0.1`` in a daemon thread.

    Args:
        reply: assistant text of every reply (``x-fake-reply`` overrides it).
        model: model name in replies; ``None`` echoes the request's ``model``.
        chunk_size: words per stream content frame.
        tool_arguments: ``arguments`` string of fake tool calls.
    """

    def __init__(
        self,
        *,
        reply: str = DEFAULT_REPLY,
        model: str | None = None,
        chunk_size: int = 1,
        tool_arguments: str = '{"city": "Paris"}',
    ) -> None:
        self.reply = reply
        self.model = model
        self.chunk_size = chunk_size
        self.tool_arguments = tool_arguments
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: dict[str, int] = {}
        self._responses: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        self._bodies: dict[str, bytes | list[bytes]] = {}
        super().__init__()

    # --- introspection ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (pass it to ``openai.OpenAI(base_url=...)``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the recorded requests, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget recorded requests and ``x-fake-fail-first`` counters."""
        with self._lock:
            self._requests.clear()
            self._failures.clear()

    def register_body(self, key: str, body: bytes | list[bytes]) -> None:
        """Make requests with ``x-fake-body: KEY`` get ``body`` as is: bytes as a JSON reply, a list of
        bytes as the frames of an SSE stream."""
        with self._lock:
            self._bodies[key] = body

    @staticmethod
    def embedding_for(text: str | list[int], dimensions: int = 8) -> list[float]:
        """The vector the server returns for one embeddings input."""
        return r.embedding_vector(text, dimensions)

    # --- used by the handler ---------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _should_fail(self, key: str, first: int) -> bool:
        with self._lock:
            seen = self._failures.get(key, 0)
            self._failures[key] = seen + 1
            return seen < first

    def _store(self, final: dict[str, Any], events: list[dict[str, Any]]) -> None:
        with self._lock:
            self._responses[final["id"]] = (final, events)

    def _stored(self, response_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        with self._lock:
            return self._responses.get(response_id)


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class _Handler(LoopbackHandler):

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # --- request -------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body = self._read_body()
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=headers,
            body=body,
        )
        fake._record(request)
        self.request_id = r.new_id("req_")
        self.fake_headers = headers

        delay = _int_header(headers, "x-fake-delay-ms")
        if delay:
            time.sleep(delay / 1000)
        status = _int_header(headers, "x-fake-status")
        fail_first = _int_header(headers, "x-fake-fail-first")
        if fail_first is not None:
            if fake._should_fail(headers.get("x-fake-key", ""), fail_first):
                return self._error(status if status and status >= 400 else 500)
        elif status and status >= 400:
            return self._error(status)
        with fake._lock:
            canned = fake._bodies.get(headers.get("x-fake-body", ""))
        if canned is not None:
            return self._canned(canned)
        try:
            self._route(request)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # a bug in the fake: report it to the client, not stderr
            self._error(500, f"FakeOpenAIServer failed: {exc!r}")

    def _route(self, request: RecordedRequest) -> None:
        path = request.path.rstrip("/")
        if path.startswith("/openai/deployments/") and path.count("/") >= 4:
            path = "/" + path.split("/", 4)[4]
        elif path.startswith("/openai/"):
            path = path[7:]
        if path.startswith("/v1/"):
            path = path[3:]
        if request.method == "GET" and path.startswith("/responses/") and path.count("/") == 2:
            return self._retrieve_response(path.split("/")[2], request.query)
        if request.method != "POST" or path not in ("/chat/completions", "/responses", "/embeddings", "/completions"):
            return self._error(404, f"Invalid URL ({request.method} {request.path})")
        try:
            payload = json.loads(request.body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            return self._error(400, "We could not parse the JSON body of your request.")
        opts = self._options(payload)
        stream = payload.get("stream") is True
        if path == "/chat/completions":
            if stream:
                return self._stream(r.chat_frames(payload, opts), r.stream_error_frame())
            return self._json(200, r.chat_completion(payload, opts))
        if path == "/completions":
            if stream:
                return self._stream(r.completion_frames(payload, opts), r.stream_error_frame())
            return self._json(200, r.completion(payload, opts))
        if path == "/embeddings":
            return self._json(200, r.embeddings(payload, opts))
        final, events = r.response_and_events(payload, opts)
        self.server.fake._store(final, events)
        if stream:
            return self._stream(r.response_frames(events), r.response_error_frame(len(events)))
        return self._json(200, final)

    def _retrieve_response(self, response_id: str, query: dict[str, str]) -> None:
        stored = self.server.fake._stored(response_id)
        if stored is None:
            return self._error(404, f"No response found with id '{response_id}'.")
        final, events = stored
        if query.get("stream", "").lower() != "true":
            return self._json(200, final)
        try:
            after: int | None = int(query["starting_after"])
        except (KeyError, ValueError):
            after = None
        self._stream(r.response_frames(events, after), r.response_error_frame(len(events)))

    def _options(self, payload: dict[str, Any]) -> r.ReplyOptions:
        fake, h = self.server.fake, self.fake_headers
        text = unquote(h["x-fake-reply"]) if "x-fake-reply" in h else fake.reply
        model = h.get("x-fake-model") or fake.model or payload.get("model") or DEFAULT_MODEL
        tool = h.get("x-fake-tool-call") if payload.get("tools") else None
        return r.ReplyOptions(
            text=text,
            model=str(model),
            chunk_size=fake.chunk_size,
            tool_call=tool or None,
            tool_arguments=fake.tool_arguments,
            cached_tokens=_int_header(h, "x-fake-cached-tokens") or 0,
            reasoning_tokens=_int_header(h, "x-fake-reasoning-tokens") or 0,
            usage=h.get("x-fake-no-usage", "").lower() not in ("1", "true", "yes"),
            created=int(time.time()),
        )

    # --- replies ---------------------------------------------------------------------

    def _json(self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", self.request_id)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _canned(self, body: bytes | list[bytes]) -> None:
        if isinstance(body, list):
            self._stream([(r.CONTENT, frame) for frame in body], b"")
            return
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-request-id", self.request_id)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str | None = None) -> None:
        self._json(status, r.error_body(status, message), {"retry-after-ms": "1"})

    def _stream(self, frames: list[r.Frame], error_frame: bytes) -> None:
        h = self.fake_headers
        chunk_delay = (_int_header(h, "x-fake-chunk-delay-ms") or 0) / 1000
        error_after = _int_header(h, "x-fake-stream-error-after")
        drop_after = _int_header(h, "x-fake-drop-after")
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", self.request_id)
        self.end_headers()
        sent = 0
        for position, (kind, frame) in enumerate(frames):
            if position and chunk_delay:
                time.sleep(chunk_delay)
            if kind != r.HEAD and drop_after is not None and sent >= drop_after:
                # End without the terminating chunk: the client sees a truncated body.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if kind != r.HEAD and error_after is not None and sent >= error_after:
                self._chunk(error_frame)
                break
            self._chunk(frame)
            sent += kind == r.CONTENT
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


FakeOpenAIServer.handler_class = _Handler
