"""How long to wait before retrying a request Google did not take: exponential back-off with jitter.

A server's ``Retry-After`` is untrusted input: only a finite, non-negative number of seconds counts, and it
is capped at :data:`RETRY_AFTER_CAP`, so a reply such as ``Retry-After: 100000`` (or ``inf``) cannot stall
or kill the sender.
"""

from __future__ import annotations

import math
import random

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "RETRY_AFTER_CAP", "backoff_delay", "retry_after_seconds"]

BACKOFF_BASE = 1.0
"""First retry delay in seconds; doubled per failure, with jitter, up to :data:`BACKOFF_CAP`."""
BACKOFF_CAP = 64.0
RETRY_AFTER_CAP = 300.0
"""Most seconds HILT waits because a server said so (``Retry-After``): five minutes."""


def retry_after_seconds(value: str | None) -> float | None:
    """The seconds a ``Retry-After`` header asks for, capped at :data:`RETRY_AFTER_CAP`; ``None`` if unusable.

    ``inf``, ``nan``, negative numbers, dates and garbage are ignored (the usual back-off applies).
    """
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, RETRY_AFTER_CAP)


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): exponential, "equal jitter".

    A ``retry_after`` (already checked by :func:`retry_after_seconds`) lengthens the wait, never beyond
    :data:`RETRY_AFTER_CAP`.
    """
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(attempt - 1, 32)))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    if retry_after is not None and math.isfinite(retry_after):
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay
