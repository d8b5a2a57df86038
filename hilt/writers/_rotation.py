"""Rotation, compression and retention of a JSONL log, safe with several processes writing to it.

The :class:`~hilt.writers.jsonl.JsonlWriter` decides *when* (under its ``flock``, from the size it already
knows or the day); this module names the rotated file (``app.jsonl.20261130T051200Z``, ``-1``, ``-2``...
when several rotations share a second: names sort in rotation order), compresses rotated files off the hot
path (a background thread, a temporary file renamed into place, the plain file removed only after) and
removes rotated files older than the retention period. Only this log's rotated siblings (as
:func:`hilt.logs._files.rotated_siblings` recognises them) are ever touched, never through a symbolic
link, never a file of another user, never the live file.
"""

from __future__ import annotations

import errno
import gzip
import os
import shutil
import threading
import time
from pathlib import Path

from .._config import rotate_limit
from .._safety import guard, logger, report, report_exception
from ._log_files import create_private_file, is_own_regular_file, lock_exclusive, names_open_file

__all__ = ["Rotation", "compress_rotated", "prune_rotated", "rotated_path"]

DAY = 86400.0
_STAMP = "%Y%m%dT%H%M%SZ"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Rotation:
    """One log's rotation policy and its background maintenance (compression, retention).

    Attributes:
        max_bytes: rotate once the file holds this many bytes (``None``: by day).
        compress_grace: seconds a rotated file must be left untouched before it is compressed (a writer
            of another process that has not noticed the rotation yet may still append to it).
    """

    compress_grace = 1.0

    def __init__(self, rotate: str | int, *, compress: bool = False, retention_days: int | None = None) -> None:
        limit = rotate_limit(rotate)
        self.max_bytes = limit if isinstance(limit, int) else None
        self.compress = compress
        self.retention_days = retention_days
        self._threshold = self.max_bytes if self.max_bytes is not None else 1 << 62
        # By day: the first write checks the file (it may hold yesterday's lines), then once per midnight.
        self._next_day = 0.0 if self.max_bytes is None else float("inf")
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._again = False

    def due(self, size: int) -> bool:
        """Whether a file of ``size`` bytes may need rotating now (no system call)."""
        return size >= self._threshold or (size > 0 and time.time() >= self._next_day)

    def should_rotate(self, fd: int, size: int) -> bool:
        """Decide on the live file, under its lock: full, or holding lines written before today (UTC)."""
        if self.max_bytes is not None:
            return size >= self.max_bytes
        midnight = _next_midnight(time.time()) - DAY
        self._next_day = midnight + DAY
        return size > 0 and os.fstat(fd).st_mtime < midnight

    def failed(self, size: int) -> None:
        """A rotation failed (reported once): try again after another ``max_bytes``, or in an hour."""
        if self.max_bytes is not None:
            self._threshold = size + self.max_bytes
        else:
            self._next_day = time.time() + 3600

    def rotated(self) -> None:
        """A rotation succeeded: back to the normal threshold; compress and prune in the background."""
        if self.max_bytes is not None:
            self._threshold = self.max_bytes

    def maintain(self, log: Path) -> None:
        """Start (or re-run) the background compression and retention for ``log``; returns at once."""
        if not self.compress and self.retention_days is None:
            return
        with self._lock:
            self._again = True
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._maintain, args=(log,), name="hilt-log-rotation", daemon=True)
            self._worker.start()

    def after_fork(self) -> None:
        """In a forked child: the parent's maintenance thread does not exist here (nor may its lock be freed)."""
        self._lock = threading.Lock()
        self._worker = None

    def join(self, timeout: float | None = None) -> None:
        """Wait for the background maintenance (tests, shutdown)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _maintain(self, log: Path) -> None:
        while True:
            with self._lock:
                self._again = False
            try:
                if self.retention_days is not None:
                    removed = prune_rotated(log, time.time() - self.retention_days * DAY)
                    for path, _ in removed:
                        logger.info("HILT removed %s (rotated more than %d days ago)", path, self.retention_days)
                if self.compress:
                    compress_rotated(log, grace=self.compress_grace)
            except Exception as exc:  # a background thread: report, never raise into the application
                report_exception(f"maintain the rotated files of {log}", exc)
            with self._lock:
                if not self._again:
                    return


def _next_midnight(now: float) -> float:
    return (now // DAY + 1) * DAY


def rotated_path(log: Path, now: float | None = None) -> Path:
    """A free name for ``log`` rotated at ``now``: ``app.jsonl.20261130T051200Z`` (``-1``, ``-2``... if taken)."""
    stamp = time.strftime(_STAMP, time.gmtime(time.time() if now is None else now))
    for sequence in range(10000):
        name = f"{log.name}.{stamp}" + (f"-{sequence}" if sequence else "")
        candidate = log.with_name(name)
        if not os.path.lexists(candidate) and not os.path.lexists(log.with_name(name + ".gz")):
            return candidate
    raise FileExistsError(errno.EEXIST, "no free name for the rotated log", str(log))


def prune_rotated(log: Path, older_than: float, *, dry_run: bool = False) -> list[tuple[Path, int]]:
    """Remove ``log``'s rotated files rotated before the Unix time ``older_than``; returns ``(path, size)`` of each.

    The age is the date in the name, else the modification time. Symbolic links, files of other users
    and anything that is not a rotated sibling of ``log`` are left alone; ``log`` itself always is.
    """
    from ..logs._files import rotated_siblings, rotated_time

    removed: list[tuple[Path, int]] = []
    for path in rotated_siblings(log):
        candidates = [path] if path.name.endswith(".gz") else [path, path.with_name(path.name + ".gz")]
        for candidate in candidates:
            try:
                info = os.lstat(candidate)
                if not is_own_regular_file(info) or rotated_time(log, candidate) >= older_than:
                    continue
                if not dry_run and not _remove_locked(candidate, log):
                    continue
            except FileNotFoundError:
                continue
            removed.append((candidate, info.st_size))
    return removed


def _remove_locked(path: Path, log: Path) -> bool:
    """Delete ``path`` under its ``flock`` (so a compression or a forget of it finishes first); False when
    ``path`` no longer names the file opened (compressed or replaced meanwhile: its successor is judged apart)."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    try:
        if not _lock_if_still_named(fd, path):
            return False
        _record_pruned(path, log)
        os.unlink(path)
    finally:
        os.close(fd)
    return True


