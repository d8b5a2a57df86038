"""Find the lines of a plain log file that contain some bytes: memory-mapped windows, split across forked
processes for a large file.

``find`` on a mapped window runs at C speed without copying the file into Python (it holds the GIL, so
threads would not help). A file of :data:`PARALLEL_MIN_BYTES` or more is cut into byte ranges, each owning
the lines that start in it; forked children search all ranges but the first and send their hits back
through a pipe (length-prefixed), while this process searches the first. The hits come out in file order.
Forking happens only where it is safe: a platform with ``fork``, and no other thread running.
"""

from __future__ import annotations

import mmap
import os
import signal
import threading
from collections.abc import Iterator

__all__ = ["PARALLEL_MIN_BYTES", "WINDOW", "lines_containing"]

WINDOW = 64 << 20
PARALLEL_MIN_BYTES = 64 << 20
"""Smaller files are searched in this process (a fork and a pipe cost a few milliseconds)."""
_LENGTH = 8  # bytes of the length prefix of a hit sent by a child


def lines_containing(fileno: int, size: int, needle: bytes, workers: int = 1) -> Iterator[bytes]:
    """Every line of the file (``fileno``, ``size`` bytes) that contains ``needle``, in file order.

    Raises:
        OSError, ValueError: the file cannot be mapped (before any line is yielded), or a child failed.
    """
    workers = max(1, workers) if size >= PARALLEL_MIN_BYTES and _can_fork() else 1
    if workers == 1:
        yield from _range_hits(fileno, 0, size, needle)
        return
    bounds = [0] + [_line_start(fileno, size * i // workers, size) for i in range(1, workers)] + [size]
    children: list[tuple[int, int]] = []
    try:
        for lo, hi in zip(bounds[1:-1], bounds[2:]):
            children.append(_fork_search(fileno, lo, hi, needle))
        yield from _range_hits(fileno, bounds[0], bounds[1], needle)
        while children:
            pid, reader = children[0]
            yield from _read_hits(reader)
            children.pop(0)
            _reap(pid, reader)
    finally:
        for pid, reader in children:  # the caller stopped early, or a child failed: stop the others
            os.kill(pid, signal.SIGKILL)
            _reap(pid, reader, check=False)


def _can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


def _line_start(fileno: int, offset: int, size: int) -> int:
    """The first line start at or after ``offset`` (``size`` when none)."""
    position = offset - 1
    while position < size:
        chunk = os.pread(fileno, 1 << 16, position)
        newline = chunk.find(b"\n")
        if newline >= 0:
            return position + newline + 1
        if not chunk:
            break
        position += len(chunk)
    return size


def _range_hits(fileno: int, start: int, stop: int, needle: bytes) -> Iterator[bytes]:
    """The lines starting in ``[start, stop)`` (``start`` a line start, ``stop`` a line end or the file's end)."""
    window = WINDOW
    while start < stop:
        base = start - start % mmap.ALLOCATIONGRANULARITY
        length = min(window, stop - base)
        with mmap.mmap(fileno, length, access=mmap.ACCESS_READ, offset=base) as view:
            low = start - base
            high = length if base + length == stop else view.rfind(b"\n", low) + 1
            if high == 0:  # a line longer than the window: map more of the file
                window *= 2
                continue
            found = list(_block_hits(view, needle, low, high))
        yield from found
        start, window = base + high, WINDOW


def _block_hits(data: mmap.mmap, needle: bytes, start: int, end: int) -> Iterator[bytes]:
    """The lines of ``data[start:end]`` (whole lines) that contain ``needle``, found without copying the window."""
    position = data.find(needle, start, end)
    while position >= 0:
        line_start = data.rfind(b"\n", start, position) + 1 or start
        line_end = data.find(b"\n", position, end) + 1 or end
        yield data[line_start:line_end]
        position = data.find(needle, line_end, end)


def _fork_search(fileno: int, start: int, stop: int, needle: bytes) -> tuple[int, int]:
    """Search ``[start, stop)`` in a forked child; returns its pid and the read end of its pipe."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only the search and the pipe, then _exit (no atexit, no buffers flushed twice)
        status = 1
        try:
            os.close(reader)
            with open(writer, "wb") as out:
                for line in _range_hits(fileno, start, stop, needle):
                    out.write(len(line).to_bytes(_LENGTH, "little") + line)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    return pid, reader


def _read_hits(reader: int) -> Iterator[bytes]:
    with open(reader, "rb", closefd=False) as stream:
        while True:
            head = stream.read(_LENGTH)
            if len(head) < _LENGTH:
                return
            yield stream.read(int.from_bytes(head, "little"))


def _reap(pid: int, reader: int, check: bool = True) -> None:
    os.close(reader)
    _, status = os.waitpid(pid, 0)
    if check and status != 0:
        raise OSError(f"a search process failed (wait status {status})")
