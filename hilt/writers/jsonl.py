"""Append events to a JSONL file, safely from many threads and many processes.

Every event is one ``os.write`` of one complete line on a file descriptor opened with ``O_APPEND``,
under a thread lock and an exclusive ``flock``: lines never tear or interleave, and a line is in the
kernel (so it survives a crash of the process) by the time ``write`` returns. New files get mode
0600 and their parent folders are created (0700). A process forked after the file was opened reopens
it, so parent and child never share a lock.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: O_APPEND writes of one line are still atomic enough for one process
    fcntl = None  # type: ignore[assignment]

__all__ = ["JsonlWriter", "dumps_event", "make_private_dirs"]

try:  # orjson is several times faster than the standard library on this hot path
    import orjson

    _ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
except ImportError:  # pragma: no cover - orjson is a dependency, but HILT works without it
    orjson = None  # type: ignore[assignment]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=str).encode


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and every missing parent with mode 0700 (``Path.mkdir(parents=True)`` would give
    the parents the default mode). Raises ``OSError`` when a folder cannot be created."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if not path.is_dir():
                raise


def dumps_event(event: dict[str, Any]) -> bytes:
    """One event as one line of valid UTF-8 bytes, newline included.

    A lone surrogate in a string (e.g. text decoded with ``surrogateescape``) cannot be UTF-8; such an
    event is written with ASCII escapes instead (``\\udc80``), which every JSON reader accepts.
    """
    if orjson is not None:
        try:
            return orjson.dumps(event, default=str, option=_ORJSON_OPTIONS)
        except TypeError:  # lone surrogates, integers beyond 64 bits: the standard library copes
            pass
    try:
        return (_dumps(event) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (_dumps_ascii(event) + "\n").encode("ascii")


_live_writers: weakref.WeakSet[JsonlWriter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A thread of the parent may have held a writer's lock at the moment of the fork; that thread does
    # not exist in the child, so the copied lock would stay held forever. Give every writer a new one.
    for writer in list(_live_writers):
        writer._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class JsonlWriter:
    """A writer that appends one line per event to ``path``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._pid = 0
        self._lock = threading.Lock()
        _live_writers.add(self)

    def _open(self) -> int:
        make_private_dirs(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        self._fd, self._pid = fd, os.getpid()
        return fd

    def write(self, event: dict[str, Any]) -> None:
        """Append ``event`` as one line; raises ``OSError`` when the file cannot be written."""
        self.write_line(dumps_event(event))

    def write_line(self, line: bytes) -> None:
        """Append one already-encoded line (it must end with a newline)."""
        with self._lock:
            fd = self._fd
            if fd is None or self._pid != os.getpid():
                if fd is not None:  # inherited through fork: this process's copy, not the parent's lock
                    os.close(fd)
                fd = self._open()
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                view = memoryview(line)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

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

    def __repr__(self) -> str:
        return f"JsonlWriter({str(self.path)!r})"
