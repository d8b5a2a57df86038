"""The steps a call record goes through, in order, and the events they build.

Request phase (before the request is sent): :func:`merge_context` → :class:`ConversationThreader`
``.link`` → :func:`build_prompt_event`. Response phase: :class:`CostCalculator` → ``ConversationThreader``
``.remember`` → :func:`build_completion_event`. Each step is a small callable over a
:class:`~hilt._record.CallRecord`; the pipeline runs them and guards each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._context import current_context
from ._conversations import ConversationLinker, extend_digest, new_conversation_id, prefix_digests
from ._ids import new_event_id, utc_now_iso
from ._record import STATUS_ERROR, STATUS_OK, CallRecord
from ._runtime import process_info
from ._format import FORMAT_VERSION
from .pricing import ModelRates, PriceBook

__all__ = [
    "ConversationThreader",
    "CostCalculator",
    "build_completion_event",
    "build_prompt_event",
    "merge_context",
]


def merge_context(record: CallRecord) -> None:
    """Copy the active :func:`hilt.conversation` (id, user, tags, metadata) onto the record."""
    context = current_context()
    if context is None:
        return
    record.conversation_id = context.id
    record.user = context.user
    record.tags = context.tags
    record.metadata = dict(context.metadata)


class ConversationThreader:
    """Gives each call a conversation id: the bound one, else the one its history continues, else a new one."""

    def __init__(self, linker: ConversationLinker | None = None) -> None:
        self.linker = linker or ConversationLinker()

    def link(self, record: CallRecord) -> None:
        """Request phase: find the conversation the request continues."""
        if record.history:
            record.prompt_digests = prefix_digests(record.history)
        if record.conversation_id:
            return
        found = None
        if record.previous_response_id:
            found = self.linker.find_key(record.previous_response_id)
        if found is None and record.prompt_digests:
            found = self.linker.find(record.history or [], record.prompt_digests)
        record.conversation_id = found or new_conversation_id()

    def remember(self, record: CallRecord) -> None:
        """Response phase: remember history + answer, and the response id, for the calls that follow."""
        conversation_id = record.conversation_id
        if not conversation_id or record.status != STATUS_OK:
            return
        if record.prompt_digests and record.answer_message is not None:
            self.linker.remember(extend_digest(record.prompt_digests[-1], record.answer_message), conversation_id)
        if record.response_id:
            self.linker.remember_key(record.response_id, conversation_id)


class CostCalculator:
    """Prices the call from its tokens: response model first, then request model."""

    def __init__(self, overrides: Mapping[str, ModelRates | Mapping[str, Any]] | None = None) -> None:
        self.book = PriceBook(overrides)

    def __call__(self, record: CallRecord) -> None:
        if not record.tokens:
            record.cost_status = "no_usage" if record.status == STATUS_OK else None
            return
        priced = self.book.price((record.response_model, record.request_model), record.tokens)
        record.cost_usd, record.cost_status = priced.cost_usd, priced.status


_provenance_cache: dict[tuple[Any, ...], dict[str, Any]] = {}


def _provenance(record: CallRecord) -> dict[str, Any]:
    """Shared (read-only) provenance dict per process, endpoint and server: it is the same for every call."""
    info = process_info()
    key = (info["pid"], record.endpoint, record.server)
    provenance = _provenance_cache.get(key)
    if provenance is None:
        if len(_provenance_cache) > 256:
            _provenance_cache.clear()
        provenance = {"source": "hilt", "endpoint": record.endpoint, **info}
        if record.server:
            provenance["server"] = record.server
        _provenance_cache[key] = provenance
    return provenance


def build_prompt_event(record: CallRecord) -> dict[str, Any]:
    """The ``prompt`` event, written before the request is sent."""
    event_id = new_event_id()
    record.prompt_event_id = event_id
    content: dict[str, Any] = {"text": record.prompt_text} if record.prompt_text is not None else {}
    content.update(record.prompt_content)
    extensions: dict[str, Any] = {"model": record.request_model, "stream": record.stream}
    if record.params:
        extensions["params"] = record.params
    _add_context(extensions, record)
    event: dict[str, Any] = {
        "hilt_version": FORMAT_VERSION,
        "event_id": event_id,
        "timestamp": utc_now_iso(),
        "session_id": record.conversation_id,
        "actor": {"type": "human", "id": record.user or "user"},
        "action": "prompt",
    }
    if content:
        event["content"] = content
    event["provenance"] = _provenance(record)
    event["extensions"] = extensions
    return event


def _add_context(extensions: dict[str, Any], record: CallRecord) -> None:
    if record.user:
        extensions["user"] = record.user
    if record.tags:
        extensions["tags"] = list(record.tags)
    if record.metadata:
        extensions["metadata"] = record.metadata


def build_completion_event(record: CallRecord) -> dict[str, Any]:
    """The ``completion`` event, or a ``system`` event when the call failed before any output."""
    ended = record.ended_ns if record.ended_ns is not None else record.started_ns
    latency_ms = round((ended - record.started_ns) / 1_000_000)
    failed = record.status == STATUS_ERROR and not record.stream_started
    metrics: dict[str, Any] = {}
    if record.tokens:
        metrics["tokens"] = record.tokens
    if not failed:
        metrics["cost_usd"] = record.cost_usd
    metrics["latency_ms"] = latency_ms
    if record.first_token_ns is not None:
        metrics["ttft_ms"] = round((record.first_token_ns - record.started_ns) / 1_000_000, 3)
    extensions: dict[str, Any] = {
        "reply_to": record.prompt_event_id,
        "model": record.response_model or record.request_model,
        "status_code": record.status_code,
        "status": record.status,
        "latency_ms": latency_ms,
    }
    if record.request_model and record.response_model and record.request_model != record.response_model:
        extensions["request_model"] = record.request_model
    for name, value in (
        ("response_id", record.response_id),
        ("finish_reasons", record.finish_reasons),
        ("request_id", record.request_id),
        ("cost_status", record.cost_status if record.cost_status != "ok" else None),
        ("error_type", record.error_type),
        ("error_message", record.error_message),
        ("error_code", record.error_code),
    ):
        if value:
            extensions[name] = value
    extensions.update(record.response_extras)
    _add_context(extensions, record)
    if failed:
        actor = {"type": "system", "id": record.provider}
        action = "system"
        content: dict[str, Any] = {"text": f"{record.error_type}: {record.error_message}"}
    else:
        actor = {"type": "agent", "id": record.provider}
        if record.response_model or record.request_model:
            actor["name"] = record.response_model or record.request_model
        action = "completion"
        content = {"text": record.completion_text} if record.completion_text is not None else {}
        content.update(record.completion_content)
    event: dict[str, Any] = {
        "hilt_version": FORMAT_VERSION,
        "event_id": new_event_id(),
        "timestamp": utc_now_iso(),
        "session_id": record.conversation_id,
        "actor": actor,
        "action": action,
    }
    if content:
        event["content"] = content
    event["metrics"] = metrics
    event["provenance"] = _provenance(record)
    event["extensions"] = extensions
    return event

