"""Erase a data subject's events from HILT logs: each file rewritten atomically, appenders losing nothing.

:func:`rewrite_log_file` rewrites one file (plain or gzipped) without the events ``drop`` selects:

1. under the writers' exclusive ``flock``, the kept lines are copied to a temporary file in the same
   folder (created with ``O_EXCL | O_NOFOLLOW``, given the original's mode), which is synced and renamed
   over the original;
2. HILT writers notice the new file within :attr:`~hilt.writers.jsonl.JsonlWriter.path_check_interval`
   and append there; a writer that gave up waiting for the lock may still have appended to the old file
   meanwhile, so once that interval has passed twice, the lines that reached the old file after the copy
   are filtered the same way and appended to the new one (their order relative to the newest lines may
   change; none is lost).

Lines that are not events are kept byte for byte and reported with their line numbers; a file without a
matching event is left untouched. :class:`EventMatcher` says which events belong to a user or a conversation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gzip
import io
import os
import stat
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..writers._log_files import lock_exclusive, names_open_file  # no flock on Windows: the rename is still atomic
from ._files import expand_paths
from ._filters import Filters
from ._reader import ReadReport, iter_lines, parse_line

__all__ = ["EventMatcher", "RewriteResult", "forget_events", "original_lines", "rewrite_log_file"]

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_TEMP_FLAGS = os.O_RDWR | os.O_APPEND  # read back by the re-seal of a chained log

Drop = Callable[[Mapping[str, Any]], bool]


def settle_seconds() -> float:
    """How long after the rename no HILT writer can still append to the old file (twice its check interval)."""
    from ..writers.jsonl import JsonlWriter

    return 2 * JsonlWriter.path_check_interval + 0.05


class EventMatcher:
    """True for the events of the given users or conversations (exact ids), in file order.

    A user's events are the prompts whose ``actor.id`` is the user, every event whose ``extensions.user``
    is, and the replies (``extensions.reply_to``) to those prompts even when they do not name the user
    (files of older HILT versions). A conversation's events are those whose ``session_id`` is its id.
    """

    def __init__(self, users: Iterable[str] = (), conversations: Iterable[str] = ()) -> None:
        self.users = frozenset(users)
        self.conversations = frozenset(conversations)
        self.prompt_ids: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.users or self.conversations)

    def __call__(self, event: Mapping[str, Any]) -> bool:
        matched = self._own(event)
        extensions = event.get("extensions")
        if not matched and isinstance(extensions, Mapping):
            reply_to = extensions.get("reply_to")
            matched = isinstance(reply_to, str) and reply_to in self.prompt_ids
        if matched and event.get("action") == "prompt" and isinstance(event.get("event_id"), str):
            self.prompt_ids.add(event["event_id"])
        return matched

    def _own(self, event: Mapping[str, Any]) -> bool:
        session = event.get("session_id")
        if isinstance(session, str) and session in self.conversations:
            return True
        if not self.users:
            return False
        extensions = event.get("extensions")
        user = extensions.get("user") if isinstance(extensions, Mapping) else None
        if isinstance(user, str) and user in self.users:
            return True
        actor = event.get("actor")
        actor_id = actor.get("id") if isinstance(actor, Mapping) and event.get("action") == "prompt" else None
        return isinstance(actor_id, str) and actor_id != "user" and actor_id in self.users


@dataclass
class RewriteResult:
    """What :func:`rewrite_log_file` did to one file.

    Attributes:
        removed: events dropped (``dry_run``: that would be dropped).
        kept: events kept.
        corrupt: line numbers of the lines that are not events (kept as they are).
        late_lines: lines other processes appended to the old file during the rewrite, moved into the new one.
        removed_spans: ``(offset, length)`` of each removed line in the original file (decompressed for ``.gz``).
        removed_ids: the removed events' ids.
        rewritten: the file was replaced (``False``: nothing matched, or a dry run).
        compressed: the file is gzipped (and was rewritten gzipped).
    """

    path: str
    removed: int = 0
    kept: int = 0
    corrupt: list[int] = field(default_factory=list)
    late_lines: int = 0
    removed_spans: list[tuple[int, int]] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    rewritten: bool = False
    compressed: bool = False

    def new_offset(self, offset: int) -> int:
        """Where byte ``offset`` of the original file (a line boundary) is in the rewritten one."""
        return offset - sum(length for start, length in self.removed_spans if start + length <= offset)


class _Filter:
    """Sorts lines into kept and removed, counting as it goes."""

    def __init__(self, result: RewriteResult, drop: Drop) -> None:
        self.result, self.drop = result, drop

    def keep(self, raw: bytes, number: int, offset: int) -> bool:
        if raw.isspace():
            return True
        event, _reason = parse_line(raw)
        if event is None:
            self.result.corrupt.append(number)
            return True
        if self.drop(event):
            self.result.removed += 1
            self.result.removed_spans.append((offset, len(raw)))
            if isinstance(event.get("event_id"), str):
                self.result.removed_ids.append(event["event_id"])
            return False
        self.result.kept += 1
        return True


def _lines(stream: IO[bytes], *, complete_only: bool) -> Iterator[tuple[bytes, int]]:
    """``(line, offset)`` pairs; with ``complete_only`` a last line without a newline is left out (still being written)."""
    offset = 0
    for raw in stream:
        if complete_only and not raw.endswith(b"\n"):
            return
        yield raw, offset
        offset += len(raw)


def _open_original(path: Path) -> tuple[int, os.stat_result]:
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "is a symbolic link; name the file it points to", str(path)) from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file; name the log file itself", str(path))
    return fd, info


def rewrite_log_file(path: str | os.PathLike[str], drop: Drop, *, dry_run: bool = False) -> RewriteResult:
    """Remove from ``path`` every event for which ``drop(event)`` is true (see the module doc).

    Raises:
        OSError: the file cannot be read or replaced, is a symbolic link, or was replaced meanwhile.
    """
    path = Path(path)
    fd, info = _open_original(path)
    try:
        compressed = os.pread(fd, 2, 0) == b"\x1f\x8b"
        result = RewriteResult(str(path), compressed=compressed)
        sorter = _Filter(result, drop)
        if dry_run:
            with _reader(fd, compressed) as stream:
                for number, (raw, offset) in enumerate(_lines(stream, complete_only=False), start=1):
                    sorter.keep(raw, number, offset)
            return result
        lock_exclusive(fd, True)
        try:
            temp, copied_end, lines = _copy_kept(path, fd, info, compressed, sorter)
            if temp is None:
                return result
            seen = os.fstat(fd).st_size  # bytes past copied_end and before seen: a line still being written (or torn)
            # The new file stays locked until it is re-sealed: a chained writer waits for the lock, so its
            # next line follows the erasure event rather than an unsealed tail.
            lock_exclusive(temp[1], True)
            try:
                _replace(path, temp, fd)
            except BaseException:
                _discard(temp)
                raise
        finally:
            lock_exclusive(fd, False)
        result.rewritten = True
        try:
            if not compressed:
                _move_late_lines(fd, temp[1], (copied_end, seen, lines), sorter)
            _after_rewrite(path, result, temp[1])
        finally:
            lock_exclusive(temp[1], False)
            os.close(temp[1])
    finally:
        os.close(fd)
    return result


def _after_rewrite(path: Path, result: RewriteResult, rewritten: int | None) -> None:
    """Called once after each file rewrite: a chained log (``integrity = true``) is re-sealed, with an
    erasure event saying when and how many events went (not whose), so ``hilt logs verify`` accepts it.

    The file is re-sealed through ``rewritten``, its descriptor (locked): a writer may have rotated it away
    from ``path`` since the rename (``path`` then names a newer file, which must not get this erasure).
    """
    from ._reseal import reseal_after_erasure

    reseal_after_erasure(path, result.removed, rewritten=rewritten)


@contextlib.contextmanager
def _reader(fd: int, compressed: bool) -> Iterator[IO[bytes]]:
    """The file's lines from the start (decompressed), on a duplicate of ``fd``."""
    with open(os.dup(fd), "rb", buffering=1 << 20) as raw:
        if compressed:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream  # type: ignore[misc]
        else:
            yield raw


