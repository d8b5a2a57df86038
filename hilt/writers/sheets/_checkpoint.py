"""What a Google Sheet has received from a journal, kept on disk next to the journal.

A checkpoint is a small JSON file, replaced atomically (write to a temporary file, ``fsync``, rename):

``offset``     bytes of the journal whose rows the sheet is known to hold;
``tail_row``   the last sheet row HILT is known to have written (``None`` when unknown);
``worksheet``  the worksheet title rows go to;
``inflight``   ``{"start", "end"}`` while an append of journal bytes ``[start, end)`` is in flight, or
               whose outcome is unknown (a time-out, a 5xx, a crash): before sending those bytes again
               the sender reads the sheet back to see whether they landed.

A :class:`SenderLock` (an exclusive ``flock`` on ``<checkpoint>.lock``) makes one process at a time
the sender for a journal: processes that share a journal (forks, gunicorn workers) all append to it,
and the one holding the lock sends every process's rows. Folders either creates are private (0700, parents
included), files 0600.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .._log_files import make_private_dirs

try:
    import fcntl
except ImportError:  # Windows: one sender per process at most, no cross-process exclusion
    fcntl = None  # type: ignore[assignment]

__all__ = ["Checkpoint", "SenderLock"]


@dataclass
class Checkpoint:
    """Progress of one journal into one worksheet, loaded from and saved to ``path``."""

    path: Path
    offset: int = 0
    tail_row: int | None = None
    worksheet: str | None = None
    inflight: dict[str, int] | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Checkpoint:
        """The checkpoint at ``path``; a fresh one (offset 0) if the file is missing."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except ValueError as exc:
            raise OSError(f"corrupt checkpoint {path}: {exc}") from exc
        try:
            inflight = data.get("inflight")
            if inflight is not None:
                inflight = {"start": int(inflight["start"]), "end": int(inflight["end"])}
            tail_row = data.get("tail_row")
            worksheet = data.get("worksheet")
            return cls(
                path,
                offset=int(data.get("offset", 0)),
                tail_row=None if tail_row is None else int(tail_row),
                worksheet=worksheet if isinstance(worksheet, str) else None,
                inflight=inflight,
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise OSError(f"corrupt checkpoint {path}: {exc!r}") from exc

    def save(self) -> None:
        """Write the checkpoint atomically and durably."""
        data = asdict(self)
        data.pop("path")
        make_private_dirs(self.path.parent)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


class SenderLock:
    """A non-blocking, process-exclusive lock file; released on :meth:`release`, process exit or fork."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._pid = 0

    @property
    def held(self) -> bool:
        return self._fd is not None and self._pid == os.getpid()

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; ``True`` on success (also when already held)."""
        if self.held:
            return True
        self.forget()
        make_private_dirs(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
        self._fd, self._pid = fd, os.getpid()
        return True

    def release(self) -> None:
        """Give the lock up (only the process that took it can)."""
        fd, self._fd = self._fd, None
        if fd is not None and self._pid == os.getpid():
            os.close(fd)  # closing our only descriptor drops the flock

    def forget(self) -> None:
        """After a fork: drop the inherited descriptor without touching the parent's lock."""
        if self._fd is not None and self._pid != os.getpid():
            fd, self._fd = self._fd, None
            try:
                os.close(fd)  # the parent still holds its own descriptor, so its lock stays
            except OSError:
                pass
