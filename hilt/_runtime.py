"""Facts about the running process that every event carries: pid, parent pid, run id, versions.

The run id is shared by a whole process tree: the first instrumented process makes one and puts it in
``HILT_RUN_ID``, which child processes inherit.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ._forksafe import after_fork_in_child
from ._ids import prefixed_id
from ._version import __version__

__all__ = ["process_info", "run_id"]

_cache: dict[str, Any] = {}
after_fork_in_child(_cache.clear)  # a forked child has its own pid and parent pid


def run_id() -> str:
    """The id of this run of the application (inherited from the parent process when it had one)."""
    value = os.environ.get("HILT_RUN_ID")
    if not value:
        value = prefixed_id("run_")
        os.environ["HILT_RUN_ID"] = value
    return value


def process_info() -> dict[str, Any]:
    """``pid``, ``ppid``, ``run_id`` and versions, recomputed after a fork (treat as read-only)."""
    if not _cache:
        openai = sys.modules.get("openai")
        _cache.update(
            pid=os.getpid(),
            ppid=os.getppid(),
            run_id=run_id(),
            hilt=__version__,
            sdk="openai",
            sdk_version=getattr(openai, "__version__", None) or getattr(getattr(openai, "version", None), "VERSION", None),
        )
    return _cache
