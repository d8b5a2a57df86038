"""The keyed hash of the ``hash`` capture mode: HMAC-SHA256 with a key private to the user.

The key is 32 random bytes in ``hash.key`` in the user's state folder (``~/.local/state/hilt`` on
Linux, next to the trust store), created 0600 in a 0700 folder the first time a text is hashed.
Processes race safely: each writes its candidate to a private temporary file and links it into place;
the first link wins and everyone reads the winner. Delete the file to start a new key: texts hashed
before and after no longer group.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import threading
from pathlib import Path

from .._config import _user_dir
from ..writers.jsonl import make_private_dirs

__all__ = ["HASH_PREFIX", "TextHasher", "key_path", "load_key"]

HASH_PREFIX = "hmac-sha256:"
KEY_BYTES = 32
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def key_path() -> Path:
    """``hash.key`` in the user's state folder."""
    return Path(_user_dir("state")) / "hash.key"


def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            raise PermissionError(f"{path} is not a regular file of the current user; HILT does not use it as a key")
        key = f.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a {KEY_BYTES}-byte key; delete it to create a new one")
    return key


def load_key(path: Path | None = None) -> bytes:
    """The key at ``path`` (default :func:`key_path`), created when missing."""
    path = key_path() if path is None else path
    key = _read_key(path)
    if key is not None:
        return key
    make_private_dirs(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
    finally:
        os.unlink(temporary)
    key = _read_key(path)
    if key is None:  # pragma: no cover - deleted between link and read
        raise FileNotFoundError(path)
    return key


class TextHasher:
    """``"hmac-sha256:<32 hex digits>"`` of a text (the first 128 bits); the key is read on first use."""

    __slots__ = ("_key", "_lock", "path")

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self, text: str) -> str:
        key = self._key
        if key is None:
            with self._lock:
                if self._key is None:
                    self._key = load_key(self.path)
                key = self._key
        digest = hmac.digest(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return HASH_PREFIX + digest.hex()[:32]
