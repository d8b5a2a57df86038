"""The audit trail (``integrity = true``): a keyed hash chain through every line of a JSONL log.

Each line carries ``extensions.chain = {"seq": n, "mac": "<64 hex>"}`` as the last key of the line,
where ``mac = HMAC-SHA256(key, previous mac || the line with the mac written as 64 zeros)``. ``seq``
counts the chain's events across rotated files; the first chained line of a file also names the mac
it follows (``"prev"``), so a file can be checked alone and a removed file shows as a broken link.
The key is 32 random bytes in the user's state folder (``integrity.key``, 0600 in a 0700 folder):
whoever edits a line without it cannot compute a valid mac. An anchor per log in the state folder
(``integrity/<hash of the log path>.anchor``) records the last ``seq`` and mac, so a truncated tail or
a removed newest file is noticed as well.

The writer keeps the last mac and the file size it left; when the file grew meanwhile (another
process), the chain state is read back from the file's tail under the ``flock``. A new file (after a
rotation) continues from the anchor. An erasure re-seals the rewritten file (``hilt/logs/_reseal.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from ._user_dirs import user_dir

__all__ = [
    "Chain",
    "ChainLink",
    "PLACEHOLDER",
    "ZERO_MAC",
    "anchor_path",
    "compute_mac",
    "integrity_key",
    "parse_link",
    "prepare",
    "read_anchor",
    "read_pruned",
    "record_pruned",
    "seal_line",
    "template_of",
    "write_anchor",
]

PLACEHOLDER = "hilt-chain-placeholder"
_PLACEHOLDER_SUFFIX = b'"chain":"hilt-chain-placeholder"}}\n'
ZERO_MAC = b"\0" * 32
_ZERO_HEX = b"0" * 64
_MAC_TAIL = b'"}}}'  # closes the mac string, chain, extensions and the event
_CHAIN_KEY = b'"chain":{"seq":'
_ANCHOR_SIZE = 96
_TAIL_CHUNK = 1 << 16
_TAIL_LIMIT = 1 << 20


def _state_file(*parts: str) -> Path:
    return Path(user_dir("state"), *parts)


def integrity_key(*, create: bool = True) -> bytes:
    """The user's chain key (32 random bytes, created 0600 in a 0700 folder on first use: :mod:`hilt._keys`).

    Raises ``FileNotFoundError`` when there is no key and ``create`` is false.
    """
    from ._keys import load_key, read_key

    path = _state_file("integrity.key")
    damaged = "restore it from your backup (a new key cannot verify what the old one sealed)"
    if create:
        return load_key(path, damaged=damaged)
    key = read_key(path, damaged=damaged)
    if key is None:
        raise FileNotFoundError(
            f"no integrity key at {path}: it is created by the first chained write; verify as the user who wrote the log"
        )
    return key


def anchor_path(log_path: str | os.PathLike[str]) -> Path:
    """Where the anchor of the log at ``log_path`` (the live file's name) is kept."""
    real = os.path.realpath(os.path.expanduser(os.fspath(log_path)))
    return _state_file("integrity", hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".anchor")


def read_anchor(log_path: str | os.PathLike[str]) -> tuple[int, bytes] | None:
    """The last ``(seq, mac)`` chained into ``log_path``, or ``None`` when it never was."""
    try:
        text = anchor_path(log_path).read_bytes().split()
        return int(text[0]), bytes.fromhex(text[1].decode("ascii"))
    except (OSError, IndexError, ValueError):
        return None


class ChainLink(NamedTuple):
    """The chain fields of one line: its ``seq``, mac, the mac it names as previous (first line of a
    file only) and the line as it was sealed (the mac zeroed), which the mac covers."""

    seq: int
    mac: bytes
    prev: bytes | None
    template: bytes


def parse_link(raw: bytes) -> ChainLink | None:
    """The chain of one line (with or without its newline), or ``None`` when it carries none."""
    line = raw.rstrip(b"\r\n")
    if not line.endswith(_MAC_TAIL) or len(line) < 100 or line[-75:-68] != b'"mac":"':
        return None
    start = line.rfind(_CHAIN_KEY, 0, len(line) - 68)
    if start < 0:
        return None
    fields = line[start + len(_CHAIN_KEY) : -75]  # b'12,' or b'12,"prev":"<hex>",'
    try:
        seq_text, _, rest = fields.partition(b",")
        seq = int(seq_text)
        prev = None
        if rest:
            if not (rest.startswith(b'"prev":"') and rest.endswith(b'",') and len(rest) == 74):
                return None
            prev = bytes.fromhex(rest[8:72].decode("ascii"))
        mac = bytes.fromhex(line[-68:-4].decode("ascii"))
    except ValueError:
        return None
    return ChainLink(seq, mac, prev, line[:-68] + _ZERO_HEX + _MAC_TAIL + b"\n")


def template_of(raw: bytes) -> bytes | None:
    """A chained line turned back into its unsealed form (the chain as a placeholder), to be sealed again."""
    line = raw.rstrip(b"\r\n")
    link = parse_link(line)
    if link is None:
        return None
    start = line.rfind(_CHAIN_KEY, 0, len(line) - 68)
    return line[:start] + _PLACEHOLDER_SUFFIX


def compute_mac(key: bytes, prev: bytes, template: bytes) -> bytes:
    return hmac.digest(key, prev + template, "sha256")


def seal_line(key: bytes, unsealed: bytes, seq: int, prev: bytes, first: bool) -> tuple[bytes, bytes]:
    """``unsealed`` (ending with the placeholder) with its chain; returns the line and its mac."""
    head = unsealed[: -len(_PLACEHOLDER_SUFFIX)] + b'"chain":{"seq":%d' % seq
    if first:
        head += b',"prev":"' + prev.hex().encode("ascii") + b'"'
    head += b',"mac":"'
    mac = compute_mac(key, prev, head + _ZERO_HEX + _MAC_TAIL + b"\n")
    return head + mac.hex().encode("ascii") + _MAC_TAIL + b"\n", mac


def prepare(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` with ``extensions`` last and a chain placeholder as its last key."""
    prepared = {key: value for key, value in event.items() if key != "extensions"}
    extensions = event.get("extensions")
    if isinstance(extensions, dict):
        prepared["extensions"] = {**{k: v for k, v in extensions.items() if k != "chain"}, "chain": PLACEHOLDER}
    else:
        prepared["extensions"] = {"chain": PLACEHOLDER}
    return prepared


def _unsealed_line(line: bytes) -> bytes:
    """Bytes handed to ``write_line`` directly: make them end with the placeholder."""
    if line.endswith(_PLACEHOLDER_SUFFIX):
        return line
    from .writers.jsonl import dumps_event

    return dumps_event(prepare(json.loads(line)))


class Chain:
    """The chain state of one writer (used under its thread lock and the file's ``flock``)."""

    def __init__(self, log_path: str | os.PathLike[str]) -> None:
        self.log_path = Path(log_path)
        self._key = b""  # read (or made) by the first write, where a failure is reported like any write error
        self._anchor_file = anchor_path(log_path)
        self._seq, self._mac, self._first = -1, ZERO_MAC, True
        self._pending: tuple[int, bytes] | None = None
        self._anchor_fd: int | None = None

    prepare = staticmethod(prepare)

    def seal(self, fd: int, end: int, line: bytes, fresh: bool) -> bytes:
        """``line`` with its chain; ``fresh``: nobody wrote to the file since this chain's last line."""
        if not self._key:
            self._key = integrity_key()
        if not fresh:
            self._load(fd, end)
        sealed, mac = seal_line(self._key, _unsealed_line(line), self._seq + 1, self._mac, self._first)
        self._pending = (self._seq + 1, mac)
        return sealed

    def commit(self) -> None:
        """The sealed line is written: it becomes the previous one, and the anchor records it."""
        if self._pending is not None:
            (self._seq, self._mac), self._pending, self._first = self._pending, None, False
            if self._anchor_fd is None:
                self._anchor_fd = _open_anchor(self._anchor_file)
            os.pwrite(self._anchor_fd, _anchor_record(self._seq, self._mac), 0)

    def close(self) -> None:
        """Close the anchor (the next commit reopens it)."""
        fd, self._anchor_fd = getattr(self, "_anchor_fd", None), None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # at interpreter exit ``os`` may already be gone; the OS closes the file anyway
            pass

    def _load(self, fd: int, end: int) -> None:
        """Read the chain state from the file's last chained line, else from the anchor (a new file)."""
        link = _last_link(fd, end) if end > 0 else None
        if link is not None:
            self._seq, self._mac, self._first = link.seq, link.mac, False
            return
        anchored = read_anchor(self.log_path)
        self._seq, self._mac = anchored if anchored is not None else (-1, ZERO_MAC)
        self._first = True


def _last_link(fd: int, end: int) -> ChainLink | None:
    """The chain of the last chained line within the file's last MiB (``None``: none there)."""
    position, carry = end, b""
    while position > 0 and end - position < _TAIL_LIMIT:
        size = min(_TAIL_CHUNK, position)
        position -= size
        block = os.pread(fd, size, position) + carry
        lines = block.split(b"\n")
        carry = lines[0] if position > 0 else b""
        for raw in reversed(lines[1:] if position > 0 else lines):
            link = parse_link(raw)
            if link is not None:
                return link
    return None


def _anchor_record(seq: int, mac: bytes) -> bytes:
    return (b"%d %s" % (seq, mac.hex().encode("ascii"))).ljust(_ANCHOR_SIZE - 1) + b"\n"


def _open_anchor(path: Path) -> int:
    """The anchor file opened for writing (created 0600, its folder 0700)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o600)
    except FileNotFoundError:
        from .writers._log_files import make_private_dirs

        make_private_dirs(path.parent)
        return os.open(path, flags, 0o600)


def write_anchor(log_path: str | os.PathLike[str], seq: int, mac: bytes) -> None:
    """Record the chain's last ``seq`` and mac for ``log_path`` (one fixed-size record, rewritten in place)."""
    fd = _open_anchor(anchor_path(log_path))
    try:
        os.pwrite(fd, _anchor_record(seq, mac), 0)
    finally:
        os.close(fd)


def record_pruned(path: str | os.PathLike[str], log_path: str | os.PathLike[str]) -> None:
    """Retention hook, called before ``path`` (the oldest rotated file of ``log_path``) is deleted: record
    its last ``seq`` so that ``hilt logs verify`` accepts the older events as pruned, not removed."""
    from .logs._files import open_binary

    last = None
    with open_binary(Path(path)) as stream:
        for raw in stream:
            link = parse_link(raw)
            if link is not None:
                last = link.seq
    if last is not None and last > read_pruned(log_path):
        from .writers._log_files import replace_private_file

        replace_private_file(_pruned_path(log_path), b"%d\n" % last)


def read_pruned(log_path: str | os.PathLike[str]) -> int:
    """The last ``seq`` removed by retention from ``log_path``'s chain (-1: none)."""
    try:
        return int(_pruned_path(log_path).read_bytes())
    except (OSError, ValueError):
        return -1


def _pruned_path(log_path: str | os.PathLike[str]) -> Path:
    return anchor_path(log_path).with_suffix(".pruned")

