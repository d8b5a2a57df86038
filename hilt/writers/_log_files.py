"""Opening log files safely: private folders (0700) and files (0600), never through a symbolic link,
never blocking on a FIFO, and only a regular file of the current user with one link (or the null device).

Used by the JSONL writer and by everything else that creates files next to a log or in the state
folder (rotation, ``hilt logs forget``, the audit trail's key and anchors, the Sheets checkpoint).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .._safety import report

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_APPEND_FLAGS = os.O_APPEND | os.O_CREAT | _CLOEXEC | _NOFOLLOW | _NONBLOCK

__all__ = [
    "UnsafeLogFileError",
    "create_private_file",
    "is_own_regular_file",
    "lock_exclusive",
    "make_private_dirs",
    "names_open_file",
    "open_log_file",
    "open_log_for_reading",
    "replace_private_file",
]


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


def create_private_file(path: Path, flags: int = os.O_WRONLY) -> int:
    """Create ``path``, which must not exist yet (a temporary file, a key), mode 0600, without following a
    symbolic link; returns the descriptor opened with ``flags`` (``os.O_WRONLY`` by default)."""
    return os.open(path, flags | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)


def is_own_regular_file(info: os.stat_result) -> bool:
    """Whether ``info`` (from ``lstat`` or ``fstat``) is a regular file, not a link, of the current user."""
    return stat.S_ISREG(info.st_mode) and (not hasattr(os, "geteuid") or info.st_uid == os.geteuid())


def replace_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a 0600 temporary file in the same (0700) folder, synced, then
    renamed over ``path``; a reader sees the old content or the new, never part of it."""
    make_private_dirs(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = create_private_file(temporary)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def names_open_file(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not renamed away, rotated, replaced or deleted)."""
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return False
    info = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)


def lock_exclusive(fd: int, take: bool = True) -> None:
    """Take (or, with ``take=False``, release) the ``flock`` every HILT writer of a log takes; nothing on Windows."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX if take else fcntl.LOCK_UN)


class UnsafeLogFileError(OSError):
    """The log path names something HILT must not write to: a symbolic link, a FIFO, a device, a
    folder, a file owned by another user or with several hard links."""




def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _is_null_device(info: os.stat_result) -> bool:
    """``/dev/null`` is the one non-file a log may be: writing to it discards, as the user asked."""
    if not stat.S_ISCHR(info.st_mode):
        return False
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return stat.S_ISCHR(null.st_mode) and info.st_rdev == null.st_rdev


def _refused(path: Path, error: OSError) -> OSError:
    """Turn the errors ``O_NOFOLLOW | O_NONBLOCK`` give into a clear refusal."""
    if error.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
        return UnsafeLogFileError(error.errno, "the log path is a symbolic link; HILT does not follow it", str(path))
    if error.errno == errno.ENXIO:  # O_WRONLY | O_NONBLOCK on a FIFO without a reader
        return UnsafeLogFileError(error.errno, "the log path is a FIFO, not a regular file", str(path))
    return error


def _check_writable(fd: int, path: Path) -> os.stat_result:
    """Require a private regular file on an opened descriptor; then clear ``O_NONBLOCK``."""
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode):
        problem = None
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            problem = f"the log file is owned by uid {info.st_uid}, not by the current user"
        elif info.st_nlink > 1:
            problem = f"the log file has {info.st_nlink} hard links (another name could be anywhere)"
        if problem:
            raise UnsafeLogFileError(errno.EPERM, problem, str(path))
        if info.st_mode & 0o044:
            report(f"jsonl-mode:{path}", "HILT log %s is readable by other users (mode %04o); `chmod 600` keeps "
                   "prompts private", path, stat.S_IMODE(info.st_mode))
    elif not _is_null_device(info):
        raise UnsafeLogFileError(errno.EPERM, f"the log path is {_kind(info.st_mode)}, not a regular file", str(path))
    _clear_nonblock(fd)
    return info


def _clear_nonblock(fd: int) -> None:
    """``O_NONBLOCK`` was only for the open; it changes nothing for regular files on Linux, but elsewhere
    it could make reads and writes short, so it is cleared once the file is known to be safe."""
    if _NONBLOCK and fcntl is not None:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)


def open_log_file(path: Path) -> tuple[int, os.stat_result, bool]:
    """Open ``path`` for appending (created 0600, parents 0700), never following a link or blocking.

    Returns the descriptor, its ``fstat`` and whether it is readable (read-write unless the file
    forbids reading). Raises :class:`UnsafeLogFileError` for anything but a private regular file.
    """
    make_private_dirs(path.parent)
    readable = True
    try:
        try:
            fd = os.open(path, os.O_RDWR | _APPEND_FLAGS, 0o600)
        except PermissionError:  # a write-only file: append without the torn-line check
            fd, readable = os.open(path, os.O_WRONLY | _APPEND_FLAGS, 0o600), False
    except OSError as exc:
        raise _refused(path, exc) from None
    try:
        return fd, _check_writable(fd, path), readable
    except BaseException:
        os.close(fd)
        raise


def open_log_for_reading(path: str | os.PathLike[str]) -> int:
    """Open a log for reading without blocking on a FIFO; raises :class:`UnsafeLogFileError` if it is
    not a regular file (links are followed: the reader chose the path)."""
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeLogFileError(errno.EPERM, f"the log path is {_kind(info.st_mode)}, not a regular file", str(path))
        _clear_nonblock(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd
