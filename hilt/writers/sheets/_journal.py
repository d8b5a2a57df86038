"""Reading the journal (a HILT JSONL file that is the Sheets queue) in batches of complete lines.

Writers append whole lines under an exclusive ``flock``; the reader takes a shared one, so it never sees
half a line, and stops at a line that is still being written (no newline yet).
"""

from __future__ import annotations

import os
from pathlib import Path

from ...exceptions import WriterError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["BATCH_BYTES", "BATCH_ROWS", "read_lines"]

BATCH_ROWS = 500
"""Most rows in one append request."""
BATCH_BYTES = 1_500_000
"""Most journal bytes in one append request (Google recommends payloads under 2 MB)."""


def read_lines(journal: Path, start: int, *, end: int | None = None, checkpoint_path: Path) -> tuple[list[bytes], int]:
    """Complete lines from ``start`` (up to ``end``, else one batch); returns them and the offset after.

    Raises:
        WriterError: the journal is shorter than ``start`` (truncated or replaced under its checkpoint).
    """
    try:
        handle = open(journal, "rb")
    except FileNotFoundError:
        return [], start
    with handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)  # writers hold LOCK_EX while appending a line
        try:
            size = os.fstat(handle.fileno()).st_size
            if size < start:
                raise WriterError(
                    f"journal {journal} is shorter than its checkpoint ({size} < {start} bytes): it was "
                    f"truncated or replaced; delete {checkpoint_path} to send it again from the start"
                )
            handle.seek(start)
            if end is not None:
                data = handle.read(end - start)
                return data.splitlines(keepends=True), end
            lines: list[bytes] = []
            used = 0
            while len(lines) < BATCH_ROWS and used < BATCH_BYTES:
                line = handle.readline()
                if not line.endswith(b"\n"):
                    break  # end of file or a line still being written
                if lines and used + len(line) > BATCH_BYTES:
                    break
                lines.append(line)
                used += len(line)
            return lines, start + used
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
