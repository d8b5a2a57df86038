"""Find one conversation in large logs: a byte search for its id, then parse only the lines that hold it."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import HILTError
from ._files import expand_paths, is_gzip, open_binary
from ._reader import ReadReport, parse_line
from ._tail import lines_backwards

__all__ = ["ConversationNotFoundError", "find_conversation", "newest_conversation_id"]

_MAX_CANDIDATES = 20


class ConversationNotFoundError(HILTError):
    """No conversation, or more than one, matches the id or prefix that was asked for."""

    def __init__(self, prefix: str, matches: Sequence[str] = (), message: str | None = None) -> None:
        self.prefix, self.matches = prefix, list(matches)
        super().__init__(message or self._describe())

    def _describe(self) -> str:
        if not self.matches:
            return f"no conversation id starts with {self.prefix!r}"
        shown = ", ".join(self.matches[:5]) + (", ..." if len(self.matches) > 5 else "")
        count = f"{len(self.matches)}{'+' if len(self.matches) >= _MAX_CANDIDATES else ''}"
        return f"{self.prefix!r} matches {count} conversations ({shown}): give more characters"


_WINDOW = 64 << 20


def _hits(path: Path, needle: bytes) -> Iterator[tuple[int, bytes]]:
    """``(line number or 0 when not counted, line)`` for every line containing ``needle``.

    Plain files are memory-mapped 64 MB at a time and searched with ``find`` (C speed, no copy of the file
    into Python, flat memory); only the lines holding the needle are cut out. Gzipped files, and files that
    cannot be mapped, are read line by line.
    """
    if not is_gzip(path):
        produced = False
        with open(path, "rb", buffering=0) as stream:
            try:
                for hit in _mapped_hits(stream.fileno(), os.fstat(stream.fileno()).st_size, needle):
                    produced = True
                    yield hit
                return
            except (OSError, ValueError):  # not mappable (a pipe, an odd file system): read it instead
                if produced:
                    raise
    with open_binary(path) as stream:
        for number, raw in enumerate(stream, start=1):
            if needle in raw:
                yield number, raw


def _mapped_hits(fileno: int, size: int, needle: bytes) -> Iterator[tuple[int, bytes]]:
    """The hits of :func:`_hits` in a plain file, through windows of :data:`_WINDOW` bytes that end at a line end."""
    start = 0  # the file offset of the first line not searched yet
    window = _WINDOW
    while start < size:
        base = start - start % mmap.ALLOCATIONGRANULARITY
        length = min(window, size - base)
        with mmap.mmap(fileno, length, access=mmap.ACCESS_READ, offset=base) as view:
            low = start - base
            high = length if base + length == size else view.rfind(b"\n", low) + 1
            if high == 0:  # a line longer than the window: map more of the file
                window *= 2
                continue
            found = list(_block_hits(view, needle, low, high))
        yield from found
        start, window = base + high, _WINDOW


def _block_hits(data: bytes | mmap.mmap, needle: bytes, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """The lines of ``data[start:end]`` (whole lines) that contain ``needle``, found without copying the block."""
    position = data.find(needle, start, end)
    while position >= 0:
        line_start = data.rfind(b"\n", start, position) + 1 or start
        line_end = data.find(b"\n", position, end) + 1 or end
        yield 0, data[line_start:line_end]
        position = data.find(needle, line_end, end)


def find_conversation(
    prefix: str,
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    report: ReadReport | None = None,
    rotated: bool = True,
) -> tuple[str, list[Mapping[str, Any]]]:
    """The conversation whose id is ``prefix`` or starts with it, and its events in file order.

    Raises:
        ConversationNotFoundError: none matches, or several do (the message lists them).
    """
    report = report if report is not None else ReadReport()
    needle = prefix.encode()
    found: dict[str, list[Mapping[str, Any]]] = {}
    for path in expand_paths(paths, rotated=rotated):
        report.files.append(str(path))
        for number, raw in _hits(path, needle):
            event, reason = parse_line(raw)
            if event is None:
                report.add_corrupt(str(path), number, reason)
                continue
            session_id = event.get("session_id")
            if isinstance(session_id, str) and session_id.startswith(prefix):
                found.setdefault(session_id, []).append(event)
                if len(found) >= _MAX_CANDIDATES:
                    raise ConversationNotFoundError(prefix, sorted(found))
    if len(found) != 1:
        exact = found.get(prefix)
        if exact is None:
            raise ConversationNotFoundError(prefix, sorted(found))
        return prefix, exact
    ((conversation_id, events),) = found.items()
    return conversation_id, events


def newest_conversation_id(paths: Sequence[str | os.PathLike[str]] | None = None, *, rotated: bool = True) -> str:
    """The conversation of the last event in the logs (``show --last``)."""
    for path in reversed(expand_paths(paths, rotated=rotated)):
        for _, raw in lines_backwards(path):
            event, _ = parse_line(raw)
            if event is not None and isinstance(event.get("session_id"), str):
                return str(event["session_id"])
    raise ConversationNotFoundError("", message="no event with a conversation id in the selected logs")
