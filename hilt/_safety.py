"""Fail-soft guards: an instrumentation fault never reaches the host application.

:class:`guard` is the one way HILT code catches its own faults, as a context manager or a decorator
(after Logfire's ``handle_internal_errors``). Each distinct problem is reported once at WARNING on the
``hilt`` logger, repeats go to DEBUG. Setting ``HILT_RAISE_INTERNAL_ERRORS=1`` (the test suite does)
re-raises internal bugs instead, so they fail tests rather than hide; I/O errors (``OSError``) are
never re-raised, because a full disk or a read-only folder is an environment problem HILT must survive.

:func:`is_cancellation` is the one definition of "the caller gave up" (as opposed to "the call failed").
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["guard", "is_cancellation", "logger", "report", "report_exception"]

logger = logging.getLogger("hilt")

_seen: set[str] = set()
_seen_lock = threading.Lock()
_CANCELLATION_NAMES = frozenset({"CancelledError", "Cancelled"})  # asyncio, concurrent.futures, trio, anyio

F = TypeVar("F", bound=Callable[..., Any])


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


class guard:
    """Swallow and report any ``Exception`` raised inside: ``with guard("write an event"): ...``.

    As a decorator (``@guard("read a chunk")``) the function returns ``None`` when it fails; on the
    per-call path, see :meth:`failed`. ``where``
    completes the sentence "HILT could not ...". ``BaseException``s that are not ``Exception``s
    (``KeyboardInterrupt``, ``SystemExit``, cancellation) pass through untouched. A guard holds no
    state besides ``where``, so one instance can be reused, from any thread.
    """

    __slots__ = ("where",)

    def __init__(self, where: str) -> None:
        self.where = where

    def __enter__(self) -> guard:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        report_exception(self.where, exc)
        return True

    def failed(self, exc: Exception) -> None:
        """Handle ``exc`` as the ``with`` block would, for the per-call path.

        A ``with`` costs two Python calls even when nothing fails, while ``try`` costs nothing since
        Python 3.11, so the code that runs on every LLM call writes
        ``try: ... except Exception as exc: some_guard.failed(exc)``.
        """
        report_exception(self.where, exc)

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                report_exception(self.where, exc)
                return None

        return guarded  # type: ignore[return-value]


def is_cancellation(exc: BaseException) -> bool:
    """True when the caller gave up (a cancelled task, Ctrl-C, a closed generator) rather than the call failing."""
    return isinstance(exc, (KeyboardInterrupt, GeneratorExit)) or type(exc).__name__ in _CANCELLATION_NAMES


def reset_reports() -> None:
    """Forget which problems were reported (for tests)."""
    with _seen_lock:
        _seen.clear()
