"""What ``hilt.pth``, ``hilt.start`` and the fallback ``sitecustomize`` call at interpreter start-up.

This module runs in every Python process of the environment, so with ``HILT_ENABLED`` unset or false
it reads that one variable and returns, having imported nothing else (``os`` is already loaded).
"""

import os

_FALSE = ("", "0", "false", "no", "off")
_started = False


def run() -> None:
    """Start the agent if ``HILT_ENABLED`` is true; at most once per process; never raises."""
    global _started
    if _started or os.environ.get("HILT_ENABLED", "").strip().lower() in _FALSE:
        return
    _started = True
    try:
        from ._bootstrap import start

        start()
    except Exception:  # the bootstrap reports its own problems; this is the last line of defence
        pass