def _lock_if_still_named(fd: int, path: Path) -> bool:
    """Take ``fd``'s exclusive ``flock`` (held by ``hilt logs forget`` while it replaces a file, and by a
    compression or a prune of it), then check that ``path`` still names that file."""
    lock_exclusive(fd)
    return os.fstat(fd).st_nlink > 0 and names_open_file(path, fd)


def _record_pruned(path: Path, log: Path) -> None:
    """With the audit trail on, remember the last chained event of ``path`` so that ``hilt logs verify``
    reports the older events as pruned, not removed (a file without a chain changes nothing)."""
    from .._integrity import record_pruned

    with guard(f"record the pruning of {path} for the audit trail"):
        record_pruned(path, log)


def compress_rotated(log: Path, *, grace: float = 1.0) -> list[Path]:
    """Gzip the plain files HILT's rotation left next to ``log``; returns the ``.gz`` files written.

    A file is compressed once nobody wrote to it for ``grace`` seconds (this waits for that), into a
    private temporary file renamed to ``NAME.gz``; the plain file is removed only after, and only if it
    did not change meanwhile.
    """
    from ..logs._files import rotated_by_hilt, rotated_siblings

    written = []
    _remove_stale_temporaries(log)
    for path in rotated_siblings(log):
        if not rotated_by_hilt(log, path):
            continue
        try:
            info = os.lstat(path)
            if not is_own_regular_file(info):
                continue
            wait = info.st_mtime + grace - time.time()
            if wait > 0:
                time.sleep(min(wait, grace))
            target = _gzip_file(path)
        except FileNotFoundError:
            continue  # another process compressed it first
        except OSError as exc:
            report(f"jsonl-compress:{log}", "HILT could not compress the rotated log %s (%s); it stays uncompressed", path, exc)
            continue
        if target is not None:
            written.append(target)
    return written


def _gzip_file(path: Path) -> Path | None:
    """``path`` → ``path.gz`` (0600, atomic); ``None`` when ``path`` changed while it was compressed."""
    target = path.with_name(path.name + ".gz")
    temporary = path.with_name(f".{path.name}.gz.{os.getpid()}-{threading.get_ident()}.tmp")
    source = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    try:
        if not _lock_if_still_named(source, path):  # held until the plain file is removed
            return None
        before = os.fstat(source)
        out = create_private_file(temporary)
        try:
            with os.fdopen(out, "wb") as raw, gzip.GzipFile(path.name, "wb", fileobj=raw, mtime=int(before.st_mtime)) as zipped:
                with os.fdopen(os.dup(source), "rb") as plain:
                    shutil.copyfileobj(plain, zipped, 1 << 20)
                zipped.flush()
                raw.flush()
                os.fsync(raw.fileno())
            after = os.fstat(source)
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                os.unlink(temporary)
                return None
            os.rename(temporary, target)
        except BaseException:
            _unlink_quietly(temporary)
            raise
        os.unlink(path)
    finally:
        os.close(source)
    return target


def _remove_stale_temporaries(log: Path) -> None:
    """Temporary files of a compression interrupted an hour ago or more (a process that exited meanwhile)."""
    prefix = f".{log.name}."
    try:
        names = os.listdir(log.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".tmp") and ".gz." in name:
            path = log.parent / name
            try:
                info = os.lstat(path)
                if is_own_regular_file(info) and info.st_mtime < time.time() - 3600:
                    os.unlink(path)
            except OSError:
                pass


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
