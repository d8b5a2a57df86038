"""Helpers shared by the OpenAI extractors: safe attribute access, message text and errors."""

from __future__ import annotations

from typing import Any

import openai

from ..._safety import is_cancellation
from ._redact import cap_text, scrub_request_secrets

__all__ = [
    "get",
    "fields_of",
    "index_of",
    "items",
    "str_or_none",
    "is_given",
    "describe_error",
    "text_of_content",
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
_SENTINELS = frozenset({"NotGiven", "Omit"})


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


class _Attributes:
    """``.get`` by attribute, for an object that keeps its values elsewhere than in a ``__dict__``."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def get(self, name: str, default: Any = None) -> Any:
        return get(self.obj, name, default)


_NO_FIELDS: dict[str, Any] = {}


def fields_of(obj: Any) -> Any:
    """A read-only mapping of ``obj``'s values, read by key with ``.get``: the dict itself, an SDK model's
    ``__dict__`` (pydantic keeps declared fields and ``_request_id`` there; undeclared ones in
    ``__pydantic_extra__``, merged in only when there are any), an empty dict for ``None``.

    A key lookup costs tens of nanoseconds where a missed attribute on a pydantic model costs about a
    microsecond (its ``__getattr__``); other objects are read by attribute.
    """
    if type(obj) is dict:
        return obj
    if obj is None:
        return _NO_FIELDS
    try:
        fields = obj.__dict__
    except Exception:
        return _Attributes(obj)
    if type(fields) is not dict:
        return _Attributes(obj)
    try:
        extras = obj.__pydantic_extra__
    except Exception:  # pydantic 1 keeps extras in __dict__; plain objects have none
        return fields
    return {**fields, **extras} if extras and type(extras) is dict else fields


def items(value: Any) -> list[Any] | tuple[Any, ...]:
    """``value`` when it is a list or tuple, else an empty tuple: what an odd reply sends instead is ignored."""
    return value if type(value) is list or type(value) is tuple else ()


def index_of(value: Any) -> int:
    """A choice or tool-call index as the API sends it (an int); anything odd counts as 0."""
    return value if type(value) is int else 0


def str_or_none(value: Any) -> str | None:
    """``value`` when it is a string (an id, a model name), else ``None``."""
    return value if isinstance(value, str) else None


def is_given(value: Any) -> bool:
    """False for the SDK's ``NOT_GIVEN``/``omit`` sentinels."""
    return type(value).__name__ not in _SENTINELS


def text_of_content(content: Any) -> str | None:
    """The text of a message's ``content``: a string, or the text parts of a list joined with newlines."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        texts = [get(part, "text") for part in content if get(part, "type") in ("text", "input_text", "output_text")]
        texts = [t for t in texts if isinstance(t, str)]
        return "\n".join(texts) if texts else None
    return None


def describe_error(exc: BaseException) -> tuple[int, str, str, str | None, str | None]:
    """``(status_code, error_type, message, request_id, error_code)`` for an exception raised by the SDK."""
    error_type = type(exc).__name__
    message = cap_text(scrub_request_secrets(str(exc), get(exc, "request")))
    request_id = get(exc, "request_id")
    code = get(exc, "code")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
    elif isinstance(exc, openai.APITimeoutError):
        status = STATUS_TIMEOUT_CODE
    elif isinstance(exc, openai.APIConnectionError):
        status = STATUS_CONNECTION_ERROR_CODE
    elif is_cancellation(exc):
        status = STATUS_CANCELLED_CODE
    elif type(exc).__module__.split(".")[0] in _TRANSPORT_MODULES:  # older SDKs let transport errors through
        status = STATUS_TIMEOUT_CODE if "Timeout" in error_type else STATUS_CONNECTION_ERROR_CODE
    else:
        status = get(exc, "status_code") if isinstance(get(exc, "status_code"), int) else STATUS_CLIENT_ERROR_CODE
    return status, error_type, message, request_id if isinstance(request_id, str) else None, code if isinstance(code, str) else None
