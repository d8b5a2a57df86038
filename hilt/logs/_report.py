"""The numbers behind ``hilt logs report``: aggregates only, whatever the size of the log.

    from hilt.logs import report_data
    data = report_data(["logs/app.jsonl"])  # defined in _live.py, on top of this module
    data["summary"]          # exactly what ``hilt logs stats --json`` prints
    data["series"]           # per day (or per hour for logs shorter than 3 days)

One pass sums everything up (prompt lines counted, not parsed; large files in forked workers), a second
pass fetches the transcripts of the few conversations the page shows.

A sampled log (replies carry ``extensions.sample_rate``) gives estimates, as in ``stats``: the summary,
the per-day and per-model series and the cost per day and model count each kept call ``1 / rate`` times
(failed calls once). The conversation, slowest-call and error tables list what was recorded: sampling
keeps or drops whole conversations, so a listed conversation's sums are exact.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from ._calls import Call, get, iter_calls
from ._files import open_binary
from ._filters import Filters
from ._reader import ReadReport, iter_events, parse_line
from ._stats import GROUP_KEYS, Summary, call_facts

__all__ = ["ReportCollector", "collect_filtered", "finish_report"]

TOP = 20
_TEXT_LIMIT = 2000  # characters of each prompt and answer kept in a transcript
_TURNS_LIMIT = 100  # calls kept per transcript


def _day_model_key(call: Call) -> tuple[Any, Any]:
    return (GROUP_KEYS["day"](call), GROUP_KEYS["model"](call))  # the same keys as the day and model groups


class ReportCollector:
    """Sums for the report; fed one call at a time, mergeable across workers (picklable)."""

    def __init__(self) -> None:
        self.summary = Summary(None)
        self.by_day = Summary("day")
        self.by_hour = Summary("hour")
        self.by_model = Summary("model")
        self.cost_day_model: dict[tuple[Any, Any], float] = {}
        self.conversations: dict[Any, list[float]] = {}  # id -> [cost, calls, errors, tokens]
        self.slowest: list[tuple[float, str, dict[str, Any]]] = []  # a min-heap of the TOP slowest
        self.errors: dict[tuple[Any, Any], list[Any]] = {}  # (type, status) -> [count, example, last]

    def add(self, call: Call) -> None:
        """Count one call."""
        facts = call_facts(call)
        for summary in (self.summary, self.by_day, self.by_hour, self.by_model):
            summary.add_facts(call, facts)
        stamp, replied, error, tokens, cost, latency, _ttft, rate = facts
        if not replied:
            return
        if cost is not None:
            key = _day_model_key(call)
            self.cost_day_model[key] = self.cost_day_model.get(key, 0.0) + (cost / rate if rate is not None else cost)
        sums = self.conversations.get(call.conversation_id)
        if sums is None:
            sums = self.conversations[call.conversation_id] = [0.0, 0, 0, 0]
        sums[0] += cost or 0.0
        sums[1] += 1
        sums[2] += error
        sums[3] += tokens[4] or tokens[0] + tokens[1]
        if latency is not None and (len(self.slowest) < TOP or latency > self.slowest[0][0]):
            entry = (
                latency,
                str(call.call_id),
                {
                    "timestamp": stamp,
                    "model": call.model,
                    "status": call.status,
                    "conversation_id": call.conversation_id,
                    "latency_ms": latency,
                },
            )
            (heapq.heappush if len(self.slowest) < TOP else heapq.heapreplace)(self.slowest, entry)
        if error:
            extensions = get(call.reply, "extensions") or {}
            key = (extensions.get("error_type"), call.status_code)
            seen = self.errors.get(key)
            message = get(call.reply, "content", "text") or extensions.get("error_message")
            if seen is None:
                self.errors[key] = [1, message, stamp]
            else:
                seen[0] += 1
                if stamp and (seen[2] is None or stamp > seen[2]):
                    seen[1], seen[2] = message, stamp

    def merge(self, other: ReportCollector) -> None:
        """Add the sums of another collector."""
        for mine, theirs in (
            (self.summary, other.summary),
            (self.by_day, other.by_day),
            (self.by_hour, other.by_hour),
            (self.by_model, other.by_model),
        ):
            mine.merge(theirs)
        for key, cost in other.cost_day_model.items():
            self.cost_day_model[key] = self.cost_day_model.get(key, 0.0) + cost
        for key, sums in other.conversations.items():
            mine_sums = self.conversations.setdefault(key, [0.0, 0, 0, 0])
            for index, value in enumerate(sums):
                mine_sums[index] += value
        self.slowest = heapq.nlargest(TOP, self.slowest + other.slowest)
        heapq.heapify(self.slowest)
        for key, (count, message, stamp) in other.errors.items():
            seen = self.errors.get(key)
            if seen is None:
                self.errors[key] = [count, message, stamp]
            else:
                seen[0] += count
                if stamp and (seen[2] is None or stamp > seen[2]):
                    seen[1], seen[2] = message, stamp

    def result(self) -> dict[str, Any]:
        """Everything the page shows except the transcripts."""
        summary = self.summary.result()
        day = self.by_day.result()
        hourly = _span_days(summary) < 3
        series = (self.by_hour if hourly else self.by_day).result()["groups"]
        days = [g["key"] for g in day["groups"] if g["key"] is not None]
        models = [g["key"] for g in self.by_model.result()["groups"]]
        cost_rows = {str(model): [round(self.cost_day_model.get((d, model), 0.0), 9) for d in days] for model in models}
        expensive = sorted(self.conversations.items(), key=lambda item: (-item[1][0], str(item[0])))[:TOP]
        return {
            "summary": summary,
            "granularity": "hour" if hourly else "day",
            "series": series,
            "models": self.by_model.result()["groups"],
            "cost_by_day_model": {"days": days, "models": [str(m) for m in models], "cost_usd": cost_rows},
            "latency_histogram": _histogram(sorted(self.summary.total.latencies)),
            "ttft_histogram": _histogram(sorted(self.summary.total.ttfts)),
            "top_conversations": [
                {"conversation_id": key, "cost_usd": round(s[0], 9), "calls": s[1], "errors": s[2], "tokens": s[3]}
                for key, s in expensive
                if s[0] > 0
            ],
            "slowest_calls": [{"call_id": call_id, **info} for _, call_id, info in sorted(self.slowest, reverse=True)],
            "errors": [
                {"error_type": key[0], "status_code": key[1], "count": count, "example": message, "last": stamp}
                for key, (count, message, stamp) in sorted(self.errors.items(), key=lambda item: -item[1][0])
            ],
        }


def _span_days(summary: dict[str, Any]) -> float:
    try:
        first = datetime.fromisoformat(summary["first"].replace("Z", "+00:00"))
        last = datetime.fromisoformat(summary["last"].replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        return 0.0
    return (last - first).total_seconds() / 86400


def _histogram(values: Sequence[float], bins: int = 40) -> dict[str, list[float]]:
    """Counts of ``values`` (sorted) in log-spaced bins (values ≤ 0 in the first bin)."""
    if not values:
        return {"edges": [], "counts": []}
    low, high = max(values[0], 0.1), max(values[-1], 0.1)
    if high <= low:
        return {"edges": [low, high], "counts": [len(values)]}
    step = (math.log10(high) - math.log10(low)) / bins
    edges = [10 ** (math.log10(low) + i * step) for i in range(bins + 1)]
    edges[-1] = high
    counts, previous = [], 0
    for edge in edges[1:]:
        index = bisect.bisect_right(values, edge)
        counts.append(index - previous)
        previous = index
    return {"edges": [round(e, 3) for e in edges], "counts": counts}


def _transcripts(files: Sequence[Any], wanted: set[str], report: ReadReport) -> dict[str, list[dict[str, Any]]]:
    """The calls of the ``wanted`` conversations (second pass: only lines naming one are parsed)."""
    events: dict[str, list[dict[str, Any]]] = {key: [] for key in wanted}
    if not wanted:
        return {}
    for path in files:
        with open_binary(path) as stream:
            for raw in stream:
                at = raw.find(b'"session_id":', 0, 400)
                if at < 0:
                    continue
                quote = raw.find(b'"', at + 13)
                end = raw.find(b'"', quote + 1)
                if quote < 0 or end < 0 or raw[quote + 1 : end].decode("utf-8", "replace") not in wanted:
                    continue
                event, _ = parse_line(raw)
                if event is not None and len(events[event["session_id"]]) < 2 * _TURNS_LIMIT:
                    events[event["session_id"]].append(event)
    return {key: [_turn(call) for call in iter_calls(found)][:_TURNS_LIMIT] for key, found in events.items()}


def _turn(call: Call) -> dict[str, Any]:
    def cut(text: str) -> str:
        return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"

    return {
        "timestamp": call.timestamp,
        "model": call.model,
        "status": call.status,
        "cost_usd": call.cost_usd,
        "latency_ms": call.latency_ms,
        "tokens": dict(call.tokens),
        "prompt": cut(call.prompt_text),
        "answer": cut(call.reply_text),
    }


def collect_filtered(files: Sequence[Any], filters: Filters, report: ReadReport) -> dict[str, Any]:
    """The report sums of the calls that pass ``filters`` (every line parsed, prompts joined to replies)."""
    collector = ReportCollector()
    for call in iter_calls(iter_events(files, report, prefilter=filters.prefilter(), rotated=False)):
        if filters.accepts(call):
            collector.add(call)
    data = collector.result()
    data["summary"]["events"] = report.events
    data["summary"]["corrupt_lines"] = report.corrupt_count
    return data


def finish_report(data: dict[str, Any], files: Sequence[Any], report: ReadReport) -> dict[str, Any]:
    """Add the transcripts of the conversations the page lists, the files and the time of the report."""
    listed = data["top_conversations"] + data["slowest_calls"]
    wanted = {str(c["conversation_id"]) for c in listed if c["conversation_id"]}
    data["transcripts"] = _transcripts(files, wanted, report)
    data["files"] = [str(f) for f in files]
    data["generated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return data
