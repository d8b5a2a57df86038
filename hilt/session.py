"""``Session``: read and append HILT JSONL logs.

    with Session("logs/app.jsonl", mode="r") as session:
        for event in session.read():
            print(event.action, event.content.text, event.metrics.cost_usd)

Reading covers the rotated files next to the log too (``app.jsonl.20261130T051200Z.gz``,
``app.jsonl.1``...), oldest first, as one log. A corrupt or truncated line is reported with its line number through the ``hilt`` logger and
skipped; ``read(strict=True)`` raises :class:`~hilt.exceptions.LogReadError` instead.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from pydantic import ValidationError

from ._safety import logger
from .events import Event
from .exceptions import HILTError, LogReadError
from .writers.jsonl import JsonlWriter, open_log_file, open_log_for_reading

__all__ = ["Session", "read_events"]

Mode = Literal["a", "w", "r"]


class Session:
    """A HILT log file opened for appending (``"a"``), overwriting (``"w"``) or reading (``"r"``)."""

    def __init__(self, path: str | os.PathLike[str], mode: Mode = "a") -> None:
        if mode not in ("a", "w", "r"):
            raise ValueError(f"mode must be 'a', 'w' or 'r', not {mode!r}")
        self.path = Path(path)
        self.mode: Mode = mode
        self._writer: JsonlWriter | None = None
        self._open = False
        self._truncated = False
        self._lock = threading.Lock()

    def open(self) -> Session:
        """Open the file (idempotent, thread-safe).

        In ``"w"`` mode an existing file is emptied the first time this session opens it; reopening it
        later (or an ``append`` after ``close``) appends, so no event already written is lost.
        """
        with self._lock:
            if self._open:
                return self
            if self.mode == "r":
                _log_files(self.path)  # raises FileNotFoundError when neither the log nor a rotated file exists
            else:
                if self.mode == "w" and not self._truncated:
                    fd = open_log_file(self.path)[0]  # checked first: never truncate a link's target
                    try:
                        os.ftruncate(fd, 0)
                    finally:
                        os.close(fd)
                    self._truncated = True
                self._writer = JsonlWriter(self.path)
            self._open = True
            return self

    def close(self) -> None:
        """Close the file; safe to call twice."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._open = False

    def __enter__(self) -> Session:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def append(self, event: Event | dict[str, Any]) -> None:
        """Append one event (an :class:`Event` or a dict in the same shape) as one line."""
        if self.mode == "r":
            raise HILTError(f"{self.path} is open for reading (mode='r')")
        data = event.to_dict() if isinstance(event, Event) else Event.model_validate(event).to_dict()
        self.open()
        writer = self._writer
        assert writer is not None
        writer.write(data)

    def read(self, *, strict: bool = False, rotated: bool = True) -> Iterator[Event]:
        """Yield the events of the log in order, its rotated files first (``rotated=False``: the file
        alone); see the module docstring for bad lines."""
        if not rotated:
            return read_events(self.path, strict=strict)
        return (event for path in _log_files(self.path) for event in read_events(path, strict=strict))


def _log_files(path: Path) -> list[Path]:
    """``path``'s rotated files, oldest first, then ``path`` itself if it exists."""
    from .logs._files import rotated_siblings

    files = rotated_siblings(path) + ([path] if path.exists() else [])
    if not files:
        raise FileNotFoundError(f"HILT log not found: {path}")
    return files


def read_events(path: str | os.PathLike[str], *, strict: bool = False) -> Iterator[Event]:
    """Yield the events of one HILT JSONL file (gzipped or not), reporting (or, if ``strict``, raising on) bad lines.

    A path that is not a regular file (a FIFO, a folder) raises
    :class:`~hilt.writers.jsonl.UnsafeLogFileError` instead of blocking.
    """
    with _open_for_reading(Path(path)) as stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            try:
                yield Event.model_validate(json.loads(raw))
            except (ValueError, ValidationError, TypeError, RecursionError) as exc:
                reason = _describe(raw, exc)
                if strict:
                    raise LogReadError(str(path), number, reason) from exc
                logger.warning("%s:%d: skipped a line that is not a HILT event: %s", path, number, reason)


@contextmanager
def _open_for_reading(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed when it is gzipped; a rotated file compressed since it was listed
    is read from its ``.gz``."""
    if not path.exists() and not path.name.endswith(".gz") and path.with_name(path.name + ".gz").exists():
        path = path.with_name(path.name + ".gz")
    with os.fdopen(open_log_for_reading(path), "rb") as stream:
        if stream.peek(2)[:2] != b"\x1f\x8b":
            yield stream
            return
        with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
            yield unzipped  # type: ignore[misc]


def _describe(raw: bytes, exc: Exception) -> str:
    if not raw.endswith(b"\n"):
        return f"truncated line ({exc.__class__.__name__})"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        return f"{where}: {first['msg']}"
    return f"invalid JSON: {exc}"
