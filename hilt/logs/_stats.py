"""Sum up calls: counts, errors, tokens by kind, cost, latency and time-to-first-token percentiles.

    from hilt.logs import summarize
    summary = summarize(["logs/app.jsonl"], by="model")
    summary["cost_usd"], [g["key"] for g in summary["groups"]]

The same function backs ``hilt logs stats --json``, so the numbers match. A cost is summed only over
calls that have one; calls without a price are counted in ``unpriced_calls`` and, when no call has a
price, ``cost_usd`` is ``null`` (never a made-up ``0``). Percentiles use the nearest-rank method.
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ._calls import Call, event_time, iter_calls, to_number
from ._filters import Filters
from ._reader import ReadReport, iter_events

__all__ = ["GROUP_KEYS", "TOKEN_KINDS", "percentile", "summarize", "summarize_calls"]

TOKEN_KINDS = ("prompt", "completion", "cached", "reasoning", "total")
PERCENTILES = (50, 95, 99)


def _utc_prefix(call: Call, length: int) -> str | None:
    stamp = call.timestamp
    if not isinstance(stamp, str):
        return None
    if stamp.endswith(("+00:00", "Z")):
        return stamp[:length]
    moment = event_time(call.reply if call.reply is not None else call.prompt)
    return moment.isoformat()[:length] if moment else None


def _hour(call: Call) -> str | None:
    prefix = _utc_prefix(call, 13)
    return f"{prefix}:00" if prefix else None


GROUP_KEYS: dict[str, Callable[[Call], Any]] = {
    "model": lambda call: call.model,
    "day": lambda call: _utc_prefix(call, 10),
    "hour": _hour,
    "user": lambda call: call.user,
    "tag": lambda call: call.tags or [None],
    "conversation": lambda call: call.conversation_id,
    "status": lambda call: call.status,
    "endpoint": lambda call: call.endpoint,
}
"""The ``--by`` keys: each maps a call to its group key (``tag`` to a list: a call counts in each of its tags)."""

_TIME_KEYS = ("day", "hour")


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile of already sorted values (``None`` when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _percentiles(sorted_values: Sequence[float]) -> dict[str, float | int | None]:
    result: dict[str, float | int | None] = {}
    for p in PERCENTILES:
        value = percentile(sorted_values, p)
        result[f"p{p}"] = int(value) if value is not None and value.is_integer() else value
    return result


_Facts = tuple  # (timestamp, replied, error, (prompt, completion, cached, reasoning, total), cost, latency, ttft)
_NO_TOKENS = (0, 0, 0, 0, 0)
_EMPTY: dict[str, Any] = {}


def _number(value: Any) -> float | int | None:
    """A finite number from a JSON value (numeric strings included), else ``None``."""
    if type(value) is not int and type(value) is not float:
        value = to_number(value)
        if value is None:
            return None
    return value if math.isfinite(value) else None


def _count(value: Any) -> int:
    number = _number(value)
    return int(number) if number is not None else 0


def _reply_facts(reply: dict[str, Any]) -> _Facts:
    """What the sums need from one reply, read once (the hot loop of ``stats``: plain dict lookups)."""
    stamp = reply.get("timestamp")
    extensions = reply.get("extensions")
    if type(extensions) is not dict:
        extensions = _EMPTY
    metrics = reply.get("metrics")
    if type(metrics) is not dict:
        metrics = _EMPTY
    status = extensions.get("status")
    if type(status) is str and status:
        error = status == "error"
    else:
        code = extensions.get("status_code")
        error = reply.get("action") == "system" or (type(code) is int and code >= 400)
    tokens = metrics.get("tokens")
    if type(tokens) is dict:
        get = tokens.get
        counts = (get("prompt", 0), get("completion", 0), get("cached", 0), get("reasoning", 0), get("total", 0))
        if not all(type(count) is int for count in counts):
            counts = tuple(_count(count) for count in counts)
    else:
        counts = _NO_TOKENS
    cost = metrics.get("cost_usd")
    if cost is not None and (type(cost) is not float or not math.isfinite(cost)):
        cost = _number(cost)
    latency = extensions.get("latency_ms")
    if latency is None:
        latency = metrics.get("latency_ms")
    if latency is not None and type(latency) is not int:
        latency = _number(latency)
    ttft = metrics.get("ttft_ms")
    if ttft is not None and type(ttft) is not float:
        ttft = _number(ttft)
    return (stamp if type(stamp) is str else None, True, error, counts, cost, latency, ttft)


def _facts(call: Call) -> _Facts:
    """:func:`_reply_facts`, or the facts of a call still waiting for its reply."""
    if call.reply is not None:
        return _reply_facts(call.reply)  # type: ignore[arg-type]
    stamp = call.prompt.get("timestamp") if isinstance(call.prompt, dict) else None
    return (stamp if isinstance(stamp, str) else None, False, False, _NO_TOKENS, None, None, None)


class _Totals:
    """Running sums for one group."""

    __slots__ = ("calls", "errors", "pending", "unpriced", "cost", "priced", "tokens", "latencies", "ttfts", "first", "last")

    def __init__(self) -> None:
        self.calls = self.errors = self.pending = self.unpriced = self.priced = 0
        self.cost = 0.0
        self.tokens = [0, 0, 0, 0, 0]  # in TOKEN_KINDS order
        self.latencies = array("d")
        self.ttfts = array("d")
        self.first: str | None = None
        self.last: str | None = None

    def add(self, facts: _Facts) -> None:
        stamp, replied, error, tokens, cost, latency, ttft = facts
        if stamp is not None:
            if self.first is None or stamp < self.first:
                self.first = stamp
            if self.last is None or stamp > self.last:
                self.last = stamp
        if not replied:
            self.pending += 1
            return
        self.calls += 1
        self.errors += error
        if tokens is not _NO_TOKENS:
            sums = self.tokens
            sums[0] += tokens[0]
            sums[1] += tokens[1]
            sums[2] += tokens[2]
            sums[3] += tokens[3]
            sums[4] += tokens[4]
        if cost is not None:
            self.cost += cost
            self.priced += 1
        elif not error:
            self.unpriced += 1
        if latency is not None:
            self.latencies.append(latency)
        if ttft is not None:
            self.ttfts.append(ttft)

    def result(self) -> dict[str, Any]:
        latencies, ttfts = sorted(self.latencies), sorted(self.ttfts)
        return {
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": round(self.errors / self.calls, 4) if self.calls else None,
            "pending": self.pending,
            "tokens": dict(zip(TOKEN_KINDS, self.tokens)),
            "cost_usd": round(self.cost, 9) if self.priced else None,
            "unpriced_calls": self.unpriced,
            "latency_ms": _percentiles(latencies),
            "ttft_ms": _percentiles(ttfts),
            "first": self.first,
            "last": self.last,
        }


def summarize_calls(calls: Iterable[Call], by: str | None = None) -> dict[str, Any]:
    """The summary of ``calls`` (see the module docstring), with a ``groups`` list when ``by`` is given.

    Groups are ordered by key for ``day`` and ``hour``, else by calls (most first), then key.

    Raises:
        ValueError: ``by`` is not one of :data:`GROUP_KEYS`.
    """
    if by is not None and by not in GROUP_KEYS:
        raise ValueError(f"cannot group by {by!r}: choose one of {', '.join(GROUP_KEYS)}")
    total = _Totals()
    groups: dict[Any, _Totals] = {}
    conversations: set[Any] = set()
    key_of = GROUP_KEYS[by] if by else None
    for call in calls:
        facts = _facts(call)
        total.add(facts)
        conversations.add((call.reply or call.prompt or {}).get("session_id"))
        if key_of is None:
            continue
        keys = key_of(call)
        for key in keys if type(keys) is list else (keys,):
            totals = groups.get(key)
            if totals is None:
                totals = groups[key] = _Totals()
            totals.add(facts)
    summary = total.result()
    summary["conversations"] = len(conversations - {None})
    if key_of is not None:
        summary["by"] = by
        summary["groups"] = [{"key": key, **totals.result()} for key, totals in _ordered(groups, by)]
    return summary


def _ordered(groups: dict[Any, _Totals], by: str | None) -> Iterator[tuple[Any, _Totals]]:
    if by in _TIME_KEYS:
        return iter(sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or "")))
    return iter(sorted(groups.items(), key=lambda item: (-item[1].calls, item[0] is None, str(item[0]))))


def summarize(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    by: str | None = None,
    filters: Filters | None = None,
    report: ReadReport | None = None,
    rotated: bool = True,
) -> dict[str, Any]:
    """Read the logs (``None``: the configured log) and sum up the calls that pass ``filters``.

    The result also has ``events`` (events read) and ``corrupt_lines`` (lines skipped; their positions
    are in ``report`` when one is passed).
    """
    report = report if report is not None else ReadReport()
    filters = filters or Filters()
    if filters.active:
        counter = _Counter(iter_events(paths, report, prefilter=filters.prefilter(), rotated=rotated))
        calls: Iterable[Call] = (call for call in iter_calls(counter) if filters.accepts(call))
        summary = summarize_calls(calls, by)
    else:
        # Fast path: everything stats needs is on the replies, so prompt lines are counted, not parsed.
        skipper = _PromptSkipper()
        counter = _Counter(iter_events(paths, report, prefilter=skipper, rotated=rotated))
        summary = summarize_calls(iter_calls(counter, pending=False), by)
        pending = max(0, skipper.prompts - summary["calls"])
        summary["pending"] = pending
        counter.count += skipper.prompts
    summary["events"] = counter.count
    summary["corrupt_lines"] = report.corrupt_count
    return summary


class _PromptSkipper:
    """A prefilter that counts well-formed ``prompt`` lines and lets every other line through."""

    # HILT and hilt-python 0.2.8 both write ``action`` within the first few hundred bytes of a line.
    _KEY, _HEAD = b'"action":', 512

    def __init__(self) -> None:
        self.prompts = 0

    def __call__(self, raw: bytes) -> bool:
        at = raw.find(self._KEY, 0, self._HEAD)
        if at < 0:
            return True
        at += 9
        if (raw.startswith(b'"prompt"', at) or raw.startswith(b' "prompt"', at)) and (raw.endswith(b"}\n") or raw.endswith(b"}")):
            self.prompts += 1
            return False
        return True


class _Counter:
    """Counts the events passing through."""

    def __init__(self, events: Iterable[Any]) -> None:
        self.events, self.count = events, 0

    def __iter__(self) -> Iterator[Any]:
        for event in self.events:
            self.count += 1
            yield event
