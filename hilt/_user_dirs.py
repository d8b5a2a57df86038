"""The per-user folders HILT uses: config, log and state (platformdirs' ``user_*_dir("hilt")``).

The agent needs them at interpreter start-up, so this module imports only ``os`` and ``sys``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["default_log_file", "default_log_path", "user_dir"]


def user_dir(kind: str) -> str:
    """platformdirs' ``user_<kind>_dir("hilt")`` for kind ``config``, ``log`` or ``state``.

    On Linux it is computed from the XDG variables directly, because importing platformdirs costs
    ~20 ms (pathlib, tempfile, ...) and the agent needs these paths at interpreter start-up; a test
    checks the two agree.
    """
    home = os.environ.get("HOME", "")
    if sys.platform.startswith("linux") and home.startswith("/"):
        var, fallback, suffix = _XDG_DIRS[kind]
        base = os.environ.get(var, "")
        if not base.startswith("/"):
            base = os.path.expanduser(fallback)
        return os.path.join(base, suffix)
    import platformdirs

    return getattr(platformdirs, f"user_{kind}_dir")("hilt", appauthor=False)


_XDG_DIRS = {
    "config": ("XDG_CONFIG_HOME", "~/.config", "hilt"),
    "log": ("XDG_STATE_HOME", "~/.local/state", "hilt/log"),
    "state": ("XDG_STATE_HOME", "~/.local/state", "hilt"),
}


def default_log_file() -> str:
    """Where events go when nothing is configured: ``hilt.jsonl`` in the per-user log folder.

    That is platformdirs' ``user_log_dir("hilt")``, e.g. ``~/.local/state/hilt/log`` on Linux: it does
    not depend on the working directory (daemons, cron jobs) and stays private to the user.
    """
    return os.path.join(user_dir("log"), "hilt.jsonl")


def default_log_path() -> Path:
    """:func:`default_log_file` as a ``Path``."""
    from pathlib import Path

    return Path(default_log_file())

