"""The HILT event model: one JSON object per line of a HILT log.

The field names and the actor and action vocabularies are those of the HILT format, so files written
here stay readable by other HILT readers. Anything HILT records beyond the core fields goes into
``extensions`` or ``provenance`` (and ``content``/``metrics`` extras), never into new top-level keys.

Reading is lenient on purpose: a missing ``content``, ``metrics`` or ``extensions`` reads back as an
empty object, so ``event.metrics.tokens.get("total", 0)`` and ``event.extensions.get("status_code")``
work on every event.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ._format import FORMAT_VERSION, shape_event
from ._ids import new_event_id

__all__ = [
    "ALLOWED_ACTIONS",
    "ALLOWED_ACTOR_TYPES",
    "FORMAT_VERSION",
    "Action",
    "Actor",
    "ActorType",
    "Content",
    "Event",
    "Metrics",
]


ActorType = Literal["human", "agent", "tool", "system"]
Action = Literal[
    "prompt", "completion", "completion_chunk", "retrieval", "tool_call", "tool_result", "system", "feedback"
]
ALLOWED_ACTOR_TYPES: frozenset[str] = frozenset(ActorType.__args__)  # type: ignore[attr-defined]
ALLOWED_ACTIONS: frozenset[str] = frozenset(Action.__args__)  # type: ignore[attr-defined]


class Actor(BaseModel):
    """Who produced an event: a ``human`` (the end user), an ``agent`` (the model), a ``tool`` or the ``system``."""

    model_config = ConfigDict(extra="ignore")

    type: ActorType
    id: str
    name: str | None = None
    metadata: dict[str, Any] | None = None


class Content(BaseModel):
    """What was said.

    ``text`` is the plain text (for a prompt, the last user message). Structured data sits beside it:
    ``messages`` (the whole request history, multimodal parts kept as parts), ``tool_calls`` and
    ``choices`` (when the model returned more than one).
    """

    model_config = ConfigDict(extra="allow")

    text: str | None = None
    messages: list[dict[str, Any]] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    images: list[Any] | None = None
    metadata: dict[str, Any] | None = None


class Metrics(BaseModel):
    """Numbers about a call: ``tokens`` (prompt, completion, total, and cached/reasoning when known),
    ``cost_usd`` (``None`` when the price is unknown), ``latency_ms`` and, for streams, ``ttft_ms``."""

    model_config = ConfigDict(extra="allow")

    tokens: dict[str, int] = Field(default_factory=dict)
    cost_usd: float | None = None
    latency_ms: int | None = None
    ttft_ms: float | None = None

    @field_validator("tokens", mode="before")
    @classmethod
    def _tokens_none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class Event(BaseModel):
    """One HILT event. ``session_id`` is the conversation id."""

    model_config = ConfigDict(extra="ignore")

    hilt_version: str = FORMAT_VERSION
    event_id: str = Field(default_factory=new_event_id)
    timestamp: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    session_id: str
    actor: Actor
    action: Action
    content: Content = Field(default_factory=Content)
    metrics: Metrics = Field(default_factory=Metrics)
    provenance: dict[str, Any] = Field(default_factory=dict)
    extensions: dict[str, Any] = Field(default_factory=dict)

    @field_validator("content", "metrics", "provenance", "extensions", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("timestamp", mode="before")
    @classmethod
    def _accept_z_suffix(cls, value: Any) -> Any:
        if isinstance(value, str) and value.endswith("Z"):
            return value[:-1] + "+00:00"
        return value

    @field_validator("timestamp")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # Timestamps are UTC: a naive one is taken as UTC, an aware one is converted.
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def to_dict(self) -> dict[str, Any]:
        """The on-disk shape (see :mod:`hilt._format`): core keys first, empty parts and ``None`` values left
        out, except ``metrics.cost_usd`` of a completion (``null``: price unknown)."""
        timestamp = self.timestamp
        if timestamp.tzinfo is None:  # only possible after an unvalidated assignment
            timestamp = timestamp.replace(tzinfo=timezone.utc)
        return shape_event(
            self.hilt_version,
            self.event_id,
            timestamp.astimezone(timezone.utc).isoformat(),
            self.session_id,
            self.actor.model_dump(),
            self.action,
            self.content.model_dump(),
            self.metrics.model_dump(),
            self.provenance,
            self.extensions,
        )

    def to_json(self) -> str:
        """One line of a HILT log (no trailing newline), exactly as the writers write it."""
        from .writers.jsonl import dumps_event

        return dumps_event(self.to_dict()).decode("utf-8")[:-1]

    @classmethod
    def from_json(cls, line: str | bytes) -> Event:
        """Parse one line of a HILT log."""
        return cls.model_validate_json(line)
