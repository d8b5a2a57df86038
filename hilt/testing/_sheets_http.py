"""The HTTP side of the fake Sheets API: route a request, apply the injected faults, answer like Google."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ._loopback import LoopbackHandler
from ._sheets_charts import apply_chart_requests, is_chart_batch

if TYPE_CHECKING:
    from ._sheets_server import FakeSheetsServer

__all__ = ["SheetsHandler", "SheetsRequest", "error_body"]


@dataclass(frozen=True)
class SheetsRequest:
    """One request as the fake received it, and how it answered."""

    method: str
    path: str
    kind: str  # token, metadata, batch_update, values_get, values_update, append, unknown
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: int = 0


def error_body(code: int, message: str, status: str) -> dict[str, Any]:
    """Google's JSON error body."""
    return {"error": {"code": code, "message": message, "status": status}}


_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


_SPREADSHEET = re.compile(r"^/v4/spreadsheets/([^/:]+)(:batchUpdate|/values/(.+?)(:append)?)?$")


class SheetsHandler(LoopbackHandler):
    """Serves one request for :attr:`server.fake <LoopbackHTTPServer.fake>`, a :class:`FakeSheetsServer`."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        fake._arrived += 1
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        path = parts.path
        kind, status, reply = "unknown", 404, error_body(404, "Not found", "NOT_FOUND")
        match = _SPREADSHEET.match(path)
        if path == "/token" and self.command == "POST":
            kind = "token"
        elif match:
            if match.group(2) is None:
                kind = "metadata"
            elif match.group(2) == ":batchUpdate":
                kind = "batch_update"
            elif match.group(4):
                kind = "append"
            elif self.command == "PUT":
                kind = "values_update"
            else:
                kind = "values_get"

        if fake.delay:
            time.sleep(fake.delay)
        if fake.hang:
            fake._block()
            status, reply = 503, error_body(503, "released", "UNAVAILABLE")
            self._answer(fake, kind, query, body, status, reply)
            return
        fault = fake._fault(kind, after_apply=False)
        if fault is not None:
            status, reply = fault.status, error_body(fault.status, "injected fault", _STATUS_NAMES.get(fault.status, "UNKNOWN"))
            if fault.body is not None or fault.headers:
                self._answer(fake, kind, query, body, status, reply, raw=fault.body, headers=fault.headers)
                return
        elif kind == "token":
            status, reply = 200, {"access_token": "ya29.fake-token", "expires_in": 3600, "token_type": "Bearer"}
        elif kind != "unknown" and not self.headers.get("authorization", "").startswith("Bearer "):
            status, reply = 401, error_body(401, "Request is missing required authentication credential.", "UNAUTHENTICATED")
        elif match and (fake.forbidden or unquote(match.group(1)) != fake.spreadsheet_id):
            if fake.forbidden:
                status, reply = 403, error_body(403, "The caller does not have permission", "PERMISSION_DENIED")
            else:
                status, reply = 404, error_body(404, "Requested entity was not found.", "NOT_FOUND")
        elif kind == "metadata":
            status, reply = 200, fake._metadata()
        elif kind == "batch_update" and is_chart_batch(json.loads(body or b"{}").get("requests") or []):
            status, reply = apply_chart_requests(fake, fake.spreadsheet_id, json.loads(body)["requests"])
        elif kind == "batch_update":
            requests = (json.loads(body or b"{}").get("requests")) or []
            status, reply = 400, error_body(400, "unsupported request", "INVALID_ARGUMENT")
            if requests and "addSheet" in requests[0]:
                status, reply = fake._add_sheet(requests[0]["addSheet"].get("properties") or {})
            elif requests and all("deleteDimension" in r for r in requests):
                status, reply = fake._delete_dimensions([r["deleteDimension"].get("range") or {} for r in requests])
        elif kind == "values_get":
            status, reply = fake._values_get(unquote(match.group(3)), query.get("valueRenderOption", "FORMATTED_VALUE"))
        elif kind == "values_update":
            status, reply = fake._values_update(unquote(match.group(3)), (json.loads(body or b"{}").get("values")) or [])
        elif kind == "append":
            if query.get("valueInputOption") != "RAW":
                status, reply = 400, error_body(400, "this fake only accepts valueInputOption=RAW", "INVALID_ARGUMENT")
            else:
                status, reply = fake._append(unquote(match.group(3)), (json.loads(body or b"{}").get("values")) or [])
                fault = fake._fault(kind, after_apply=True)
                if fault is not None:
                    if fault.status == 0:  # applied, then no answer until released
                        fake._block()
                        fault.status = 503
                    status, reply = fault.status, error_body(fault.status, "injected fault after the write", _STATUS_NAMES.get(fault.status, "UNKNOWN"))
        self._answer(fake, kind, query, body, status, reply)

    def _answer(
        self,
        fake: FakeSheetsServer,
        kind: str,
        query: dict[str, str],
        body: bytes,
        status: int,
        reply: dict[str, Any],
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        fake._record(SheetsRequest(self.command, urlsplit(self.path).path, kind, query, body, status))
        data = raw if raw is not None else json.dumps({k: v for k, v in reply.items() if v is not None}).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=UTF-8")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass
