"""Per-conversation context carried in contextvars (correct across asyncio tasks and copied-context threads).

:func:`conversation` binds an id, a user, tags, metadata and a capture mode; :func:`suppress` turns
recording off for the calls inside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ._ids import prefixed_id

__all__ = ["ConversationContext", "conversation", "current_context", "current_conversation", "suppress"]


@dataclass(frozen=True)
class ConversationContext:
    """What :func:`conversation` binds: the conversation id, the end user, tags, metadata and capture mode."""

    id: str | None = None
    user: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    capture_content: str | None = None


current_conversation: ContextVar[ConversationContext | None] = ContextVar("hilt_conversation", default=None)
"""The innermost active :func:`conversation` (``.get()`` on the recording path saves a call to :func:`current_context`)."""


def current_context() -> ConversationContext | None:
    """The innermost active :func:`conversation`, or ``None``."""
    return current_conversation.get()


@contextlib.contextmanager
def conversation(
    id: str | None = None,
    user: str | None = None,
    tags: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    capture_content: str | bool | None = None,
) -> Iterator[ConversationContext]:
    """Group the LLM calls made inside the block into one conversation.

    Args:
        id: the conversation id written as ``session_id``; a new time-ordered id when omitted.
        user: the end user, written as the prompt actor's id.
        tags: labels written to ``extensions.tags``.
        metadata: free-form values written to ``extensions.metadata`` (over the ``metadata`` setting).
        capture_content: ``"full"``, ``"metadata"`` or ``"hash"`` for the calls of this block
            (``True``/``False``: full/metadata); the innermost block that sets it wins.

    Nested blocks inherit what they do not set themselves (tags and metadata are merged).

    Raises:
        hilt.ConfigError: ``capture_content`` is not a capture mode.
    """
    outer = current_conversation.get()
    if capture_content is not None:
        from ._config_values import coerce_capture

        capture_content = coerce_capture(capture_content, "hilt.conversation()")
    elif outer is not None:
        capture_content = outer.capture_content
    merged_tags = tuple(dict.fromkeys([*(outer.tags if outer else ()), *(tags or ())]))
    merged_metadata = {**(outer.metadata if outer else {}), **(metadata or {})}
    conversation_id = id or (outer.id if outer and outer.id else prefixed_id("conv_"))
    context = ConversationContext(
        id=conversation_id,
        user=user if user is not None else (outer.user if outer else None),
        tags=merged_tags,
        metadata=merged_metadata,
        capture_content=capture_content,
    )
    token = current_conversation.set(context)
    try:
        yield context
    finally:
        current_conversation.reset(token)


@contextlib.contextmanager
def suppress() -> Iterator[None]:
    """Record nothing for the LLM calls made inside the block (nested blocks, tasks and copied contexts too).

    The calls go to the SDK exactly as without HILT: no record, no event, no change to the request.
    """
    from .instrumentation._recorder import SUPPRESSED, inside_recorded_call

    token = inside_recorded_call.set(SUPPRESSED)
    try:
        yield
    finally:
        inside_recorded_call.reset(token)
