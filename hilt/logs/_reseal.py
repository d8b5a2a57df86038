"""Re-seal a chained log after an erasure (``hilt logs forget``) and recognise the erasure record.

:func:`reseal_after_erasure` re-chains the rewritten file and appends a ``system`` event with
``extensions.erasure = {"at": ..., "events_removed": n}``: the chain records that an erasure happened,
when and how many events, never whose. That event takes no ``seq`` of its own; ``hilt logs verify``
counts the gaps it accounts for as erased, not as tampering.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._integrity import PLACEHOLDER, ZERO_MAC, anchor_path, integrity_key, parse_link, seal_line, template_of, write_anchor
from ..writers._log_files import lock_exclusive, names_open_file, replace_private_file

__all__ = ["erasure_event", "erasure_of", "reseal_after_erasure"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def erasure_event(when: str, removed: int) -> dict[str, Any]:
    """The ``system`` event that records an erasure in the chain: when and how many, never whose."""
    from .._format import FORMAT_VERSION
    from .._ids import new_event_id

    return {
        "hilt_version": FORMAT_VERSION,
        "event_id": new_event_id(),
        "timestamp": when,
        "session_id": "hilt-audit",
        "actor": {"type": "system", "id": "hilt"},
        "action": "system",
        "content": {"text": f"erasure: {removed} events removed"},
        "extensions": {"erasure": {"at": when, "events_removed": removed}, "chain": PLACEHOLDER},
    }


def erasure_of(raw: bytes) -> dict[str, Any] | None:
    """``extensions.erasure`` of a line written by :func:`erasure_event`, else ``None``."""
    if b'"erasure":{' not in raw:
        return None
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("action") != "system" or event.get("session_id") != "hilt-audit":
        return None
    erasure = (event.get("extensions") or {}).get("erasure")
    return erasure if isinstance(erasure, dict) else None


def reseal_after_erasure(
    path: str | os.PathLike[str], removed_count: int, when: str | None = None, *, rewritten: int | None = None
) -> int:
    """Re-chain ``path`` after an erasure rewrote it and append the erasure event; returns the lines sealed
    (0, changing nothing, when the file carries no chain: safe to call after every rewrite).

    Each chained line keeps its ``seq`` (the erased ones leave gaps that the erasure event accounts
    for); the erasure event takes the last ``seq`` again. Runs under the file's ``flock``; a plain file
    is rewritten in place (writers keep their descriptor), a gzipped (rotated) one replaced.

    ``rewritten``: a read-write descriptor of the file to re-seal (its ``flock`` may be held by the caller),
    used instead of opening ``path``, which a writer may have rotated meanwhile; the anchor is then updated
    only if ``path`` still names that file.
    """
    from .._ids import utc_now_iso
    from ..writers.jsonl import dumps_event

    path = Path(path)
    try:
        key = integrity_key(create=False)
    except FileNotFoundError:  # integrity was never on for this user: nothing to re-seal
        return 0
    when = when or utc_now_iso()
    fd = _own_descriptor(rewritten) if rewritten is not None else os.open(path, os.O_RDWR | _NOFOLLOW | _CLOEXEC)
    try:
        lock_exclusive(fd)
        compressed = os.pread(fd, 2, 0) == b"\x1f\x8b"
        data = _read_all(fd, compressed)
        if not any(parse_link(raw) for raw in data.splitlines()):
            return 0  # not a chained log
        out, sealed, seq, mac, first = [], 0, None, ZERO_MAC, True
        for raw in data.splitlines(keepends=True):
            link = parse_link(raw)
            if link is None:
                out.append(raw)
                continue
            if first:
                mac = link.prev if link.prev is not None else ZERO_MAC
            if seq is None:
                line_seq = link.seq
            elif erasure_of(raw) is not None:
                line_seq = seq  # an erasure event takes no seq of its own
            else:  # lines a late writer appended during the rewrite may repeat a seq: keep the seqs increasing
                line_seq = max(link.seq, seq + 1)
            line, mac = seal_line(key, template_of(raw), line_seq, mac, first)  # type: ignore[arg-type]
            out.append(line)
            seq, first, sealed = line_seq, False, sealed + 1
        last_seq = seq if seq is not None else -1
        line, mac = seal_line(key, dumps_event(erasure_event(when, removed_count)), last_seq, mac, first)
        out.append(line if not out or out[-1].endswith(b"\n") else b"\n" + line)
        _write_back(path, fd, b"".join(out), compressed)
        if anchor_path(path).exists() and names_open_file(path, fd):
            write_anchor(path, last_seq, mac)
    finally:
        os.close(fd)
    return sealed + 1


def _own_descriptor(fd: int) -> int:
    """A duplicate of ``fd`` without ``O_APPEND`` (the rewrite writes from offset 0)."""
    own = os.dup(fd)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return own
    fcntl.fcntl(own, fcntl.F_SETFL, fcntl.fcntl(own, fcntl.F_GETFL) & ~os.O_APPEND)
    return own


def _read_all(fd: int, compressed: bool) -> bytes:
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0)
    if compressed:
        import gzip

        return gzip.decompress(data)
    return data


def _write_back(path: Path, fd: int, data: bytes, compressed: bool) -> None:
    if not compressed:
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
        return
    import gzip

    replace_private_file(path, gzip.compress(data))
