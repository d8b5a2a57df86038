"""What ``hilt.pth``, ``hilt.start`` and the fallback ``sitecustomize`` call at interpreter start-up.

This module runs in every Python process of the environment, so with ``HILT_ENABLED`` unset or false
it reads that one variable and returns, having imported nothing else (``os`` and ``sys`` are already
loaded).
"""

import os
import sys

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
    except Exception as exc:  # the bootstrap reports its own problems; this is the last line of defence
        _say_what_broke(exc)


def _say_what_broke(exc: Exception) -> None:
    """One warning line on stderr (the traceback too with ``HILT_DEBUG``); never raises."""
    try:
        sys.stderr.write(f"hilt: warning: the agent could not start ({type(exc).__name__}: {exc}); this run is not instrumented\n")
        if os.environ.get("HILT_DEBUG", "").strip().lower() not in _FALSE:
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        sys.stderr.flush()
    except Exception:
        pass