def _copy_kept(
    path: Path, fd: int, info: os.stat_result, compressed: bool, sorter: _Filter
) -> tuple[tuple[Path, int] | None, int, int]:
    """Write the kept lines to a new temporary file; returns it (``None`` when nothing is removed), the bytes
    of the original read, and the lines read."""
    from ..writers._log_files import create_private_file

    temp_path = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.forget.tmp")
    temp_fd = create_private_file(temp_path, _TEMP_FLAGS)
    copied = number = 0
    try:
        os.fchmod(temp_fd, stat.S_IMODE(info.st_mode))
        buffered = open(temp_fd, "wb", buffering=1 << 20, closefd=False)
        sink: IO[bytes] = buffered
        if compressed:
            sink = gzip.GzipFile(fileobj=buffered, mode="wb", mtime=int(info.st_mtime))  # type: ignore[assignment]
        with _reader(fd, compressed) as stream:
            for number, (raw, offset) in enumerate(_lines(stream, complete_only=not compressed), start=1):
                if sorter.keep(raw, number, offset):
                    sink.write(raw)
                copied = offset + len(raw)
        sink.close()
        buffered.close()
        if not sorter.result.removed:
            _discard((temp_path, temp_fd))
            return None, copied, number
        os.fsync(temp_fd)
    except BaseException:
        _discard((temp_path, temp_fd))
        raise
    return (temp_path, temp_fd), copied, number


