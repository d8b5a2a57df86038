"""Time-ordered event ids (UUIDv7, RFC 9562) and UTC timestamps."""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import datetime, timezone

__all__ = ["new_event_id", "utc_now_iso"]

_lock = threading.Lock()
# A private generator: an application calling random.seed() must not make ids repeat across processes.
_random = random.Random()
_random_bits = _random.getrandbits
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_random.seed)
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
    # ids need uniqueness, not secrecy: a fast PRNG seeded from the OS (re-seeded in forked children)
    value = (now_ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | _random_bits(62)
    text = value.to_bytes(16, "big").hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_second = (-1, "")


def utc_now_iso() -> str:
    """The current time in UTC, ISO 8601 with microseconds and ``+00:00``."""
    global _second
    micros = time.time_ns() // 1000
    seconds, fraction = divmod(micros, 1_000_000)
    cached_second, prefix = _second
    if cached_second != seconds:  # format the date and time once per second
        prefix = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (seconds, prefix)
    return f"{prefix}.{fraction:06d}+00:00"
