"""Run the user's own ``sitecustomize`` after HILT's fallback one, which hides it on ``sys.path``."""

from __future__ import annotations

import os
import sys

__all__ = ["run_next_sitecustomize"]


def run_next_sitecustomize(our_file: str) -> None:
    """Import the next ``sitecustomize`` on ``sys.path`` after the folder of ``our_file``, if there is one.

    Afterwards ``sys.modules["sitecustomize"]`` is the user's module (or ours when there is none). Its
    exceptions propagate, as they would without HILT (``site`` reports them).
    """
    ours = sys.modules.get("sitecustomize")
    here = os.path.dirname(os.path.abspath(our_file))
    saved = sys.path[:]
    sys.path[:] = [entry for entry in saved if os.path.abspath(entry or os.curdir) != here]
    sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401  # the user's, now that ours is out of the way
    except ModuleNotFoundError as exc:
        if exc.name != "sitecustomize":
            raise
    finally:
        sys.path[:] = saved
        if "sitecustomize" not in sys.modules and ours is not None:
            sys.modules["sitecustomize"] = ours
