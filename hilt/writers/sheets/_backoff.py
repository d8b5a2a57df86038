"""How long to wait before retrying a request Google did not take: exponential back-off with jitter."""

from __future__ import annotations

import random

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "backoff_delay"]

BACKOFF_BASE = 1.0
"""First retry delay in seconds; doubled per failure, with jitter, up to :data:`BACKOFF_CAP`."""
BACKOFF_CAP = 64.0


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): exponential, "equal jitter"."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)
