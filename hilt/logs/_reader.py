"""Stream the events of HILT logs as plain dicts: fast (orjson, no pydantic), never stopped by a bad line.

A line that is not a JSON object is counted in the :class:`ReadReport` with its file and line number and
skipped; the rest of the file is still read. Blank lines are ignored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._files import expand_paths, open_binary

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - PyPy and other interpreters without orjson wheels
    from json import loads as _loads

__all__ = ["CorruptLine", "ReadReport", "iter_events", "iter_lines", "parse_line"]

_KEPT_CORRUPT = 1000  # line numbers kept for the report; the count is always exact


@dataclass(frozen=True)
class CorruptLine:
    """A line that could not be read as an event."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class ReadReport:
    """What a read went through: files, non-blank lines, events parsed, bytes, and the corrupt lines (the
    first 1000 kept)."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    events: int = 0
    bytes_read: int = 0
    corrupt_count: int = 0
    corrupt: list[CorruptLine] = field(default_factory=list)

    def add_corrupt(self, path: str, line: int, reason: str) -> None:
        """Count one bad line (its position is kept while fewer than 1000 are)."""
        self.corrupt_count += 1
        if len(self.corrupt) < _KEPT_CORRUPT:
            self.corrupt.append(CorruptLine(path, line, reason))

    def summary(self, shown: int = 5) -> str:
        """One line for stderr: how many corrupt lines were skipped and where the first ones are."""
        where = ", ".join(f"{c.path}:{c.line}" for c in self.corrupt[:shown])
        more = " ..." if self.corrupt_count > shown else ""
        return f"{self.corrupt_count} corrupt line(s) skipped: {where}{more}"


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """``(event, "")`` for a JSON object line, else ``(None, reason)``."""
    try:
        value = _loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = "truncated line" if not raw.endswith(b"\n") else f"invalid JSON ({str(exc).splitlines()[0][:80]})"
        return None, reason
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an event object"
    return value, ""


def iter_lines(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    report: ReadReport | None = None,
    *,
    rotated: bool = True,
) -> Iterator[tuple[str, int, bytes]]:
    """Yield ``(file, line number, raw line)`` for every non-blank line of the selected files."""
    report = report if report is not None else ReadReport()
    for path in expand_paths(paths, rotated=rotated):
        name = str(path)
        report.files.append(name)
        with open_binary(path) as stream:
            # Counters are kept in locals and published every 4096 lines: this loop runs once per line of a 1 GB log.
            lines = read = 0
            try:
                for number, raw in enumerate(stream, start=1):
                    read += len(raw)
                    if not number & 4095:
                        report.bytes_read += read
                        report.lines += lines
                        lines = read = 0
                    if raw.isspace():
                        continue
                    lines += 1
                    yield name, number, raw
            finally:
                report.bytes_read += read
                report.lines += lines


def iter_events(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    report: ReadReport | None = None,
    *,
    prefilter: Callable[[bytes], bool] | None = None,
    rotated: bool = True,
) -> Iterator[dict[str, Any]]:
    """Yield every event of the selected files as a dict, in file order.

    Args:
        paths: files and globs (``None``: the configured log); see :func:`~hilt.logs.expand_paths`.
        report: filled with counts and corrupt lines as the read goes.
        prefilter: a cheap test on the raw bytes; lines it rejects are skipped without being parsed.
        rotated: include rotated siblings of each named file.
    """
    report = report if report is not None else ReadReport()
    for name, number, raw in iter_lines(paths, report, rotated=rotated):
        if prefilter is not None and not prefilter(raw):
            continue
        event, reason = parse_line(raw)
        if event is None:
            report.add_corrupt(name, number, reason)
            continue
        report.events += 1
        yield event
