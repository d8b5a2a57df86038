"""Sum up calls: counts, errors, tokens by kind, cost, latency and time-to-first-token percentiles.

    from hilt.logs import summarize
    summary = summarize(["logs/app.jsonl"], by="model")
    summary["cost_usd"], [g["key"] for g in summary["groups"]]

The same function backs ``hilt logs stats --json``, so the numbers match. A cost is summed only over
calls that have one; calls without a price are counted in ``unpriced_calls`` and, when no call has a
price, ``cost_usd`` is ``null`` (never a made-up ``0``). Percentiles use the nearest-rank method.

Sampled logs (``sample_rate`` below 1: replies carry ``extensions.sample_rate``): ``calls``, ``tokens``
and ``cost_usd`` are estimates, each kept call counting ``1 / rate`` times, except failed calls, which
are always kept and count once. The summary then says ``"sampled": true`` and keeps the exact sums
of what was recorded under ``recorded``; ``sampled_calls`` counts the calls that were scaled.
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

__all__ = ["GROUP_KEYS", "TOKEN_KINDS", "call_facts", "percentile", "summarize", "summarize_calls"]

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


def _model(call: Call) -> Any:
    # The hot key of ``stats --by model``: a plain lookup on the reply first.
    extensions = call.reply.get("extensions") if call.reply is not None else None
    model = extensions.get("model") if type(extensions) is dict else None
    return model if model is not None else call.model


GROUP_KEYS: dict[str, Callable[[Call], Any]] = {
    "model": _model,
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


_Facts = tuple  # (timestamp, replied, error, (prompt, completion, cached, reasoning, total), cost, latency, ttft, rate)
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
    rate = extensions.get("sample_rate")
    if rate is not None:  # failed calls are always kept: they count once
        rate = _number(rate) if not error else None
        if rate is not None and not 0 < rate < 1:
            rate = None
    return (stamp if type(stamp) is str else None, True, error, counts, cost, latency, ttft, rate)


def call_facts(call: Call) -> _Facts:
    """:func:`_reply_facts`, or the facts of a call still waiting for its reply."""
    if call.reply is not None:
        return _reply_facts(call.reply)  # type: ignore[arg-type]
    stamp = call.prompt.get("timestamp") if isinstance(call.prompt, dict) else None
    return (stamp if isinstance(stamp, str) else None, False, False, _NO_TOKENS, None, None, None, None)


class _Totals:
    """Running sums for one group."""

    __slots__ = (
        "calls",
        "errors",
        "pending",
        "unpriced",
        "cost",
        "priced",
        "tokens",
        "latencies",
        "ttfts",
        "first",
        "last",
        "sampled",
        "extra",
    )

    def __init__(self) -> None:
        self.calls = self.errors = self.pending = self.unpriced = self.priced = 0
        self.cost = 0.0
        self.tokens = [0, 0, 0, 0, 0]  # in TOKEN_KINDS order
        self.latencies = array("d")
        self.ttfts = array("d")
        self.first: str | None = None
        self.last: str | None = None
        self.sampled = 0  # calls of sampled logs, counted 1 / rate times in the estimates
        self.extra = [0.0] * 7  # what the sampled-out calls add: calls, the 5 token kinds, cost

    def add(self, facts: _Facts) -> None:
        stamp, replied, error, tokens, cost, latency, ttft, rate = facts
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
        if rate is not None:
            self._add_estimate(1 / rate - 1, tokens, cost)

    def _add_estimate(self, weight: float, tokens: tuple[int, ...], cost: float | None) -> None:
        """The calls a sampled call stands for beyond itself (``weight`` = 1 / rate - 1)."""
        self.sampled += 1
        extra = self.extra
        extra[0] += weight
        for index, count in enumerate(tokens, start=1):
            extra[index] += count * weight
        if cost is not None:
            extra[6] += cost * weight

    def merge(self, other: _Totals) -> None:
        for name in ("calls", "errors", "pending", "unpriced", "priced", "cost", "sampled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.extra = [a + b for a, b in zip(self.extra, other.extra)]
        self.tokens = [a + b for a, b in zip(self.tokens, other.tokens)]
        self.latencies.extend(other.latencies)
        self.ttfts.extend(other.ttfts)
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first
        if other.last is not None and (self.last is None or other.last > self.last):
            self.last = other.last

    def result(self) -> dict[str, Any]:
        latencies, ttfts = sorted(self.latencies), sorted(self.ttfts)
        result = {
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
        if self.sampled:
            self._scale(result)
        return result

    def _scale(self, result: dict[str, Any]) -> None:
        """Replace calls, tokens and cost by their estimates; the recorded sums go under ``recorded``."""
        extra = self.extra
        result["recorded"] = {key: result[key] for key in ("calls", "tokens", "cost_usd")}
        calls = round(self.calls + extra[0])
        result["calls"] = calls
        result["error_rate"] = round(self.errors / calls, 4) if calls else None
        result["tokens"] = {kind: round(count + extra[i]) for i, (kind, count) in enumerate(result["tokens"].items(), start=1)}
        if self.priced:
            result["cost_usd"] = round(self.cost + extra[6], 9)
        result["sampled"] = True
        result["sampled_calls"] = self.sampled


class Summary:
    """Running sums over calls, for the whole selection and per group; partial sums can be merged."""

    def __init__(self, by: str | None = None) -> None:
        if by is not None and by not in GROUP_KEYS:
            raise ValueError(f"cannot group by {by!r}: choose one of {', '.join(GROUP_KEYS)}")
        self.by = by
        self.total = _Totals()
        self.groups: dict[Any, _Totals] = {}
        self.conversations: set[Any] = set()

    def add(self, call: Call) -> None:
        """Count one call."""
        self.add_facts(call, call_facts(call))

    def add_facts(self, call: Call, facts: _Facts) -> None:
        """Count one call whose facts were already read (several summaries can share them)."""
        self.total.add(facts)
        self.conversations.add((call.reply or call.prompt or _EMPTY).get("session_id"))
        if self.by is None:
            return
        keys = GROUP_KEYS[self.by](call)
        for key in keys if type(keys) is list else (keys,):
            totals = self.groups.get(key)
            if totals is None:
                totals = self.groups[key] = _Totals()
            totals.add(facts)

    def merge(self, other: Summary) -> None:
        """Add the sums of ``other`` (a summary of other calls, with the same ``by``)."""
        self.total.merge(other.total)
        self.conversations |= other.conversations
        for key, totals in other.groups.items():
            if key in self.groups:
                self.groups[key].merge(totals)
            else:
                self.groups[key] = totals

    def result(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data (see the module docstring)."""
        summary = self.total.result()
        summary["conversations"] = len(self.conversations - {None})
        if self.by is not None:
            summary["by"] = self.by
            summary["groups"] = [{"key": key, **totals.result()} for key, totals in _ordered(self.groups, self.by)]
        return summary


