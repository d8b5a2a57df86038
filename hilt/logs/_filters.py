"""The filters every ``hilt logs`` command shares: time window, model, user, tag, errors, conversation."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ._calls import Call, event_time

__all__ = ["Filters", "parse_time"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|day|days|w|wk|weeks?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "hr": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "wk": 604800,
    "week": 604800,
    "weeks": 604800,
}


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """A point in time from ``2h``/``30m``/``7d``/``1w`` (that long ago), ``today``, ``yesterday``, or an ISO 8601
    date or date-time (UTC when it has no zone).

    Raises:
        ValueError: any other text (the message lists the accepted forms).
    """
    now = now or datetime.now(timezone.utc)
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
    lowered = text.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if lowered == "today":
        return midnight
    if lowered == "yesterday":
        return midnight - timedelta(days=1)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read the time {text!r}: use a duration such as 30m, 2h, 7d, 1w, or today, yesterday, "
            "or an ISO date such as 2026-11-30 or 2026-11-30T14:00"
        ) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class Filters:
    """Which calls (and events) a command looks at; an empty ``Filters()`` keeps everything.

    ``model`` entries may be glob patterns (``gpt-4o*``); ``conversation`` is an id or a prefix of one.
    """

    since: datetime | None = None
    until: datetime | None = None
    models: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    errors: bool = False
    conversation: str | None = None

    @classmethod
    def from_options(
        cls,
        *,
        since: str | None = None,
        until: str | None = None,
        model: Sequence[str] | None = None,
        user: Sequence[str] | None = None,
        tag: Sequence[str] | None = None,
        errors: bool = False,
        conversation: str | None = None,
    ) -> Filters:
        """Filters from command-line style values (``since="2h"``)."""
        return cls(
            since=parse_time(since) if since else None,
            until=parse_time(until) if until else None,
            models=tuple(model or ()),
            users=tuple(user or ()),
            tags=tuple(tag or ()),
            errors=errors,
            conversation=conversation or None,
        )

    @property
    def active(self) -> bool:
        """True when at least one filter is set."""
        return bool(
            self.since or self.until or self.models or self.users or self.tags or self.errors or self.conversation
        )

    def prefilter(self) -> Callable[[bytes], bool] | None:
        """A test on a raw line that every kept event passes (``None`` when there is none): lets readers skip
        parsing most lines of a large log when a conversation is asked for."""
        if not self.conversation:
            return None
        needle = self.conversation.encode()
        return lambda raw: needle in raw

    def accepts(self, call: Call) -> bool:
        """True when ``call`` passes every filter."""
        if self.conversation and not str(call.conversation_id or "").startswith(self.conversation):
            return False
        if self.errors and not call.is_error:
            return False
        if self.models and not any(fnmatch.fnmatchcase(str(call.model or ""), pattern) for pattern in self.models):
            return False
        if self.users and call.user not in self.users:
            return False
        if self.tags and not set(self.tags) & set(call.tags):
            return False
        if self.since or self.until:
            moment = event_time(call.reply if call.reply is not None else call.prompt)
            if moment is None or (self.since and moment < self.since) or (self.until and moment >= self.until):
                return False
        return True

    def accepts_event(self, event: Mapping[str, Any]) -> bool:
        """True when one event passes (a prompt is judged alone: with ``errors`` only failed replies pass)."""
        if not self.active:
            return True
        call = Call(event, None) if event.get("action") == "prompt" else Call(None, event)
        return self.accepts(call)
