"""``hilt logs tail``, ``show`` and ``search``: calls and conversations as readable text (or JSON)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..logs import Call, ReadReport, iter_calls, iter_events
from ..logs._calls import get
from ..logs._rows import CALL_COLUMNS, call_row
from ._logs import EXIT_OK, filters_from, report_corrupt
from ._logs_output import Output, display_width, escape_controls, fit, format_cost, format_ms, one_line

__all__ = ["call_lines", "logs_search", "logs_show", "logs_tail"]

_FOLLOW_INTERVAL = 0.05  # seconds between polls of the followed file: well under the 200 ms promised


# The columns before the prompt and answer: time, model, status, tokens, cost, latency. A listing sizes each
# column from the calls it shows, up to its widest; tail -f cannot see the calls to come, so it uses fixed
# widths. A longer value is cut with "…": the columns stay aligned whatever a model is called.
_FOLLOW_WIDTHS = (19, 24, 14, 17, 10, 8)  # "incomplete 200", "1000000→32768 tok", "<$0.000001", "1234.5 s"
_WIDEST = (19, 48, 14, 17, 10, 8)  # whole: "ft:gpt-4o-mini-2024-07-18:acme:support-bot:9x7Yz" (47)
_RIGHT_ALIGNED = (False, False, False, True, True, True)
_STATUS_COLUMN = 2


def _when(stamp: Any) -> str:
    return one_line(stamp)[:19].replace("T", " ") if stamp else "-" * 19


def _tokens(call: Call) -> str:
    tokens = call.tokens
    if not tokens:
        return "-"
    # The counts come from the log, as any text in it: escaped, like the prompt.
    return f"{one_line(tokens.get('prompt', '?'))}→{one_line(tokens.get('completion', '?'))} tok"


def _status_text(call: Call) -> str:
    return call.status if call.status_code is None else f"{call.status} {call.status_code}"


def _status_colour(call: Call) -> str:
    return "32" if call.status == "ok" else "31" if call.status == "error" else "33"


def _status(call: Call, out: Output) -> str:
    return out.style(one_line(_status_text(call)), _status_colour(call))


def _columns(call: Call) -> tuple[str, ...]:
    """The call's time, model, status, tokens, cost and latency, each on one line, not yet padded."""
    return (
        _when(call.timestamp),
        one_line(call.model or "-"),
        one_line(_status_text(call)),
        _tokens(call),
        format_cost(call.cost_usd) if call.status != "error" else "-",
        format_ms(call.latency_ms),
    )


def call_lines(calls: Iterable[Call], out: Output, widths: Sequence[int] | None = None) -> list[str]:
    """One line per call: time, model, status, tokens, cost, latency, the first words of prompt and answer;
    the columns sized from these calls (each at most its widest), or ``widths`` wide."""
    rows = [(call, _columns(call)) for call in calls]
    if widths is None:
        widths = [min(max([display_width(cells[i]) for _, cells in rows], default=1), top) for i, top in enumerate(_WIDEST)]
    lines = []
    for call, cells in rows:
        parts = [fit(cell, width, right=right) for cell, width, right in zip(cells, widths, _RIGHT_ALIGNED)]
        parts[_STATUS_COLUMN] = out.style(parts[_STATUS_COLUMN], _status_colour(call))
        parts.append(f"{one_line(call.prompt_text, 40)} → {one_line(call.reply_text, 50)}")
        lines.append("  ".join(parts))
    return lines


def _print_calls(calls: Iterable[Call], out: Output, widths: Sequence[int] | None = None) -> None:
    if out.json_mode:
        for call in calls:
            out.json(dict(zip(CALL_COLUMNS, call_row(call))), indent=None)
    else:
        for line in call_lines(calls, out, widths):
            out.line(line)
    out.stream.flush()


def logs_tail(args: argparse.Namespace) -> int:
    """Print the last N calls, then (with -f) every new call as it is logged."""
    from ..logs import default_log, expand_paths
    from ..logs._reader import parse_line
    from ..logs._tail import CallJoiner, Follower, last_calls, open_prompts

    filters, report, out = filters_from(args), ReadReport(), Output(json_mode=args.json)
    try:
        paths = expand_paths(args.files, rotated=args.rotated)
    except FileNotFoundError:
        if not args.follow or len(args.files) > 1:
            raise
        paths = []  # tail -f on a log not written yet: wait for it
    target = paths[-1] if paths else (Path(args.files[0]) if args.files else default_log())
    # The follower opens first and the tail stops where it starts: no call is missed or printed twice.
    follower = Follower(target) if args.follow else None
    end = follower.position if follower is not None else None
    widths = _FOLLOW_WIDTHS if follower is not None else None  # the same columns for the calls to come
    if args.lines > 0 and paths:
        calls = last_calls(paths, args.lines, filters=filters, report=report, rotated=False, end=end)
        _print_calls(calls, out, widths)
    report_corrupt(report)
    if follower is None:
        return EXIT_OK
    joiner = CallJoiner()
    if paths:
        for prompt in open_prompts(target, end):  # calls in flight: their reply comes later
            joiner.add(prompt)
    try:
        while True:
            for raw in follower.poll():
                event, _ = parse_line(raw)
                call = joiner.add(event) if event is not None else None
                if call is not None and filters.accepts(call):
                    _print_calls([call], out, widths)
            time.sleep(_FOLLOW_INTERVAL)
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        follower.close()


