"""Secret keys HILT keeps in the user's state folder: 32 random bytes in a 0600 file, in a 0700 folder.

Used by the ``hash`` capture mode (``hash.key``) and the audit trail (``integrity.key``). Processes race
safely: each writes its candidate to a private temporary file and links it into place; the first link
wins and everyone reads the winner, so nobody ever reads a half-written key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["KEY_BYTES", "load_key", "read_key"]

KEY_BYTES = 32
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_key(path: Path, *, damaged: str) -> bytes | None:
    """The key at ``path``, ``None`` when there is none; ``damaged`` (what to do) ends the error for a bad file."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    from .writers._log_files import is_own_regular_file

    with os.fdopen(fd, "rb") as f:
        if not is_own_regular_file(os.fstat(f.fileno())):
            raise PermissionError(f"{path} is not a regular file of the current user; HILT does not use it as a key")
        key = f.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a {KEY_BYTES}-byte key: {damaged}")
    return key


def load_key(path: Path, *, damaged: str) -> bytes:
    """The key at ``path``, created (race-safely, 0600 in a 0700 folder) when missing."""
    from .writers._log_files import create_private_file, make_private_dirs

    key = read_key(path, damaged=damaged)
    if key is not None:
        return key
    make_private_dirs(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = create_private_file(temporary)
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
    key = read_key(path, damaged=damaged)
    if key is None:  # pragma: no cover - deleted between link and read
        raise FileNotFoundError(path)
    return key
