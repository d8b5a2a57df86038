"""Running a writer function in several processes, or threads, at once (the multi-process log tests)."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

fork_ok = pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
"""Python 3.12+ warns when a threaded process forks; these tests fork on purpose."""


def run_processes(method: str, target: Callable[..., Any], args: Sequence[tuple[Any, ...]], timeout: float = 120) -> list[int | None]:
    """Start one ``method`` ("fork", "spawn") process per ``args`` item, all at once; their exit codes."""
    context = multiprocessing.get_context(method)
    processes = [context.Process(target=target, args=item) for item in args]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout)
    return [process.exitcode for process in processes]


def run_threads(target: Callable[[int], Any], count: int) -> None:
    """Run ``target(0)`` ... ``target(count - 1)`` in ``count`` threads started together; return when all have ended."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
