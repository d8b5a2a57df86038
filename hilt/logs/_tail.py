"""The newest calls of a log, read from its end, and following a log as it grows (``tail -f``).

Reading backwards in blocks keeps ``tail -n 20`` instant on a 1 GB file. :class:`Follower` polls the
file every 50 ms and survives rotation (the name now points to a new file: the old one is read to its
end first, then any file rotated after it) and truncation (the file got shorter: reading restarts at its
beginning).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ._calls import Call, get, is_reply
from ._files import expand_paths, is_gzip, open_binary, rotated_siblings
from ._filters import Filters
from ._reader import ReadReport, parse_line

__all__ = ["CallJoiner", "Follower", "last_calls", "lines_backwards", "open_prompts"]

_BLOCK = 1 << 16
_PROMPT_LOOKBACK = 20_000  # lines read past the n-th reply to find its prompt before giving up


def lines_backwards(path: Path, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield ``(byte offset, line)`` from the last line to the first, of the first ``end`` bytes when given
    (a gzipped file is read forwards once, whole)."""
    if is_gzip(path):
        with open_binary(path) as stream:
            lines = list(stream)
        offset = sum(len(line) for line in lines)
        for line in reversed(lines):
            offset -= len(line)
            yield offset, line
        return
    with open(path, "rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        end = size if end is None else min(end, size)
        tail = b""
        while end > 0:
            start = max(0, end - _BLOCK)
            stream.seek(start)
            block = stream.read(end - start) + tail
            end = start
            lines = block.split(b"\n")
            tail = lines.pop(0) if start > 0 else b""
            position = start + len(tail) + (1 if start > 0 else 0)
            offsets = []
            for line in lines:
                offsets.append(position)
                position += len(line) + 1
            for line_offset, line in zip(reversed(offsets), reversed(lines)):
                if line.strip():
                    yield line_offset, line + b"\n"
        if tail.strip():
            yield 0, tail + b"\n"


def last_calls(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    n: int = 10,
    *,
    filters: Filters | None = None,
    report: ReadReport | None = None,
    rotated: bool = True,
    end: int | None = None,
) -> list[Call]:
    """The ``n`` newest finished calls that pass ``filters``, oldest first, each joined with its prompt
    (read from the end of the newest file, or from its byte ``end``, going back through older files only
    as far as needed)."""
    filters = filters or Filters()
    report = report if report is not None else ReadReport()
    replies: list[Mapping[str, Any]] = []
    prompts: dict[Any, Mapping[str, Any]] = {}
    wanted: set[Any] = set()
    extra = 0
    files = expand_paths(paths, rotated=rotated)
    for path in reversed(files):
        report.files.append(str(path))
        for offset, raw in lines_backwards(path, end if path == files[-1] else None):
            if len(replies) >= n:
                extra += 1
                if not wanted or extra > _PROMPT_LOOKBACK:
                    break
            event, reason = parse_line(raw)
            if event is None:
                report.add_corrupt(str(path), 0, f"{reason} (at byte {offset})")
                continue
            if event.get("action") == "prompt":
                event_id = event.get("event_id")
                if event_id in wanted:
                    prompts[event_id] = event
                    wanted.discard(event_id)
            elif len(replies) < n and is_reply(event) and filters.accepts(Call(None, event)):
                replies.append(event)
                wanted.add(get(event, "extensions", "reply_to"))
        else:
            continue
        break
    calls = [Call(prompts.get(get(reply, "extensions", "reply_to")), reply) for reply in reversed(replies)]
    return [call for call in calls if filters.accepts(call)]


def open_prompts(path: Path, end: int | None = None, lookback: int = 5_000) -> list[Mapping[str, Any]]:
    """The prompts among the last ``lookback`` lines before byte ``end`` that have no reply yet, oldest first
    (so that ``tail -f`` can show the prompt of a call that was in flight when it started)."""
    answered: set[Any] = set()
    waiting: list[Mapping[str, Any]] = []
    for count, (_, raw) in enumerate(lines_backwards(path, end)):
        if count >= lookback:
            break
        event, _ = parse_line(raw)
        if event is None:
            continue
        if event.get("action") == "prompt":
            if event.get("event_id") not in answered:
                waiting.append(event)
        elif is_reply(event):
            answered.add(get(event, "extensions", "reply_to"))
    return waiting[::-1]


class Follower:
    """Follow one file as it grows: :meth:`poll` returns the complete new lines since the last call."""

    def __init__(self, path: str | os.PathLike[str], *, from_end: bool = True) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = None
        self._inode: tuple[int, int] | None = None
        self._position = 0
        self._partial = b""
        self._open(from_end=from_end)
        self._rotated_at_start = set(rotated_siblings(self.path)) if self._file is None else set()

    def _open(self, *, from_end: bool) -> None:
        try:
            handle = open(self.path, "rb", buffering=0)  # noqa: SIM115 - kept open between polls, closed in close()
        except OSError:
            return
        info = os.fstat(handle.fileno())
        self._file, self._inode = handle, (info.st_dev, info.st_ino)
        self._position = info.st_size if from_end else 0
        self._partial = b""

    def _drain(self) -> list[bytes]:
        if self._file is None:
            return []
        chunks = []
        while True:
            self._file.seek(self._position)
            chunk = self._file.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            self._position += len(chunk)
        if not chunks:
            return []
        data = self._partial + b"".join(chunks)
        lines = data.split(b"\n")
        self._partial = lines.pop()
        return [line + b"\n" for line in lines if line.strip()]

    def poll(self) -> list[bytes]:
        """New complete lines (a line still being written waits for its newline)."""
        lines = self._drain()
        try:
            info = os.stat(self.path)
        except OSError:
            return lines  # rotated away and not recreated yet: keep the old file open
        if self._file is None or (info.st_dev, info.st_ino) != self._inode:
            if self._file is not None:
                lines += self._drain()
                self._file.close()
                self._file = None
                lines += self._whole_files(self._rotated_after(self._inode))
            elif self._inode is None:  # the log did not exist yet: it may have been rotated before this poll
                lines += self._whole_files(self._rotated_after(None))
            self._open(from_end=False)
            return lines + self._drain()
        if info.st_size < self._position:  # truncated in place
            self._position, self._partial = 0, b""
            lines += self._drain()
        return lines

    def _rotated_after(self, inode: tuple[int, int] | None) -> list[Path]:
        """The files rotated after the one followed so far (several rotations between two polls), oldest first;
        before the log first existed, the rotated files that were not there when following began."""
        siblings = rotated_siblings(self.path)
        if inode is None:
            return [sibling for sibling in siblings if sibling not in self._rotated_at_start]
        for index, sibling in enumerate(siblings):
            try:
                info = os.stat(sibling)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) == inode:
                return siblings[index + 1 :]
        return []

    @staticmethod
    def _whole_files(paths: list[Path]) -> list[bytes]:
        lines = []
        for path in paths:
            try:
                with open_binary(path) as stream:
                    lines += [line if line.endswith(b"\n") else line + b"\n" for line in stream if line.strip()]
            except OSError:
                continue  # removed or compressed meanwhile
        return lines

    @property
    def position(self) -> int:
        """How far the file has been read (at the start: its size when the follower opened it)."""
        return self._position

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


class CallJoiner:
    """Joins prompts and replies arriving one by one (``tail -f``); remembers at most 10,000 open prompts."""

    def __init__(self, limit: int = 10_000) -> None:
        self._open: OrderedDict[Any, Mapping[str, Any]] = OrderedDict()
        self._limit = limit

    def add(self, event: Mapping[str, Any]) -> Call | None:
        """The finished call when ``event`` is a reply, else ``None`` (a prompt is kept until its reply)."""
        if event.get("action") == "prompt":
            self._open[event.get("event_id")] = event
            if len(self._open) > self._limit:
                self._open.popitem(last=False)
            return None
        if not is_reply(event):
            return None
        return Call(self._open.pop(get(event, "extensions", "reply_to"), None), event)
