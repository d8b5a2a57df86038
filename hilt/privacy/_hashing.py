"""The keyed hash of the ``hash`` capture mode: HMAC-SHA256 with a key private to the user.

The key is 32 random bytes in ``hash.key`` in the user's state folder (``~/.local/state/hilt`` on
Linux, next to the trust store), created 0600 in a 0700 folder the first time a text is hashed.
Processes race safely (see :mod:`hilt._keys`). Delete the file to start a new key: texts hashed
before and after no longer group.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from pathlib import Path

from .._user_dirs import user_dir
from .._keys import load_key as _load_key

__all__ = ["HASH_PREFIX", "TextHasher", "key_path", "load_key"]

HASH_PREFIX = "hmac-sha256:"


def key_path() -> Path:
    """``hash.key`` in the user's state folder."""
    return Path(user_dir("state")) / "hash.key"


def load_key(path: Path | None = None) -> bytes:
    """The key at ``path`` (default :func:`key_path`), created when missing."""
    return _load_key(key_path() if path is None else path, damaged="delete it to create a new one")


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
