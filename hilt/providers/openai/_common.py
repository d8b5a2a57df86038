"""Helpers shared by the OpenAI extractors: safe attribute access, JSON-safe copies, usage and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import openai

__all__ = [
    "get",
    "is_given",
    "jsonable",
    "describe_error",
    "text_of_content",
    "usage_tokens",
    "STATUS_CANCELLED_CODE",
    "STATUS_CONNECTION_ERROR_CODE",
    "STATUS_TIMEOUT_CODE",
    "STATUS_CLIENT_ERROR_CODE",
]

# HTTP-style codes for failures that have no HTTP status (documented in docs/events.md).
STATUS_TIMEOUT_CODE = 504  # the request timed out (openai.APITimeoutError)
STATUS_CONNECTION_ERROR_CODE = 502  # no usable answer from the server (openai.APIConnectionError)
STATUS_CANCELLED_CODE = 499  # the caller gave up: task cancelled, KeyboardInterrupt
STATUS_CLIENT_ERROR_CODE = 500  # anything else raised inside the SDK call

_TRANSPORT_MODULES = frozenset({"httpx", "httpx2", "httpcore", "httpcore2"})
_MAX_STRING = 100_000
_DATA_URL_KEEP = 64


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for dicts, ``obj.name`` otherwise (SDK models); never raises."""
    if obj is None:
        return default
    if type(obj) is dict:
        return obj.get(name, default)
    try:
        return getattr(obj, name, default)
    except Exception:
        return default


def is_given(value: Any) -> bool:
    """False for the SDK's ``NOT_GIVEN``/``omit`` sentinels."""
    return type(value).__name__ not in ("NotGiven", "Omit")


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of a request value (SDK models, TypedDicts, classes), with long strings capped.

    Inline binary payloads (``data:`` URLs, base64 audio) are replaced by a short description, so logs
    keep the structure of a multimodal prompt without megabytes of base64.
    """
    kind = type(value)
    if kind is str and len(value) <= _DATA_URL_KEEP:
        return value
    if value is None or kind in (bool, int, float):
        return value
    if kind is dict and depth < 20:
        return {str(k): jsonable(v, depth + 1) for k, v in value.items() if is_given(v)}
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if value.startswith("data:") and len(value) > _DATA_URL_KEEP:
            head = value.split(",", 1)[0]
            return f"{head},<{len(value)} characters omitted>"
        return value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + "…[truncated]"
    if depth > 20:
        return repr(value)[:200]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items() if is_given(v)}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return jsonable(dump(mode="json", exclude_none=True), depth + 1)
        except Exception:
            pass
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    return repr(value)[:200]


def text_of_content(content: Any) -> str | None:
    """The text of a message's ``content``: a string, or the text parts of a list joined with newlines."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        texts = [get(part, "text") for part in content if get(part, "type") in ("text", "input_text", "output_text")]
        texts = [t for t in texts if isinstance(t, str)]
        return "\n".join(texts) if texts else None
    return None


def _count(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def usage_tokens(usage: Any) -> dict[str, int]:
    """HILT token counts from a chat/completions/embeddings or Responses API usage object.

    A count the server did not send is left out (never reported as 0).
    """
    tokens: dict[str, int] = {}
    if usage is None:
        return tokens
    for key, names in (("prompt", ("prompt_tokens", "input_tokens")), ("completion", ("completion_tokens", "output_tokens"))):
        for name in names:
            value = _count(get(usage, name))
            if value is not None:
                tokens[key] = value
                break
    total = _count(get(usage, "total_tokens"))
    if total is not None:
        tokens["total"] = total
    elif "prompt" in tokens or "completion" in tokens:
        tokens["total"] = tokens.get("prompt", 0) + tokens.get("completion", 0)
    input_details = get(usage, "prompt_tokens_details") or get(usage, "input_tokens_details")
    cached = _count(get(input_details, "cached_tokens"))
    if cached is not None:
        tokens["cached"] = cached
    cache_write = _count(get(input_details, "cache_write_tokens"))
    if cache_write:
        tokens["cache_write"] = cache_write
    output_details = get(usage, "completion_tokens_details") or get(usage, "output_tokens_details")
    reasoning = _count(get(output_details, "reasoning_tokens"))
    if reasoning is not None:
        tokens["reasoning"] = reasoning
    return tokens


def describe_error(exc: BaseException) -> tuple[int, str, str, str | None, str | None]:
    """``(status_code, error_type, message, request_id, error_code)`` for an exception raised by the SDK."""
    error_type = type(exc).__name__
    message = str(exc)
    request_id = get(exc, "request_id")
    code = get(exc, "code")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
    elif isinstance(exc, openai.APITimeoutError):
        status = STATUS_TIMEOUT_CODE
    elif isinstance(exc, openai.APIConnectionError):
        status = STATUS_CONNECTION_ERROR_CODE
    elif isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        status = STATUS_CANCELLED_CODE
    elif type(exc).__module__.split(".")[0] in _TRANSPORT_MODULES:  # older SDKs let transport errors through
        status = STATUS_TIMEOUT_CODE if "Timeout" in error_type else STATUS_CONNECTION_ERROR_CODE
    else:
        status = get(exc, "status_code") if isinstance(get(exc, "status_code"), int) else STATUS_CLIENT_ERROR_CODE
    return status, error_type, message, request_id if isinstance(request_id, str) else None, code if isinstance(code, str) else None
