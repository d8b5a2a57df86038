"""Find one conversation in large logs: a byte search for its id, then parse only the lines that hold it."""

from __future__ import annotations

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


_CHUNK = 8 << 20


def _hits(path: Path, needle: bytes) -> Iterator[tuple[int, bytes]]:
    """``(line number or 0 when not counted, line)`` for every line containing ``needle``.

    Plain files are read in 8 MB blocks searched with ``bytes.find`` (C speed, flat memory); only the
    lines holding the needle are cut out. Gzipped files are read line by line.
    """
    if is_gzip(path):
        with open_binary(path) as stream:
            for number, raw in enumerate(stream, start=1):
                if needle in raw:
                    yield number, raw
        return
    with open(path, "rb", buffering=0) as stream:
        carry = b""
        while True:
            block = stream.read(_CHUNK)
            if not block:
                if carry and needle in carry:
                    yield 0, carry + b"\n"
                return
            first = block.find(b"\n") + 1
            if not first:  # a line longer than the block
                carry += block
                continue
            head = carry + block[:first]  # the line that straddles the previous block
            if needle in head:
                yield 0, head
            last = block.rfind(b"\n") + 1
            yield from _block_hits(block, needle, first, last)
            carry = block[last:]


def _block_hits(data: bytes, needle: bytes, start: int, end: int) -> Iterator[tuple[int, bytes]]:
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
