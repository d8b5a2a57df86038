"""One :class:`Call` per LLM call: the ``prompt`` event joined with its reply by ``extensions.reply_to``.

Works on the raw dicts of :func:`~hilt.logs.iter_events`, for HILT's own lines and for files written by
hilt-python 0.2.8 (string costs, no ``status``, no ``hilt_version``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = ["Call", "event_time", "get", "is_reply", "iter_calls", "to_number"]

_REPLY_ACTIONS = ("completion", "system")


def get(event: Mapping[str, Any] | None, *path: str) -> Any:
    """``event[path[0]][path[1]]...``, or ``None`` as soon as a step is missing or not a mapping."""
    value: Any = event
    for key in path:
        if type(value) is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def to_number(value: Any) -> float | int | None:
    """A JSON number, or a numeric string (hilt-python 0.2.8 writes costs as ``"0.000006"``), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return None
    return None


def event_time(event: Mapping[str, Any] | None) -> datetime | None:
    """The event's timestamp as an aware UTC datetime (``None`` if missing or unreadable)."""
    text = get(event, "timestamp")
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def is_reply(event: Mapping[str, Any]) -> bool:
    """True for the event that ends a call: a ``completion``, or a ``system`` event answering a prompt."""
    action = event.get("action")
    if action == "completion":
        return True
    return action == "system" and (
        get(event, "extensions", "reply_to") is not None or get(event, "extensions", "status_code") is not None
    )


class Call:
    """One LLM call: its ``prompt`` event and its reply (``completion`` or ``system``), either may be missing."""

    __slots__ = ("prompt", "reply")

    def __init__(self, prompt: Mapping[str, Any] | None, reply: Mapping[str, Any] | None) -> None:
        self.prompt = prompt
        self.reply = reply

    def _first(self, *path: str) -> Any:
        value = get(self.reply, *path)
        return value if value is not None else get(self.prompt, *path)

    @property
    def call_id(self) -> str | None:
        """The prompt's event id (the reply's ``reply_to``), else the reply's own id."""
        return get(self.prompt, "event_id") or get(self.reply, "extensions", "reply_to") or get(self.reply, "event_id")

    @property
    def conversation_id(self) -> str | None:
        return self._first("session_id")

    @property
    def timestamp(self) -> str | None:
        """When the call ended (the reply's time), or started when it has no reply yet."""
        return self._first("timestamp")

    @property
    def model(self) -> str | None:
        return self._first("extensions", "model")

    @property
    def endpoint(self) -> str | None:
        return self._first("provenance", "endpoint")

    @property
    def status_code(self) -> int | None:
        return get(self.reply, "extensions", "status_code")

    @property
    def status(self) -> str:
        """``ok``, ``error``, ``cancelled``, ``incomplete`` as HILT wrote it; derived for older files;
        ``pending`` when the call has no reply in the selection."""
        if self.reply is None:
            return "pending"
        written = get(self.reply, "extensions", "status")
        if isinstance(written, str) and written:
            return written
        code = self.status_code
        if self.reply.get("action") == "system" or (isinstance(code, int) and code >= 400):
            return "error"
        return "ok"

    @property
    def is_error(self) -> bool:
        return self.status == "error"

    @property
    def user(self) -> str | None:
        user = self._first("extensions", "user")
        if user is None:
            actor_id = get(self.prompt, "actor", "id")
            user = actor_id if actor_id not in (None, "", "user") else None
        return user

    @property
    def tags(self) -> list[str]:
        tags = self._first("extensions", "tags")
        return [str(tag) for tag in tags] if isinstance(tags, list) else []

    @property
    def tokens(self) -> Mapping[str, Any]:
        tokens = get(self.reply, "metrics", "tokens")
        return tokens if isinstance(tokens, Mapping) else {}

    @property
    def cost_usd(self) -> float | None:
        value = to_number(get(self.reply, "metrics", "cost_usd"))
        return None if value is None else float(value)

    @property
    def latency_ms(self) -> float | None:
        value = to_number(get(self.reply, "extensions", "latency_ms"))
        return value if value is not None else to_number(get(self.reply, "metrics", "latency_ms"))

    @property
    def ttft_ms(self) -> float | None:
        return to_number(get(self.reply, "metrics", "ttft_ms"))

    @property
    def prompt_text(self) -> str:
        text = get(self.prompt, "content", "text")
        return text if isinstance(text, str) else ""

    @property
    def reply_text(self) -> str:
        """The answer (tool calls as ``name(arguments)``), or the error of a failed call."""
        text = get(self.reply, "content", "text")
        if isinstance(text, str) and text:
            return text
        calls = get(self.reply, "content", "tool_calls")
        if isinstance(calls, list):
            return "; ".join(
                f"{get(c, 'name') or get(c, 'function', 'name')}({get(c, 'arguments') or get(c, 'function', 'arguments') or ''})"
                for c in calls
            )
        return ""

    def __repr__(self) -> str:
        return f"Call(id={self.call_id!r}, model={self.model!r}, status={self.status!r})"


def iter_calls(events: Iterable[Mapping[str, Any]], *, pending: bool = True) -> Iterator[Call]:
    """Yield a :class:`Call` per reply, in the order replies appear, joined with its prompt.

    Args:
        events: events in file order (a prompt comes before its reply).
        pending: at the end, also yield the prompts that got no reply (status ``pending``).
    """
    waiting: dict[Any, Mapping[str, Any]] = {}
    for event in events:
        action = event.get("action")
        if action == "prompt":
            waiting[event.get("event_id")] = event
        elif action in _REPLY_ACTIONS and is_reply(event):
            prompt = waiting.pop(get(event, "extensions", "reply_to"), None)
            yield Call(prompt, event)
    if pending:
        for prompt in waiting.values():
            yield Call(prompt, None)