def _discard(temp: tuple[Path, int]) -> None:
    try:
        os.close(temp[1])
    except OSError:
        pass
    try:
        os.unlink(temp[0])
    except FileNotFoundError:
        pass


def _replace(path: Path, temp: tuple[Path, int], fd: int) -> None:
    """Rename the temporary file over ``path``, if ``path`` still names the file that was read."""
    if not names_open_file(path, fd):
        raise OSError(errno.EAGAIN, "was replaced (rotated or compressed?) while being rewritten; run the command again", str(path))
    os.rename(temp[0], path)
    folder = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _move_late_lines(old_fd: int, new_fd: int, where: tuple[int, int, int], sorter: _Filter) -> None:
    """Once no writer can still append to the old file, filter what reached it after the copy into the new one.

    ``where`` is (bytes copied, size seen at the copy, lines copied). A last line without a newline (a
    killed writer) is kept with one, so that the next line appended does not join it.
    """
    copied_end, seen, lines = where
    time.sleep(settle_seconds())
    size = os.fstat(old_fd).st_size
    if size <= copied_end:
        return
    kept = bytearray()
    offset = copied_end
    for number, raw in enumerate(io.BytesIO(os.pread(old_fd, size - copied_end, copied_end)), start=lines + 1):
        if offset + len(raw) > seen:
            sorter.result.late_lines += 1
        if sorter.keep(raw, number, offset):
            kept += raw if raw.endswith(b"\n") else raw + b"\n"
        offset += len(raw)
    if kept:  # the caller holds new_fd's lock
        view = memoryview(bytes(kept))
        while view:
            view = view[os.write(new_fd, view) :]
        os.fsync(new_fd)


def forget_events(
    paths: Sequence[str | os.PathLike[str]] | None,
    matcher: EventMatcher,
    *,
    dry_run: bool = False,
    rotated: bool = True,
) -> list[RewriteResult]:
    """Remove ``matcher``'s events from every selected file, oldest first (rotated and ``.gz`` siblings too).

    Raises:
        ValueError: ``matcher`` selects nothing (no user, no conversation).
    """
    if not matcher:
        raise ValueError("name at least one --user or --conversation to forget")
    return [_rewrite_or_compressed(path, matcher, dry_run) for path in expand_paths(paths, rotated=rotated)]


def _rewrite_or_compressed(path: Path, drop: Drop, dry_run: bool) -> RewriteResult:
    """:func:`rewrite_log_file`; a rotated file that a writer's background compression turned into
    ``NAME.gz`` since the files were listed (or while it was read) is rewritten as ``NAME.gz``."""
    try:
        return rewrite_log_file(path, drop, dry_run=dry_run)
    except OSError as exc:
        compressed = path.with_name(path.name + ".gz")
        if exc.errno not in (errno.ENOENT, errno.EAGAIN) or os.path.lexists(path) or not os.path.lexists(compressed):
            raise
    return rewrite_log_file(compressed, drop, dry_run=dry_run)


def original_lines(
    paths: Sequence[str | os.PathLike[str]] | None,
    filters: Filters,
    report: ReadReport | None = None,
    *,
    rotated: bool = True,
) -> Iterator[bytes]:
    """The selected events' lines exactly as written (an access request: ``export --rows original``).

    ``filters.users`` selects with :class:`EventMatcher` (the replies to a user's prompts too, as
    :func:`forget_events` removes them); the other filters apply as everywhere else. Corrupt lines are
    counted in ``report``, not yielded.
    """
    matcher = EventMatcher(filters.users)
    others = dataclasses.replace(filters, users=())
    for name, number, raw in iter_lines(paths, report if report is not None else ReadReport(), rotated=rotated):
        event, reason = parse_line(raw)
        if event is None:
            if report is not None:
                report.add_corrupt(name, number, reason)
            continue
        if report is not None:
            report.events += 1
        if (matcher(event) if filters.users else True) and others.accepts_event(event):
            yield raw if raw.endswith(b"\n") else raw + b"\n"


def removed_total(results: Collection[RewriteResult]) -> int:
    """Events removed across ``results``."""
    return sum(result.removed for result in results)
