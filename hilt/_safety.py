"""Fail-soft guards: an instrumentation fault never reaches the host application.

Each distinct problem is reported once at WARNING on the ``hilt`` logger, repeats go to DEBUG.
Setting ``HILT_RAISE_INTERNAL_ERRORS=1`` (the test suite does) re-raises internal bugs instead, so
they fail tests rather than hide; I/O errors (``OSError``) are never re-raised, because a full disk
or a read-only folder is an environment problem HILT must survive.
"""

from __future__ import annotations

import logging
import os
import threading

__all__ = ["logger", "report", "report_exception"]

logger = logging.getLogger("hilt")

_seen: set[str] = set()
_seen_lock = threading.Lock()


def _first_time(key: str) -> bool:
    with _seen_lock:
        if key in _seen:
            return False
        _seen.add(key)
        return True


def report(key: str, message: str, *args: object) -> None:
    """Log ``message`` at WARNING the first time ``key`` is seen, at DEBUG afterwards."""
    level = logging.WARNING if _first_time(key) else logging.DEBUG
    logger.log(level, message, *args)


def report_exception(where: str, exc: BaseException) -> None:
    """Report an exception caught inside HILT; re-raise it if it is an internal bug and tests asked for that."""
    key = f"{where}:{type(exc).__name__}"
    level = logging.WARNING if _first_time(key) else logging.DEBUG
    logger.log(
        level,
        "HILT could not %s (%s: %s); the application is unaffected, only this telemetry is lost",
        where,
        type(exc).__name__,
        exc,
        exc_info=logger.isEnabledFor(logging.DEBUG),
    )
    if not isinstance(exc, OSError) and os.environ.get("HILT_RAISE_INTERNAL_ERRORS") == "1":
        raise exc


def reset_reports() -> None:
    """Forget which problems were reported (for tests)."""
    with _seen_lock:
        _seen.clear()