def _parts_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, Mapping):
                text = part.get("text")
                pieces.append(text if isinstance(text, str) else f"[{part.get('type', 'part')}]")
            else:
                pieces.append(str(part))
        return " ".join(pieces)
    return "" if content is None else str(content)


def _tool_calls_text(calls: Any) -> list[str]:
    if not isinstance(calls, list):
        return []
    return [
        f"→ {get(c, 'function', 'name') or get(c, 'name')}({get(c, 'function', 'arguments') or get(c, 'arguments') or ''})"
        for c in calls
    ]


def _message_lines(message: Any) -> list[tuple[str, str]]:
    if not isinstance(message, Mapping):
        return [("?", str(message))]
    role = str(message.get("role") or message.get("type") or "?")
    if role == "tool":
        role = f"tool {message.get('tool_call_id') or ''}".strip()
    lines = []
    text = _parts_text(message.get("content"))
    if text:
        lines.append((role, text))
    lines += [(role, call) for call in _tool_calls_text(message.get("tool_calls"))]
    return lines or [(role, "")]


def _new_messages(previous: list[Any], messages: list[Any]) -> list[Any]:
    """The messages a turn adds to the history already shown (the previous answer is not repeated)."""
    if previous and messages[: len(previous)] == previous:
        fresh = messages[len(previous) :]
        if fresh and isinstance(fresh[0], Mapping) and fresh[0].get("role") == "assistant":
            fresh = fresh[1:]
        return fresh
    return messages


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _print_transcript(conversation_id: str, calls: Sequence[Call], out: Output) -> None:
    from ..logs import summarize_calls

    summary = summarize_calls(calls)
    out.line(out.style(f"Conversation {one_line(conversation_id)}", "1"))
    out.line(
        f"{_plural(summary['calls'], 'call')}, {_plural(summary['errors'], 'error')}, {summary['tokens']['total']} tokens, "
        f"cost {format_cost(summary['cost_usd'])}, {_when(summary['first'])} → {_when(summary['last'])}"
    )
    previous: list[Any] = []
    for number, call in enumerate(calls, start=1):
        out.line()
        out.line(
            out.style(f"[{number}] ", "1")
            + "  ".join(
                (
                    _when(call.timestamp),
                    one_line(call.model or "-"),
                    _status(call, out),
                    _tokens(call),
                    format_cost(call.cost_usd) if call.status != "error" else "-",
                    format_ms(call.latency_ms),
                )
            )
        )
        messages = get(call.prompt, "content", "messages")
        if isinstance(messages, list):
            shown = _new_messages(previous, messages)
            previous = messages
            lines = [line for message in shown for line in _message_lines(message)]
        else:
            lines = [("user", call.prompt_text)] if call.prompt is not None else []
        if call.reply is not None:
            role = "error" if call.status == "error" else "assistant"
            text = get(call.reply, "content", "text")
            if isinstance(text, str) and text:
                lines.append((role, text))
            lines += [(role, c) for c in _tool_calls_text(get(call.reply, "content", "tool_calls"))]
        for role, text in lines:
            body = escape_controls(str(text), keep_newlines=True).replace("\t", "    ").replace("\n", "\n    ")
            out.line(f"  {out.style(one_line(role) + ':', '36')} {body}")


def logs_show(args: argparse.Namespace) -> int:
    """Print one conversation as a transcript."""
    from ..logs._find import find_conversation, newest_conversation_id

    files = list(args.files)
    if args.last and args.conversation_id:
        files.insert(0, args.conversation_id)
    if not args.last and not args.conversation_id:
        raise ValueError("give a CONVERSATION_ID (or a unique prefix), or --last")
    report, out = ReadReport(), Output(json_mode=args.json)
    prefix = newest_conversation_id(files, rotated=args.rotated) if args.last else args.conversation_id
    workers = min(os.cpu_count() or 1, 4)  # a large file is searched by forked processes
    conversation_id, events = find_conversation(prefix, files, report=report, rotated=args.rotated, workers=workers)
    filters = filters_from(args)
    calls = [call for call in iter_calls(events) if filters.accepts(call)]
    if out.json_mode:
        out.json(
            {
                "conversation_id": conversation_id,
                "calls": [dict(zip(CALL_COLUMNS, call_row(c))) for c in calls],
                "events": events,
            }
        )
    else:
        _print_transcript(conversation_id, calls, out)
    report_corrupt(report)
    return EXIT_OK


def logs_search(args: argparse.Namespace) -> int:
    """Print the calls whose prompt or answer contains TEXT, newest first."""
    needle = args.text.casefold()
    filters, report, out = filters_from(args), ReadReport(), Output(json_mode=args.json)
    found: deque[Call] = deque(maxlen=args.limit if args.limit > 0 else None)
    for call in iter_calls(iter_events(args.files, report, prefilter=filters.prefilter(), rotated=args.rotated)):
        if (needle in call.prompt_text.casefold() or needle in call.reply_text.casefold()) and filters.accepts(call):
            found.append(call)
    _print_calls(reversed(found), out)
    report_corrupt(report)
    if not found and not out.json_mode:
        print(f"hilt: no call contains {one_line(args.text)!r}", file=sys.stderr)
    return EXIT_OK
