"""Time-ordered ids (UUIDv7, RFC 9562), prefixed ids (``conv_…``, ``run_…``) and UTC timestamps.

Cheap to import (only ``os``, ``time`` and C modules), because the agent uses :func:`prefixed_id` at
interpreter start-up. Every id HILT makes has the same layout: 48-bit Unix milliseconds, version 7,
a 12-bit counter that keeps ids made in the same millisecond by this process in order (RFC 9562,
method 1), the variant bits, then 62 random bits.
"""

from __future__ import annotations

import os
import time
from _random import Random
from _thread import allocate_lock

from ._forksafe import after_fork_in_child

__all__ = ["new_event_id", "prefixed_id", "utc_now_iso"]

_lock = allocate_lock()
# A private generator: an application calling random.seed() must not make ids repeat across processes.
# Ids need uniqueness, not secrecy: a fast PRNG seeded from the OS, re-seeded in forked children.
_random = Random(int.from_bytes(os.urandom(16), "big"))
_random_bits = _random.getrandbits
_last_ms = 0
_counter = 0


@after_fork_in_child
def _reseed() -> None:
    global _lock
    _lock = allocate_lock()
    _random.seed(int.from_bytes(os.urandom(16), "big"))


def _uuid7_parts() -> tuple[int, int, int]:
    """``(unix_ms, counter, 62 random bits)`` of a new id (the layout in the module docstring)."""
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
    return now_ms, counter, _random_bits(62)


_ms_prefix = (-1, "")


def new_event_id() -> str:
    """A UUIDv7 string (``0190…-…``): ids made later by this process sort after earlier ones."""
    global _ms_prefix
    now_ms, counter, random = _uuid7_parts()
    cached_ms, prefix = _ms_prefix
    if cached_ms != now_ms:  # the time fields are formatted once per millisecond
        text = now_ms.to_bytes(6, "big").hex()
        prefix = f"{text[:8]}-{text[8:]}-7"
        _ms_prefix = (now_ms, prefix)
    low = ((1 << 63) | random).to_bytes(8, "big").hex()  # the variant bits (0b10), then the random bits
    return f"{prefix}{hex(0x7000 | counter)[3:]}-{low[:4]}-{low[4:]}"


def prefixed_id(prefix: str) -> str:
    """``prefix`` followed by a UUIDv7 in 32 hex digits, e.g. ``conv_0190…`` or ``run_0190…``."""
    now_ms, counter, random = _uuid7_parts()
    return prefix + ((now_ms << 80) | (0x7000 | counter) << 64 | (1 << 63) | random).to_bytes(16, "big").hex()


_second = (-1, "")


def utc_now_iso() -> str:
    """The current time in UTC exactly as ``datetime.isoformat()`` writes it (``+00:00``; microseconds
    unless they are zero), so that a timestamp reads back and is written again byte for byte."""
    global _second
    micros = time.time_ns() // 1000
    seconds, fraction = divmod(micros, 1_000_000)
    cached_second, prefix = _second
    if cached_second != seconds:  # format the date and time once per second
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = (seconds, prefix)
    if fraction:
        return f"{prefix}.{fraction:06d}+00:00"
    return prefix + "+00:00"
