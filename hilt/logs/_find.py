"""Find one conversation in large logs: a byte search for its id, then parse only the lines that hold it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import HILTError
from ._files import expand_paths, is_gzip, open_binary
from ._reader import ReadReport, parse_line
from ._search import lines_containing
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


def _hits(path: Path, needle: bytes, workers: int = 1) -> Iterator[tuple[int, bytes]]:
    """``(line number or 0 when not counted, line)`` for every line containing ``needle``.

    Plain files are searched memory-mapped, by up to ``workers`` processes when large (see
    :mod:`~hilt.logs._search`); only the lines holding the needle are cut out. Gzipped files, and files that
    cannot be mapped, are read line by line.
    """
    if not is_gzip(path):
        produced = False
        with open(path, "rb", buffering=0) as stream:
            try:
                for line in lines_containing(stream.fileno(), os.fstat(stream.fileno()).st_size, needle, workers):
                    produced = True
                    yield 0, line
                return
            except (OSError, ValueError):  # not mappable (a pipe, an odd file system): read it instead
                if produced:
                    raise
    with open_binary(path) as stream:
        for number, raw in enumerate(stream, start=1):
            if needle in raw:
                yield number, raw


def find_conversation(
    prefix: str,
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    report: ReadReport | None = None,
    rotated: bool = True,
    workers: int = 1,
) -> tuple[str, list[Mapping[str, Any]]]:
    """The conversation whose id is ``prefix`` or starts with it, and its events in file order.

    ``workers`` > 1 lets a large plain file be searched by that many forked processes (same result).

    Raises:
        ConversationNotFoundError: none matches, or several do (the message lists them).
    """
    report = report if report is not None else ReadReport()
    needle = prefix.encode()
    found: dict[str, list[Mapping[str, Any]]] = {}
    for path in expand_paths(paths, rotated=rotated):
        report.files.append(str(path))
        for number, raw in _hits(path, needle, workers):
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
