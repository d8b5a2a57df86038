"""Calls that reach the SDK client without going through a resource method HILT patches.

Some libraries skip ``client.chat.completions.create`` and call the client directly, for example
litellm: ``client.post("/chat/completions", body=..., cast_to=ChatCompletion, stream_cls=Stream[...])``
(and ``/embeddings`` likewise). Every such call, and every resource method, ends in the client's
``request(cast_to, options, *, stream, stream_cls)`` (the same shape from openai 1.26 to 3.x), looked up
on the client at call time. HILT wraps ``SyncAPIClient.request`` and ``AsyncAPIClient.request`` and
records the POSTs whose path is one HILT covers, with the extractor of that endpoint. The resource
methods HILT patches reach ``request`` with the context variable
:data:`~._recorder.inside_recorded_call` set: those calls were recorded already and pass straight
through, so one call is still one record. (``post`` itself would not do: each resource keeps the bound
``client.post`` it saw when it was created, so resources made before ``instrument()`` bypass a patch.)

The body is read, never changed; the result (a model, a stream, a raw response) comes back as the very
object the SDK made, observed exactly as on the resource path; an exception is the SDK's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._safety import report_exception
from ._recorder import SUPPRESSED, inside_recorded_call
from ._stream_usage import UsageSwitch, request_with_usage, without_usage_chunk

__all__ = ["ROUTES", "make_lowlevel_wrapper", "request_of"]

ROUTES: dict[str, tuple[str, str]] = {
    "chat/completions": ("chat", "client.post /chat/completions"),
    "responses": ("responses", "client.post /responses"),
    "completions": ("completions", "client.post /completions"),
    "embeddings": ("embeddings", "client.post /embeddings"),
}
"""Request path (without slashes or query) → (extractor key, ``provenance.endpoint``)."""


class _ClientAsResource:
    """What ``describe_client`` expects (a resource holding ``_client``), around a client."""

    __slots__ = ("_client",)

    def __init__(self, client: Any) -> None:
        self._client = client


def request_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``(route key, request body)`` of a ``request`` call HILT records, or None to pass it through.

    The body is the JSON the SDK will send: ``options.json_data`` merged with ``options.extra_json``
    (``extra_body``).
    """
    options = args[1] if len(args) > 1 else kwargs.get("options")
    method, path = getattr(options, "method", None), getattr(options, "url", None)
    if not isinstance(method, str) or method.lower() != "post" or not isinstance(path, str):
        return None
    key = path.split("?", 1)[0].strip("/")
    if key.startswith("v1/"):
        key = key[3:]
    if key not in ROUTES:
        return None
    body = getattr(options, "json_data", None)
    if not isinstance(body, Mapping):
        return None  # files, raw bytes or nothing: not a request HILT understands
    captured = dict(body)
    extra = getattr(options, "extra_json", None)
    if isinstance(extra, Mapping):
        captured.update(extra)
    if kwargs.get("stream") is True:
        captured["stream"] = True
    return key, captured


def _selected(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    try:
        return request_of(args, kwargs)
    except Exception as exc:
        report_exception("read a client request", exc)
        return None


def make_lowlevel_wrapper(recorder: Any, is_async: bool) -> Callable[..., Any]:
    """The ``wrapt`` wrapper for ``SyncAPIClient.request`` (or the async one when ``is_async``).

    Calls that a resource wrapper records pass straight through unless ``stream_usage`` is on (then a
    streamed chat request may ask for usage, see :mod:`._stream_usage`).
    """
    extractors = recorder.provider.EXTRACTORS
    routes = {key: (extractors[name], endpoint) for key, (name, endpoint) in ROUTES.items()}
    usage = UsageSwitch()

    if is_async:

        async def async_send(wrapped: Any, args: tuple, kwargs: dict) -> Any:
            changed = request_with_usage(args, kwargs) if usage.enabled(recorder.pipeline) else None
            if changed is None:
                return await wrapped(*args, **kwargs)
            result = await wrapped(*changed[0], **changed[1])
            without_usage_chunk(result)
            return result

        async def async_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
            inside = inside_recorded_call.get()
            if inside:
                if inside is SUPPRESSED or (recorder.pipeline is usage.pipeline and not usage.on):
                    return await wrapped(*args, **kwargs)
                return await async_send(wrapped, args, kwargs)
            selected = _selected(args, kwargs)
            if selected is None:
                return await async_send(wrapped, args, kwargs)
            extractor, endpoint = routes[selected[0]]
            client = _ClientAsResource(instance)
            return await recorder.record_async(extractor, endpoint, client, selected[1], async_send, (wrapped, args, kwargs), {})

        return async_wrapper

    def send(wrapped: Any, args: tuple, kwargs: dict) -> Any:
        changed = request_with_usage(args, kwargs) if usage.enabled(recorder.pipeline) else None
        if changed is None:
            return wrapped(*args, **kwargs)
        result = wrapped(*changed[0], **changed[1])
        without_usage_chunk(result)
        return result

    def wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
        inside = inside_recorded_call.get()
        if inside:
            if inside is SUPPRESSED or (recorder.pipeline is usage.pipeline and not usage.on):
                return wrapped(*args, **kwargs)
            return send(wrapped, args, kwargs)
        selected = _selected(args, kwargs)
        if selected is None:
            return send(wrapped, args, kwargs)
        extractor, endpoint = routes[selected[0]]
        client = _ClientAsResource(instance)
        return recorder.record_sync(extractor, endpoint, client, selected[1], send, (wrapped, args, kwargs), {})

    return wrapper
