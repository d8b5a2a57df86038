"""Time-ordered event ids (UUIDv7, RFC 9562) and UTC timestamps."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import datetime, timezone

__all__ = ["new_event_id", "utc_now_iso"]

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_event_id() -> str:
    """Return a UUIDv7 string: 48-bit Unix milliseconds, then a 12-bit counter, then random bits.

    The counter (RFC 9562, method 1) keeps ids made in the same millisecond by this process in order,
    so a prompt always sorts before its completion.
    """
    global _last_ms, _counter
    now_ms = time.time_ns() // 1_000_000
    with _lock:
        if now_ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            now_ms = _last_ms
        else:
            _last_ms = now_ms
            _counter = 0
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    value = (now_ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value))


def utc_now_iso() -> str:
    """The current time in UTC, ISO 8601 with microseconds and ``+00:00``."""
    return datetime.now(timezone.utc).isoformat()