def summarize_calls(calls: Iterable[Call], by: str | None = None) -> dict[str, Any]:
    """The summary of ``calls`` (see the module docstring), with a ``groups`` list when ``by`` is given.

    Groups are ordered by key for ``day`` and ``hour``, else by calls (most first), then key.

    Raises:
        ValueError: ``by`` is not one of :data:`GROUP_KEYS`.
    """
    summary = Summary(by)
    for call in calls:
        summary.add(call)
    return summary.result()


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
    workers: int = 1,
) -> dict[str, Any]:
    """Read the logs (``None``: the configured log) and sum up the calls that pass ``filters``.

    The result also has ``events`` (events read) and ``corrupt_lines`` (lines skipped; their positions
    are in ``report`` when one is passed). ``workers`` > 1 lets large plain files be read in that many
    forked processes when there is no filter (the numbers are the same; ``hilt logs stats`` does this).
    """
    report = report if report is not None else ReadReport()
    filters = filters or Filters()
    if not filters.active:
        from ._scan import scan_files

        return scan_files(paths, by=by, report=report, rotated=rotated, workers=workers)
    summary = Summary(by)
    for call in iter_calls(iter_events(paths, report, prefilter=filters.prefilter(), rotated=rotated)):
        if filters.accepts(call):
            summary.add(call)
    result = summary.result()
    result["events"] = report.events
    result["corrupt_lines"] = report.corrupt_count
    return result
