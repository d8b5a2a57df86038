"""Facts about how HILT is installed: the site-packages folders, ``hilt.pth``, the fallback ``sitecustomize``.

Used by the launcher (to decide whether the child needs the fallback on ``PYTHONPATH``) and by
``hilt-agent --info`` (to report it).
"""

from __future__ import annotations

import os

__all__ = ["fallback_dir", "package_parent", "pth_installed", "site_dirs"]


def site_dirs() -> list[str]:
    """The folders whose ``.pth`` files this interpreter processes (global and, if enabled, user site-packages)."""
    import site

    dirs = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return dirs


def pth_installed() -> bool:
    """Whether ``hilt.pth`` sits in one of :func:`site_dirs` (so every interpreter runs HILT's gate)."""
    return any(os.path.isfile(os.path.join(folder, "hilt.pth")) for folder in site_dirs())


def package_parent() -> str:
    """The folder that holds the ``hilt_agent`` package (site-packages, a ``--target`` folder, a checkout)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fallback_dir() -> str:
    """The folder holding HILT's ``sitecustomize.py``: installed next to the package, or ``bootstrap/`` in a checkout."""
    parent = package_parent()
    for name in ("hilt_agent_bootstrap", "bootstrap"):
        folder = os.path.join(parent, name)
        if os.path.isfile(os.path.join(folder, "sitecustomize.py")):
            return folder
    raise FileNotFoundError(f"HILT's sitecustomize.py is missing from {parent}; reinstall hilt")
