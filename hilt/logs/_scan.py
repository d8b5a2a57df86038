"""The fast path of :func:`~hilt.logs.summarize` (no filters): scan byte ranges of the logs.

Everything the sums need is on the reply events, so ``prompt`` lines are recognised by their bytes and
counted without being parsed. A large plain file can be cut into byte ranges (each range owns the lines
that start in it) scanned by forked worker processes; their partial sums are merged, so the numbers do
not depend on the number of workers.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._calls import Call, is_reply
from ._files import expand_paths, is_gzip, open_binary
from ._reader import ReadReport, parse_line
from ._stats import Summary

__all__ = ["Merger", "finish", "plan_tasks", "run_tasks", "scan_files", "scan_into", "scan_range", "split_range"]

_PARALLEL_MIN_BYTES = 64 << 20  # smaller files are read in this process: a worker costs ~0.2 s to start
_ACTION, _HEAD = b'"action":', 512  # HILT and hilt-python 0.2.8 write ``action`` in a line's first bytes


@dataclass
class _Part:
    """The sums of one byte range, and what the reader saw there."""

    summary: Any  # a Summary, or any sink with ``add(call)``
    prompts: int = 0
    events: int = 0
    lines: int = 0  # every line, blank ones included: the next range's line numbers start after them
    nonblank: int = 0
    size: int = 0
    corrupt: list[tuple[int, str]] = field(default_factory=list)
    corrupt_count: int = 0


def _is_prompt(raw: bytes) -> bool:
    at = raw.find(_ACTION, 0, _HEAD)
    if at < 0:
        return False
    at += 9
    return (raw.startswith(b'"prompt"', at) or raw.startswith(b' "prompt"', at)) and (
        raw.endswith(b"}\n") or raw.endswith(b"}")
    )


def scan_range(path: str, start: int, end: int | None, make_sink: Callable[[], Any]) -> _Part:
    """Feed a new ``make_sink()`` the calls of the lines starting in ``[start, end)`` of ``path`` (``None``: to the end)."""
    return scan_into(make_sink(), path, start, end)


def scan_into(sink: Any, path: str, start: int = 0, end: int | None = None) -> _Part:
    """Feed ``sink.add(call)`` one :class:`Call` (without its prompt) per reply in ``[start, end)`` of ``path``;
    prompt lines are counted, not parsed. A sink with ``add_event`` gets every event instead (prompts parsed
    too), and its ``close()`` is called at the end."""
    every_event = hasattr(sink, "add_event")
    part = _Part(sink)
    summary, kept = sink, part.corrupt
    with open_binary(Path(path)) as stream:
        position = 0
        if start:
            stream.seek(start - 1)
            position = start - 1 + len(stream.readline())  # that line belongs to the previous range
        number = 0
        for raw in stream:
            if end is not None and position >= end:
                break
            position += len(raw)
            number += 1
            if raw.isspace():
                continue
            part.nonblank += 1
            if not every_event and _is_prompt(raw):
                part.prompts += 1
                continue
            event, reason = parse_line(raw)
            if event is None:
                part.corrupt_count += 1
                if len(kept) < 1000:
                    kept.append((number, reason))
                continue
            part.events += 1
            if every_event:
                summary.add_event(event)
            elif is_reply(event):
                summary.add(Call(None, event))
        part.lines = number
        part.size = position - start
    if every_event:
        sink.close()
    return part


def split_range(path: Path, start: int, end: int | None, workers: int) -> list[tuple[str, int, int | None]]:
    """``[start, end)`` of ``path`` as up to ``workers`` consecutive ranges (one for a small or gzipped file)."""
    stop = path.stat().st_size if end is None else end
    if workers <= 1 or stop - start < _PARALLEL_MIN_BYTES or is_gzip(path):
        return [(str(path), start, end)]
    step = (stop - start) // workers
    bounds = [start + i * step for i in range(workers)] + [end]
    return [(str(path), bounds[i], bounds[i + 1]) for i in range(workers)]


def _ranges(path: Path, workers: int) -> list[tuple[str, int, int | None]]:
    return split_range(path, 0, None, workers)


def run_tasks(
    tasks: list[tuple[str, int, int | None]],
    make_sink: Callable[[], Any],
    workers: int,
    on_done: Callable[[int, _Part], None] | None = None,
) -> list[_Part]:
    """Scan each ``(path, start, end)`` into a new sink, in forked workers when ``workers`` > 1.

    Returns the parts in task order; with ``on_done(index, part)``, each part is handed over in task order
    as soon as it and those before it are done, and not kept (the result is then empty).
    """
    parts: list[_Part] = []

    def done(index: int, part: _Part) -> None:
        if on_done is None:
            parts.append(part)
        else:
            on_done(index, part)

    if len(tasks) == 1 or workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for index, (path, start, end) in enumerate(tasks):
            done(index, scan_range(path, start, end, make_sink))
        return parts
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        futures = deque(pool.submit(scan_range, path, start, end, make_sink) for path, start, end in tasks)
        for index in range(len(tasks)):
            done(index, futures.popleft().result())  # popped: a finished part is not kept here
    return parts


def scan_files(
    paths: Sequence[str | os.PathLike[str]] | None,
    *,
    by: str | None,
    report: ReadReport,
    rotated: bool = True,
    workers: int = 1,
) -> dict[str, Any]:
    """The unfiltered summary of the selected files (see :func:`~hilt.logs.summarize`)."""
    tasks = plan_tasks(paths, rotated=rotated, workers=workers)
    parts = run_tasks(tasks, functools.partial(Summary, by), workers)
    return finish(Summary(by), tasks, parts, report)


def plan_tasks(
    paths: Sequence[str | os.PathLike[str]] | None, *, rotated: bool, workers: int
) -> list[tuple[str, int, int | None]]:
    """``(path, start, end)`` byte ranges covering the selected files, large plain files cut in ``workers`` parts."""
    return [task for path in expand_paths(paths, rotated=rotated) for task in _ranges(path, workers)]


class Merger:
    """Merges scanned parts into one sink, keeping the counts and the true line numbers of corrupt lines.

    Parts of one file must come in file order; ``file_key`` tells files apart (their lines are counted
    separately), ``path`` is the name used in messages.
    """

    def __init__(self, sink: Any, report: ReadReport) -> None:
        self.sink, self.report = sink, report
        self.prompts = self.events = 0
        self.lines_before: dict[Any, int] = {}

    def add(self, file_key: Any, path: str, part: _Part) -> None:
        """Merge one part (the next range of ``file_key``)."""
        report = self.report
        if path not in report.files:
            report.files.append(path)
        offset = self.lines_before.get(file_key, 0)
        for number, reason in part.corrupt:
            report.add_corrupt(path, offset + number, reason)
        report.corrupt_count += part.corrupt_count - len(part.corrupt)
        self.lines_before[file_key] = offset + part.lines
        report.lines += part.nonblank
        report.bytes_read += part.size
        self.sink.merge(part.summary)
        self.prompts += part.prompts
        self.events += part.events

    def result(self) -> dict[str, Any]:
        """The sink's result, with ``pending``, ``events`` and ``corrupt_lines`` in its summary."""
        result: dict[str, Any] = self.sink.result()
        headline = result.get("summary", result)
        # Prompts were counted, not joined: those beyond the replies are calls still waiting for an answer.
        headline["pending"] = max(0, self.prompts - headline.get("recorded", headline)["calls"])
        headline["events"] = self.report.events = self.events + self.prompts
        headline["corrupt_lines"] = self.report.corrupt_count
        return result


def finish(
    summary: Any, tasks: Sequence[tuple[str, int, int | None]], parts: Sequence[_Part], report: ReadReport
) -> dict[str, Any]:
    """Merge the parts' sums into ``summary`` (a :class:`Summary`, or a sink with ``merge`` and ``result``),
    fill ``report``, and return the result with ``pending``, ``events`` and ``corrupt_lines``."""
    merger = Merger(summary, report)
    for (path, _, _), part in zip(tasks, parts):
        merger.add(path, path, part)
    return merger.result()
