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
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: O_APPEND writes of one line are still atomic enough for one process
    fcntl = None  # type: ignore[assignment]

__all__ = ["JsonlWriter", "dumps_event"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def dumps_event(event: dict[str, Any]) -> bytes:
    """One event as one line of UTF-8 bytes, newline included."""
    return (_dumps(event) + "\n").encode("utf-8", "surrogatepass")


class JsonlWriter:
    """A writer that appends one line per event to ``path``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _open(self) -> int:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
