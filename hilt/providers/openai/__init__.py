"""Extractors for the ``openai`` SDK. Imported only once the application has imported ``openai``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from ..._record import CallRecord
from . import _chat, _completions, _embeddings, _responses

__all__ = ["EXTRACTORS", "Extractor", "describe_client", "fill_error", "is_async_stream", "is_sync_stream", "raw_kind"]


@dataclass(frozen=True)
class Extractor:
    """How one endpoint's requests, responses and stream chunks become record fields."""

    capture_request: Callable[[CallRecord, dict[str, Any], bool], None]
    capture_response: Callable[[CallRecord, Any, bool], None]
    new_accumulator: Callable[[], Any]
    select: Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any] | None] | None = None
    """Optional: the arguments to record, or None to pass the call through unrecorded."""


EXTRACTORS: dict[str, Extractor] = {
    "chat": Extractor(_chat.capture_request, _chat.capture_response, _chat.ChatStreamAccumulator),
    "responses": Extractor(
        _responses.capture_request, _responses.capture_response, _responses.ResponsesStreamAccumulator
    ),
    "responses_resume": Extractor(
        _responses.capture_resume_request,
        _responses.capture_response,
        _responses.ResponsesStreamAccumulator,
        select=_responses.select_resume,
    ),
    "completions": Extractor(
        _completions.capture_request, _completions.capture_response, _completions.CompletionStreamAccumulator
    ),
    "embeddings": Extractor(_embeddings.capture_request, _embeddings.capture_response, _embeddings.NoStream),
}


_descriptions: dict[int, tuple[Any, type, tuple[str, str | None]]] = {}


def describe_client(resource: Any) -> tuple[str, str | None]:
    """``(provider, server)`` for a resource object (``client.chat.completions``).

    Cached by the identity of the client's ``base_url`` object (kept alive by the cache, so the id
    cannot be reused) and the client's class.
    """
    client = getattr(resource, "_client", None)
    base_url = getattr(client, "base_url", None)
    cached = _descriptions.get(id(base_url))
    if cached is not None and cached[0] is base_url and cached[1] is type(client):
        return cached[2]
    # by class name: this module may be imported while ``openai/__init__`` is still running
    provider = "azure" if "Azure" in type(client).__name__ else "openai"
    host = getattr(base_url, "host", None)
    port = getattr(base_url, "port", None)
    description = (provider, f"{host}:{port}" if host and port else host)
    if len(_descriptions) >= 1024:
        _descriptions.clear()
    _descriptions[id(base_url)] = (base_url, type(client), description)
    return description


def is_sync_stream(value: Any) -> bool:
    """True for ``openai.Stream`` instances."""
    return isinstance(value, openai.Stream)


def is_async_stream(value: Any) -> bool:
    """True for ``openai.AsyncStream`` instances."""
    return isinstance(value, openai.AsyncStream)


def fill_error(record: CallRecord, exc: BaseException) -> None:
    """Fill the error fields of ``record`` from an exception."""
    from ._common import describe_error

    record.status_code, record.error_type, record.error_message, request_id, record.error_code = describe_error(exc)
    record.request_id = record.request_id or request_id


def raw_kind(value: Any) -> str | None:
    """``"raw"`` for ``with_raw_response`` results, ``"streaming"`` for ``with_streaming_response``, else None."""
    name = type(value).__name__
    if name == "LegacyAPIResponse":
        return "raw"
    if name in ("APIResponse", "AsyncAPIResponse"):
        return "streaming"
    return None
