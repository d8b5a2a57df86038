"""Which files a ``hilt logs`` selection reads: paths, globs, rotated siblings and ``.gz`` files.

A log named ``app.jsonl`` is the file itself plus the siblings a rotation left next to it
(``app.jsonl.1``, ``app.jsonl.2.gz``, ``app.jsonl.2026-11-29``, ``app.jsonl-20261129.gz``, and HILT's own
``app.jsonl.20261130T051200Z``, ``app.jsonl.20261130T051200Z-1.gz``), read oldest first. When a file and its
``.gz`` are both there (a compression that has not removed the plain file yet), the plain file is read.
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

__all__ = [
    "default_log",
    "expand_paths",
    "is_glob",
    "is_gzip",
    "open_binary",
    "rotated_by_hilt",
    "rotated_siblings",
    "rotated_time",
]

_GLOB_CHARS = re.compile(r"[*?\[]")
# What rotation tools append to a log's name: a generation number or a date, optionally gzipped.
_ROTATED_SUFFIX = re.compile(
    r"^[.-](?P<key>\d{1,4}|\d{4}-?\d{2}-?\d{2}(?:[T_-]?\d{2,6})?Z?)(?:-(?P<seq>\d{1,4}))?(?P<gz>\.gz)?$"
)
# HILT's own rotation (hilt/writers/_rotation.py): ``.YYYYMMDDTHHMMSSZ``, plus ``-N`` when two rotations share a second.
_HILT_ROTATED_SUFFIX = re.compile(r"^\.\d{8}T\d{6}Z(?:-\d{1,4})?$")


def is_glob(text: str) -> bool:
    """Whether a FILE argument is a glob pattern (``*``, ``?`` or ``[``) rather than a file name."""
    return _GLOB_CHARS.search(text) is not None


def rotated_by_hilt(log: Path, rotated: Path) -> bool:
    """Whether ``rotated`` is a plain (not yet compressed) file HILT's own rotation made from ``log``."""
    return rotated.name.startswith(log.name) and _HILT_ROTATED_SUFFIX.match(rotated.name[len(log.name) :]) is not None


def default_log() -> Path:
    """The log HILT writes to with the current configuration (``hilt logs path``)."""
    from .._config import load_settings

    return Path(load_settings().log_path)


def rotated_siblings(path: str | os.PathLike[str]) -> list[Path]:
    """The rotated files of the log ``path`` (not ``path`` itself), oldest first (``.3`` before ``.1``;
    dates in ascending order)."""
    path = Path(path)
    try:
        names = set(os.listdir(path.parent if str(path.parent) else "."))
    except OSError:
        return []
    numbered: list[tuple[int, Path]] = []
    dated: list[tuple[str, int, Path]] = []
    plain_gz: list[Path] = []
    for name in names:
        if not name.startswith(path.name) or name == path.name:
            continue
        if name.endswith(".gz") and name[:-3] in names:
            continue  # being compressed: the plain file is complete, the .gz may be read once it is gone
        rest = name[len(path.name) :]
        if rest == ".gz":
            plain_gz.append(path.parent / name)
            continue
        match = _ROTATED_SUFFIX.match(rest)
        if not match:
            continue
        key = match.group("key")
        if len(key) <= 4:
            numbered.append((int(key), path.parent / name))
        else:
            dated.append((key.replace("-", ""), int(match.group("seq") or 0), path.parent / name))
    numbered.sort(key=lambda item: -item[0])
    dated.sort()
    return [p for *_, p in dated] + [p for _, p in numbered] + plain_gz


def rotated_time(log: Path, rotated: Path) -> float:
    """When ``rotated`` (a rotated sibling of ``log``) was rotated, as a Unix time: the date (and time, UTC)
    in its name, else its modification time. Raises ``OSError`` when it has neither."""
    match = _ROTATED_SUFFIX.match(rotated.name[len(log.name) :])
    key = re.sub(r"[-_TZ]", "", match.group("key")) if match else ""
    if len(key) >= 8:
        digits = key[:8] + "T" + key[8:14].ljust(6, "0")
        try:
            return _utc_timestamp(time.strptime(digits, "%Y%m%dT%H%M%S"))
        except ValueError:
            pass  # not a real date (20261399): fall back to the file's time
    return os.lstat(rotated).st_mtime


def _utc_timestamp(moment: time.struct_time) -> float:
    import calendar

    return float(calendar.timegm(moment))


def expand_paths(paths: Sequence[str | os.PathLike[str]] | None = None, *, rotated: bool = True) -> list[Path]:
    """The files to read, in reading order, each once.

    Args:
        paths: files and glob patterns; empty or ``None`` means the configured log.
        rotated: also read each named file's rotated siblings (before the file itself).

    Raises:
        FileNotFoundError: a named file (or a pattern matching nothing) that does not exist; the
            default log is allowed to be missing only if it has rotated siblings.
        IsADirectoryError: a named path is a folder (the message suggests a pattern).
    """
    chosen: list[Path] = []
    named = list(paths or [])
    if not named:
        named = [default_log()]
    for item in named:
        text = os.fspath(item)
        if is_glob(text):
            matches = sorted(glob.glob(os.path.expanduser(text)))
            if not matches:
                raise FileNotFoundError(f"no file matches {text}")
            chosen.extend(Path(m) for m in matches)
            continue
        path = Path(os.path.expanduser(text))
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder: name a log file in it, or a pattern such as '{path / '*.jsonl'}'")
        siblings = rotated_siblings(path) if rotated else []
        if not path.exists() and not siblings:
            raise FileNotFoundError(f"HILT log not found: {path} (name a log file; `hilt logs path` prints the configured one)")
        chosen.extend(siblings)
        if path.exists():
            chosen.append(path)
    return _unique(chosen)


def _unique(paths: Iterable[Path]) -> list[Path]:
    seen: set[tuple[int, int] | str] = set()
    result: list[Path] = []
    for path in paths:
        try:
            info = path.stat()
            key: tuple[int, int] | str = (info.st_dev, info.st_ino)
        except OSError:
            key = str(path.resolve())
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes (whatever its name)."""
    try:
        with open(path, "rb") as stream:
            return stream.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzipped; a rotated file compressed (and removed) since it
    was listed is read from its ``.gz``."""
    if not path.exists() and not path.name.endswith(".gz") and path.with_name(path.name + ".gz").exists():
        path = path.with_name(path.name + ".gz")
    if is_gzip(path):
        return gzip.open(path, "rb")
    return open(path, "rb", buffering=1 << 20)
