"""Append events to a JSONL file, safely from many threads and many processes.

Every event is one ``os.write`` of one complete line on a file descriptor opened with ``O_APPEND``,
under a thread lock and an exclusive ``flock``: lines never interleave, and a line is in the kernel
(so it survives a crash of the process) by the time ``write`` returns. New files get mode 0600 and
their parent folders are created (0700). A process forked after the file was opened reopens it, so
parent and child never share a lock.

The file is opened without following a symbolic link and without blocking, and is used only if it is
a regular file owned by the current user with one link (or the null device): anything else raises
:class:`UnsafeLogFileError`. The wait for the ``flock`` is bounded (:attr:`JsonlWriter.lock_wait`);
after it the line is written anyway and counted in :attr:`JsonlWriter.lock_timeouts`. A torn last
line (a killed process, a full disk) gets a newline before the next event, and a log file deleted or
renamed away (rotated) is noticed and recreated at its path.

With ``rotate`` set, the writer rotates the file itself (see :mod:`hilt.writers._rotation`): under the
``flock``, from the size the append already measures, so several processes can share one log and every
line lands whole in exactly one file.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._safety import report
from ._log_files import UnsafeLogFileError, make_private_dirs, open_log_file, open_log_for_reading

if TYPE_CHECKING:
    from ._rotation import Rotation

try:
    import fcntl
except ImportError:  # Windows: O_APPEND writes of one line are still atomic enough for one process
    fcntl = None  # type: ignore[assignment]

__all__ = ["JsonlWriter", "UnsafeLogFileError", "dumps_event", "make_private_dirs", "open_log_file", "open_log_for_reading"]

try:  # orjson is several times faster than the standard library on this hot path
    import orjson

    _ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
except ImportError:  # pragma: no cover - orjson is a dependency, but HILT works without it
    orjson = None  # type: ignore[assignment]

# allow_nan=False: ``NaN``/``Infinity`` are not JSON; _plain() turns them into null first, as orjson does.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=str, allow_nan=False).encode


def dumps_event(event: dict[str, Any]) -> bytes:
    """One event as one line of valid UTF-8 bytes, newline included.

    A lone surrogate in a string (e.g. text decoded with ``surrogateescape``) cannot be UTF-8; such an
    event is written with ASCII escapes instead (``\\udc80``), which every JSON reader accepts. Either
    way the line is strict JSON: ``NaN`` and infinities become ``null``, every key a string.
    """
    if orjson is not None:
        try:
            return orjson.dumps(event, default=str, option=_ORJSON_OPTIONS)
        except TypeError:  # lone surrogates, integers beyond 64 bits, tuple keys: the standard library copes
            pass
    event = _plain(event)
    try:
        return (_dumps(event) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (_dumps_ascii(event) + "\n").encode("ascii")


def _plain(value: Any) -> Any:
    """``value`` with non-finite floats as ``None`` and dict keys as strings (the slow path only)."""
    if isinstance(value, dict):
        return {key if isinstance(key, str) else _plain_key(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plain_key(key: Any) -> str:
    if key is None or isinstance(key, (bool, int)) or (isinstance(key, float) and math.isfinite(key)):
        return json.dumps(key)  # None -> "null", True -> "true", 1.5 -> "1.5": what orjson writes
    return str(key)


_live_writers: weakref.WeakSet[JsonlWriter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A thread of the parent may have held a writer's lock at the moment of the fork; that thread does
    # not exist in the child, so the copied lock would stay held forever. Give every writer a new one,
    # and make its next write check the descriptor (the child reopens the file: see _checked_fd).
    for writer in list(_live_writers):
        writer._lock = threading.Lock()
        writer._next_path_check = 0.0
        if writer.rotation is not None:
            writer.rotation.after_fork()


_LOCK_EX_NB = fcntl.LOCK_EX | fcntl.LOCK_NB if fcntl is not None else 0
_LOCK_UN = fcntl.LOCK_UN if fcntl is not None else 0

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class JsonlWriter:
    """A writer that appends one line per event to ``path``.

    Attributes:
        lock_wait: seconds to wait for another process's ``flock`` before writing without it.
        path_check_interval: seconds between checks that ``path`` still names the open file: after a
            rename (rotation) or a deletion, events go to a new file at ``path`` within this time.
        lock_timeouts: how many lines were written without the lock because the wait ran out.
        rotation: the :class:`~hilt.writers._rotation.Rotation` policy, ``None`` when the writer does not rotate.
    """

    lock_wait = 0.005
    path_check_interval = 0.1
    chain: Any = None  # hilt._integrity.Chain when ``integrity`` is on

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        rotate: str | int | None = None,
        compress: bool = False,
        retention_days: int | None = None,
        integrity: bool = False,
    ) -> None:
        """``rotate``: ``"daily"`` or a size (``"100 MB"``); ``compress`` gzips rotated files; ``retention_days``
        removes rotated files older than that after each rotation (both need ``rotate``); ``integrity``
        chains each line to the previous one (the audit trail, :mod:`hilt._integrity`)."""
        self.path = Path(path)
        self.rotation: Rotation | None = None
        if rotate is not None and fcntl is None:
            report("jsonl-rotate-unsupported", "HILT rotates logs only where POSIX file locks exist; rotate is ignored")
        elif rotate is not None:
            from ._rotation import Rotation

            self.rotation = Rotation(rotate, compress=compress, retention_days=retention_days)
        elif compress or retention_days is not None:
            wanted = (("compress", compress), ("retention_days", retention_days is not None))
            ignored = ", ".join(name for name, on in wanted if on)
            report("jsonl-needs-rotate", "HILT ignores %s: they act on the files HILT rotates, and rotate is not set",
                   ignored)
        if integrity:  # the audit trail: each line chained to the previous one (hilt/_integrity.py)
            from .._integrity import Chain

            self.chain = Chain(self.path)
        self.lock_timeouts = 0
        self._fd: int | None = None
        self._pid = 0
        self._identity = (0, 0)
        self._readable = False
        self._end = -1  # the file size right after this writer's last complete line
        self._next_path_check = 0.0
        self._lock = threading.Lock()
        _live_writers.add(self)

    def write(self, event: dict[str, Any]) -> None:
        """Append ``event`` as one line; raises ``OSError`` when the file cannot be written."""
        if self.chain is not None:
            event = self.chain.prepare(event)
        self.write_line(dumps_event(event))

    # write_line runs twice per LLM call: the common case (file open, checked less than
    # path_check_interval ago, lock free, no other writer since our last line) is kept inline.

    def write_line(self, line: bytes) -> None:
        """Append one already-encoded line (it must end with a newline)."""
        with self._lock:
            fd, chain = self._fd, self.chain
            if fd is None or time.monotonic() >= self._next_path_check:
                fd = self._checked_fd()
            if fcntl is None:
                locked = False
            else:
                try:
                    fcntl.flock(fd, _LOCK_EX_NB)
                    locked = True
                except BlockingIOError:
                    locked = self._wait_for_lock(fd)
                if chain is not None:
                    fd = self._current_locked_fd(fd)
            try:
                end = os.lseek(fd, 0, os.SEEK_END)
                if self.rotation is not None and locked and self.rotation.due(end):
                    fd, end, locked = self._rotate_if_due(fd, end)
                if chain is not None:
                    line = chain.seal(fd, end, line, end == self._end)
                # Without the lock another writer may be halfway through its line: only look when locked.
                if end != self._end and locked and end > 0 and self._readable:
                    line = self._after_torn_line(fd, end, line)
                written = os.write(fd, line)
                if written != len(line):  # a short write (a signal, a nearly full disk): write the rest
                    view = memoryview(line)[written:]
                    while view:
                        view = view[os.write(fd, view) :]
                self._end = end + len(line) if locked else -1
                if chain is not None:
                    chain.commit()
            finally:
                if locked:
                    fcntl.flock(fd, _LOCK_UN)

    def _checked_fd(self) -> int:
        """The descriptor to write to, reopened when it was inherited through fork (this process needs
        its own lock) or when ``path`` was deleted or renamed away (rotated); checked once per
        ``path_check_interval`` (an ``lstat`` per write would cost more than the write) and after a fork."""
        fd = self._fd
        if fd is not None:
            self._next_path_check = time.monotonic() + self.path_check_interval
            if self._pid == os.getpid() and not self._moved():
                return fd
            self._reopen()
        fd, info, self._readable = open_log_file(self.path)
        self._fd, self._pid, self._identity = fd, os.getpid(), (info.st_dev, info.st_ino)
        self._end, self._next_path_check = -1, time.monotonic() + self.path_check_interval
        return fd

    def _rotate_if_due(self, fd: int, end: int) -> tuple[int, int, bool]:
        """Under the lock of ``fd`` (size ``end``): move to the file now at ``path`` when another process
        rotated, or rotate it ourselves. Returns the descriptor to write to, its size and whether it is locked."""
        from ._rotation import rotated_path

        rotation = self.rotation
        assert rotation is not None
        locked = True
        for _ in range(3):  # a new file is rarely due again at once (a limit smaller than a line)
            try:
                rotating = not self._moved()
                if rotating:
                    if not rotation.should_rotate(fd, end):
                        break
                    os.rename(self.path, rotated_path(self.path))
                fd, locked = self._switch_to_path(fd)
            except OSError as exc:
                rotation.failed(end)
                report(f"jsonl-rotate:{self.path}", "HILT could not rotate %s (%s); it keeps writing to it", self.path, exc)
                break
            end = os.lseek(fd, 0, os.SEEK_END)
            if rotating:
                rotation.rotated()
                rotation.maintain(self.path)
            if not locked or not rotation.due(end):
                break
        return fd, end, locked

    def _switch_to_path(self, old: int) -> tuple[int, bool]:
        """Open the file now at ``path``, lock it, then release and close ``old`` (whose lock is held)."""
        fd, info, readable = open_log_file(self.path)
        try:
            fcntl.flock(fd, _LOCK_EX_NB)
            locked = True
        except BlockingIOError:
            locked = self._wait_for_lock(fd)
        fcntl.flock(old, _LOCK_UN)
        os.close(old)
        self._fd, self._pid, self._identity, self._readable = fd, os.getpid(), (info.st_dev, info.st_ino), readable
        self._end, self._next_path_check = -1, time.monotonic() + self.path_check_interval
        return fd, locked

    def _reopen(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _moved(self) -> bool:
        """Whether ``path`` names another file than the open one, or none."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return True
        return (info.st_dev, info.st_ino) != self._identity

    def _current_locked_fd(self, fd: int) -> int:
        """A chained log only: holding the lock, make sure ``path`` still names the file (a rotation or a
        rewrite may have replaced it while this writer waited), else lock the new one."""
        while self._moved():
            fcntl.flock(fd, _LOCK_UN)
            self._next_path_check = 0.0
            fd = self._checked_fd()
            fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def _wait_for_lock(self, fd: int) -> bool:
        """Another process holds the ``flock``: wait at most ``lock_wait``; ``False`` when writing without it.
        A chained log waits as long as it takes: its next line needs the previous one."""
        if self.chain is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return True
        deadline = time.monotonic() + self.lock_wait
        pause = 0.0002
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            time.sleep(min(pause, deadline - now))
            pause *= 2
            try:
                fcntl.flock(fd, _LOCK_EX_NB)
                return True
            except BlockingIOError:
                pass
        self.lock_timeouts += 1
        report(f"jsonl-lock:{self.path}", "HILT waited %.0f ms for another process's lock on %s and wrote without "
               "it (an append of one whole line is still atomic on a local file system)", self.lock_wait * 1000,
               self.path)
        return False

    def _after_torn_line(self, fd: int, end: int, line: bytes) -> bytes:
        """``line``, preceded by a newline when the file ends with a torn line (a killed writer, a full
        disk): without it, the torn line would swallow this event."""
        if os.pread(fd, 1, end - 1) == b"\n":
            return line
        report(f"jsonl-torn:{self.path}", "HILT log %s ended with an incomplete line (a killed process or a "
               "full disk?); the next event starts on a new line", self.path)
        return b"\n" + line

    def flush(self) -> None:
        """Nothing is buffered in user space; kept for the writer protocol."""

    def sync(self) -> None:
        """Ask the OS to put the file on stable storage (``fsync``)."""
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                os.fsync(self._fd)

    def close(self) -> None:
        """Close the file descriptor; a later ``write`` reopens the file."""
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None and self._pid == os.getpid():
                os.close(fd)
            if self.chain is not None:
                self.chain.close()

    def __repr__(self) -> str:
        return f"JsonlWriter({str(self.path)!r})"
