"""Per-conversation context carried in contextvars (correct across asyncio tasks and copied-context threads)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ._ids import prefixed_id

__all__ = ["ConversationContext", "conversation", "current_context"]


@dataclass(frozen=True)
class ConversationContext:
    """What :func:`conversation` binds: the conversation id, the end user, tags and metadata."""

    id: str | None = None
    user: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


_current: ContextVar[ConversationContext | None] = ContextVar("hilt_conversation", default=None)


def current_context() -> ConversationContext | None:
    """The innermost active :func:`conversation`, or ``None``."""
    return _current.get()


@contextlib.contextmanager
def conversation(
    id: str | None = None,
    user: str | None = None,
    tags: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[ConversationContext]:
    """Group the LLM calls made inside the block into one conversation.

    Args:
        id: the conversation id written as ``session_id``; a new time-ordered id when omitted.
        user: the end user, written as the prompt actor's id.
        tags: labels written to ``extensions.tags``.
        metadata: free-form values written to ``extensions.metadata``.

    Nested blocks inherit what they do not set themselves (tags and metadata are merged).
    """
    outer = _current.get()
    merged_tags = tuple(dict.fromkeys([*(outer.tags if outer else ()), *(tags or ())]))
    merged_metadata = {**(outer.metadata if outer else {}), **(metadata or {})}
    conversation_id = id or (outer.id if outer and outer.id else prefixed_id("conv_"))
    context = ConversationContext(
        id=conversation_id,
        user=user if user is not None else (outer.user if outer else None),
        tags=merged_tags,
        metadata=merged_metadata,
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
