"""Opt-in ``stream_usage``: usage for streamed chat calls whose caller did not ask for it.

A streamed Chat Completions call carries token counts only when the request says
``stream_options={"include_usage": true}``; the server then adds one last chunk with ``choices: []``
and the usage. Many libraries never ask (instructor; LangChain and openai-agents unless told), so their
streams are logged without tokens or cost. With ``stream_usage = true`` HILT adds ``include_usage`` to
such requests (this setting, and only this one, changes the request body) and takes the extra chunk
out of the stream before the application sees it: the application iterates exactly the chunks it
would have got without the option, while HILT's stream observer still reads the usage.

Left alone: requests that set ``include_usage`` themselves (true or false) or pass ``stream_options``
through ``extra_body``, raw responses (``with_raw_response``, ``with_streaming_response``, litellm),
whose body HILT does not iterate, and every endpoint other than ``/chat/completions``.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Mapping
from typing import Any

from .._safety import report_exception

__all__ = ["UsageSwitch", "feed_hidden_usage", "request_with_usage", "without_usage_chunk"]

_RAW_HEADER = "x-stainless-raw-response"

# stream -> [callback or None]: where the hidden usage chunk goes (the stream's observer, once attached)
_sinks: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


class UsageSwitch:
    """The ``stream_usage`` setting, read again whenever ``instrument()`` installs a new pipeline."""

    __slots__ = ("pipeline", "on")

    def __init__(self) -> None:
        self.pipeline: Any = None
        self.on = False

    def enabled(self, pipeline: Any) -> bool:
        if pipeline is not self.pipeline:
            from . import current

            state = current()
            self.on = bool(state is not None and getattr(state.settings, "stream_usage", False))
            self.pipeline = pipeline
        return self.on


def _asks_for_usage(options: Any) -> Any:
    """A copy of ``options`` whose body asks for usage, or None when this request is left alone."""
    path = getattr(options, "url", None)
    if not isinstance(path, str) or path.split("?", 1)[0].strip("/").removeprefix("v1/") != "chat/completions":
        return None
    body, extra = getattr(options, "json_data", None), getattr(options, "extra_json", None)
    if not isinstance(body, Mapping) or body.get("stream") is not True:
        return None
    if isinstance(extra, Mapping) and "stream_options" in extra:
        return None
    stream_options = body.get("stream_options")
    if stream_options is not None and not (isinstance(stream_options, Mapping) and "include_usage" not in stream_options):
        return None
    headers = getattr(options, "headers", None)
    if isinstance(headers, Mapping) and any(str(k).lower() == _RAW_HEADER for k in headers):
        return None
    changed = copy.copy(options)
    changed.json_data = {**body, "stream_options": {**(stream_options or {}), "include_usage": True}}
    return changed


def request_with_usage(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The arguments of ``client.request`` with usage asked for, or None to send them unchanged."""
    if kwargs.get("stream") is not True:
        return None
    try:
        if len(args) > 1:
            changed = _asks_for_usage(args[1])
            return None if changed is None else ((args[0], changed, *args[2:]), kwargs)
        changed = _asks_for_usage(kwargs.get("options"))
        return None if changed is None else (args, {**kwargs, "options": changed})
    except Exception as exc:
        report_exception("ask for stream usage", exc)
        return None


def _is_usage_only(chunk: Any) -> bool:
    return not getattr(chunk, "choices", None) and getattr(chunk, "usage", None) is not None


def _as_without_usage(chunk: Any) -> Any:
    """``usage: null`` was sent only because HILT asked: unset it, so ``to_dict()`` is as without."""
    if getattr(chunk, "usage", 0) is None:
        fields_set = getattr(chunk, "__pydantic_fields_set__", None)
        if isinstance(fields_set, set):
            fields_set.discard("usage")
    return chunk


def _hidden_sync(inner: Any, sink: list[Any]) -> Any:
    for chunk in inner:
        if _is_usage_only(chunk):
            if sink[0] is not None:
                sink[0](chunk)
            continue
        yield _as_without_usage(chunk)


async def _hidden_async(inner: Any, sink: list[Any]) -> Any:
    async for chunk in inner:
        if _is_usage_only(chunk):
            if sink[0] is not None:
                sink[0](chunk)
            continue
        yield _as_without_usage(chunk)


def without_usage_chunk(result: Any) -> None:
    """Take the usage-only chunk out of a stream HILT asked usage for (in place; the stream object stays)."""
    try:
        inner = getattr(result, "_iterator", None)
        if inner is None:
            return
        sink: list[Any] = [None]
        result._iterator = _hidden_async(inner, sink) if hasattr(inner, "__anext__") else _hidden_sync(inner, sink)
        _sinks[result] = sink
    except Exception as exc:
        report_exception("hide the stream usage chunk", exc)


def feed_hidden_usage(stream: Any, observer: Any) -> None:
    """Send the hidden usage chunk of ``stream`` (if HILT asked for one) to its observer."""
    try:
        sink = _sinks.get(stream)
    except TypeError:  # not weak-referenceable: not a stream HILT asked usage for
        return
    if sink is not None:
        sink[0] = observer.on_chunk
