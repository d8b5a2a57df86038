"""The on-disk shape of a HILT event, defined once, and the rendering of a call record into it.

:func:`shape_event` owns the rules; both the pipeline (:func:`render_prompt`, :func:`render_completion`)
and :meth:`hilt.events.Event.to_dict` go through it, so the same event always gives the same line:

1. the core keys come first, in this order: ``hilt_version``, ``event_id``, ``timestamp``,
   ``session_id``, ``actor``, ``action``;
2. then ``content``, ``metrics``, ``provenance``, ``extensions``, each only when it is not empty;
3. ``None`` values are dropped from ``actor``, ``content`` and ``metrics`` (a reader cannot tell a
   null from a missing key there), and an empty ``metrics.tokens`` is dropped;
4. except ``metrics.cost_usd`` in a ``completion`` event: always written, ``null`` meaning "price
   unknown" (``extensions.cost_status`` says why). Other HILT readers accept a number or null;
5. ``provenance`` and ``extensions`` are written as given (a ``null`` there is data).

Timestamps are written as ``datetime.isoformat()`` writes them (see :func:`hilt._ids.utc_now_iso`).
"""

from __future__ import annotations

from typing import Any

from ._forksafe import after_fork_in_child
from ._ids import new_event_id, utc_now_iso
from ._record import STATUS_ERROR, CallRecord
from ._runtime import process_info

__all__ = ["CORE_KEYS", "FORMAT_VERSION", "render_completion", "render_prompt", "shape_event"]

FORMAT_VERSION = "1.0.0"
"""The version of the HILT event format, written on every line as ``hilt_version``."""

CORE_KEYS = ("hilt_version", "event_id", "timestamp", "session_id", "actor", "action")


def _without_none(part: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in part.items() if value is not None}


def _shape_metrics(metrics: dict[str, Any], completion: bool) -> dict[str, Any]:
    shaped = {
        key: value
        for key, value in metrics.items()
        if (value is not None or (completion and key == "cost_usd")) and (value or key != "tokens")
    }
    if completion and "cost_usd" not in shaped:
        shaped["cost_usd"] = None
    return shaped


def shape_event(
    hilt_version: str,
    event_id: str,
    timestamp: str,
    session_id: str | None,
    actor: dict[str, Any],
    action: str,
    content: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The event as written on disk, following the rules in this module's docstring.

    The parts are used as they are when they already follow the rules (no copy): treat the result as
    read-only, like every event handed to a writer.
    """
    event: dict[str, Any] = {
        "hilt_version": hilt_version,
        "event_id": event_id,
        "timestamp": timestamp,
        "session_id": session_id,
        "actor": _without_none(actor) if None in actor.values() else actor,
        "action": action,
    }
    if content:
        if None in content.values():
            content = _without_none(content)
        if content:
            event["content"] = content
    completion = action == "completion"
    if metrics:
        # the common case (a completion with a known cost, or a system event) needs no copy
        if None in metrics.values() or not metrics.get("tokens", True) or (completion and "cost_usd" not in metrics):
            metrics = _shape_metrics(metrics, completion)
        if metrics:
            event["metrics"] = metrics
    elif completion:
        event["metrics"] = {"cost_usd": None}
    if provenance:
        event["provenance"] = provenance
    if extensions:
        event["extensions"] = extensions
    return event


_provenance_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
after_fork_in_child(_provenance_cache.clear)  # the pid and parent pid change


def _provenance(record: CallRecord) -> dict[str, Any]:
    """Shared (read-only) provenance dict per process, endpoint and server: it is the same for every call."""
    key = (record.endpoint, record.server)
    provenance = _provenance_cache.get(key)
    if provenance is None:
        if len(_provenance_cache) > 256:
            _provenance_cache.clear()
        provenance = {"source": "hilt", "endpoint": record.endpoint, **process_info()}
        if record.server:
            provenance["server"] = record.server
        _provenance_cache[key] = provenance
    return provenance


def _add_context(extensions: dict[str, Any], record: CallRecord) -> None:
    if record.user:
        extensions["user"] = record.user
    if record.tags:
        extensions["tags"] = list(record.tags)
    if record.metadata:
        extensions["metadata"] = record.metadata


def render_prompt(record: CallRecord) -> dict[str, Any]:
    """The ``prompt`` event, written before the request is sent (sets ``record.prompt_event_id``)."""
    event_id = record.prompt_event_id = new_event_id()
    content = record.prompt_content
    if record.prompt_text is not None:
        content = {"text": record.prompt_text, **content}
    extensions: dict[str, Any] = {"model": record.request_model, "stream": record.stream}
    if record.params:
        extensions["params"] = record.params
    if record.user or record.tags or record.metadata:
        _add_context(extensions, record)
    return shape_event(
        FORMAT_VERSION,
        event_id,
        utc_now_iso(),
        record.conversation_id,
        {"type": "human", "id": record.user or "user"},
        "prompt",
        content,
        None,
        _provenance_cache.get((record.endpoint, record.server)) or _provenance(record),
        extensions,
    )


_ERROR_EXTENSIONS = ("error_type", "error_message", "error_code")


def render_completion(record: CallRecord) -> dict[str, Any]:
    """The ``completion`` event, or a ``system`` event when the call failed before any output."""
    started = record.started_ns
    ended = record.ended_ns if record.ended_ns is not None else started
    latency_ms = round((ended - started) / 1_000_000)
    failed = record.status == STATUS_ERROR and not record.stream_started
    model = record.response_model or record.request_model
    metrics: dict[str, Any] = {"tokens": record.tokens} if record.tokens else {}
    if not failed:
        metrics["cost_usd"] = record.cost_usd
    metrics["latency_ms"] = latency_ms
    if record.first_token_ns is not None:
        metrics["ttft_ms"] = round((record.first_token_ns - started) / 1_000_000, 3)
    extensions: dict[str, Any] = {
        "reply_to": record.prompt_event_id,
        "model": model,
        "status_code": record.status_code,
        "status": record.status,
        "latency_ms": latency_ms,
    }
    if record.request_model and record.response_model and record.request_model != record.response_model:
        extensions["request_model"] = record.request_model
    if record.response_id:
        extensions["response_id"] = record.response_id
    if record.finish_reasons:
        extensions["finish_reasons"] = record.finish_reasons
    if record.request_id:
        extensions["request_id"] = record.request_id
    if record.cost_status and record.cost_status != "ok":
        extensions["cost_status"] = record.cost_status
    if record.error_type or record.error_message or record.error_code:
        for name in _ERROR_EXTENSIONS:
            value = getattr(record, name)
            if value:
                extensions[name] = value
    if record.response_extras:
        extensions.update(record.response_extras)
    if record.user or record.tags or record.metadata:
        _add_context(extensions, record)
    if failed:
        actor = {"type": "system", "id": record.provider}
        action = "system"
        content: dict[str, Any] = {"text": f"{record.error_type}: {record.error_message}"}
    else:
        actor = {"type": "agent", "id": record.provider, "name": model}
        action = "completion"
        content = record.completion_content
        if record.completion_text is not None:
            content = {"text": record.completion_text, **content}
    return shape_event(
        FORMAT_VERSION,
        new_event_id(),
        utc_now_iso(),
        record.conversation_id,
        actor,
        action,
        content,
        metrics,
        _provenance_cache.get((record.endpoint, record.server)) or _provenance(record),
        extensions,
    )
