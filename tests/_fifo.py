"""Run code that must not block on a FIFO, and fail the test (without hanging it) when it does."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest


def run_or_unblock(target: Callable[[], None], fifo: Path, *, other_end: int, timeout: float, what: str) -> None:
    """Run ``target`` in a thread for up to ``timeout`` seconds. If it is still blocked then, open ``fifo``'s other
    end (``other_end``: ``os.O_RDONLY`` or ``os.O_WRONLY``) to release it, and fail with ``what`` blocked."""
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():  # release the blocked open before failing
        os.close(os.open(fifo, other_end | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"{what} blocked on the FIFO")
