"""Run one scenario with and without HILT and reduce what the application saw to comparable data.

An observation holds the returned objects' types, public attribute names and dumps, the values the
application reads, the exception (type, message, status, body), and every request the server received
(method, path, query, headers, body bytes). Server-generated ids and timestamps differ between two
runs by design, so they are replaced by placeholders before comparing; request bodies are compared as
received, byte for byte.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pydantic

import hilt

_IDS = re.compile(r"\b(chatcmpl-|cmpl-|resp_|msg_|call_|fc_|req_)[0-9a-f]{24}\b")
_TIMES = re.compile(r'(created(?:_at)?\\*": ?)\d+')  # also inside JSON text kept as a string
VOLATILE_HEADERS = frozenset({"idempotency-key"})


def normalize(value: Any) -> Any:
    """``value`` as JSON-able data with server ids and timestamps replaced by placeholders."""
    text = json.dumps(value, sort_keys=True, default=repr)
    text = _TIMES.sub(r"\g<1>0", _IDS.sub(r"\1<id>", text))
    return json.loads(text)


def describe(obj: Any) -> dict[str, Any]:
    """Type, public attribute names and content of one object the application received."""
    seen: dict[str, Any] = {"type": f"{type(obj).__module__}.{type(obj).__qualname__}"}
    seen["public"] = sorted(name for name in dir(obj) if not name.startswith("_"))
    if isinstance(obj, pydantic.BaseModel):
        seen["dump"] = normalize(obj.model_dump(mode="json", warnings=False))
        seen["json"] = normalize(json.loads(obj.model_dump_json(warnings=False)))
    elif isinstance(obj, (list, tuple)):
        seen["items"] = [describe(item) for item in obj]
    elif isinstance(obj, (str, int, float, bool, type(None), dict)):
        seen["value"] = normalize(obj)
    return seen


def describe_error(exc: BaseException) -> dict[str, Any]:
    return {
        "error": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": normalize(str(exc)),
        "status": getattr(exc, "status_code", None),
        "body": normalize(getattr(exc, "body", None)),
        "cause": type(exc.__cause__).__name__ if exc.__cause__ else None,
    }


def requests_seen(server: Any) -> list[dict[str, Any]]:
    return [
        {
            "method": r.method,
            "path": _IDS.sub(r"\1<id>", r.path),  # a resumed stream names the earlier response
            "query": r.query,
            "headers": {k: v for k, v in sorted(r.headers.items()) if k not in VOLATILE_HEADERS},
            "body": r.body,
        }
        for r in server.requests
    ]


def run(scenario: Callable[[Any], Any], is_async: bool, server: Any, log_path: Path | None, **client_options: Any) -> dict[str, Any]:
    """Run ``scenario(client)`` once, instrumented when ``log_path`` is given."""
    server.clear()
    if log_path is not None:
        hilt.instrument(filepath=str(log_path))
    options = {"base_url": server.base_url, "api_key": "test-key", "max_retries": 0, **client_options}
    try:
        if is_async:
            outcome = asyncio.run(_run_async(scenario, options))
        else:
            with openai.OpenAI(**options) as client:
                outcome = _capture(lambda: scenario(client))
    finally:
        if log_path is not None:
            hilt.uninstrument()
    outcome["requests"] = requests_seen(server)
    return outcome


async def _run_async(scenario: Callable[[Any], Any], options: dict[str, Any]) -> dict[str, Any]:
    async with openai.AsyncOpenAI(**options) as client:
        try:
            return {"result": await scenario(client)}
        except Exception as exc:
            return describe_error(exc)


def _capture(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"result": call()}
    except Exception as exc:
        return describe_error(exc)
