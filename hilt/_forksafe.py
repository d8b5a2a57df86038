"""The one list of what must be reset in a child process after ``os.fork()``.

A forked child inherits copies of HILT's locks (possibly held by a thread that does not exist in the
child), of its random generator (the child would repeat the parent's ids) and of per-process caches
(pid, background loaders). Each module registers a reset here with :func:`after_fork_in_child`; the
resets run in registration order, each guarded so one failure does not skip the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["after_fork_in_child"]

_resets: list[Callable[[], None]] = []


def after_fork_in_child(reset: Callable[[], None]) -> Callable[[], None]:
    """Run ``reset()`` in every child forked from now on (usable as a decorator)."""
    _resets.append(reset)
    return reset


def _run_resets() -> None:
    for reset in list(_resets):
        try:
            reset()
        except Exception as exc:  # a child must start even when a reset fails
            from ._safety import report_exception

            report_exception(f"reset {getattr(reset, '__qualname__', reset)!s} after fork", exc)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_run_resets)
