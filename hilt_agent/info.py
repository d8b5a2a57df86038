"""``hilt-agent --info``: what HILT would do in this environment, and why.

Prints the effective settings with the source of every value, the default log file, the versions
of HILT, Python, openai and wrapt, whether the start-up files are installed, and which patch targets
exist in the installed ``openai`` (this imports ``openai``; only ``--info`` does that eagerly).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from hilt._config import FIELDS, default_log_file, display_value, resolve_settings
from hilt._trust import ConfigFile, config_files, merge_files
from hilt._version import __version__

from ._install import pth_installed

__all__ = ["render_info"]


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def _file_lines(files: list[ConfigFile], environ: Mapping[str, str]) -> list[str]:
    """One line per config file considered: its role, path and what became of it."""
    lines = [f"  {entry.layer:<11}  {entry.path}  {entry.describe()}" for entry in files]
    if not environ.get("HILT_CONFIG", "").strip():
        lines.append(f"  {'HILT_CONFIG':<11}  (unset)")
    return lines


def render_info(flags: Mapping[str, Any] | None = None, *, config: str | None = None) -> str:
    """The ``--info`` report; ``flags`` are settings given on the command line (source ``"flag"``)."""
    environ = dict(os.environ)
    if config:
        environ["HILT_CONFIG"] = os.path.abspath(config)
    files = config_files(environ)  # no warning here: the report below says what was ignored
    settings = resolve_settings(flags, environ=environ, file_values=merge_files(files), override_source="flag")
    lines = [
        f"HILT {__version__}",
        f"Python {sys.version.split()[0]} ({sys.executable})",
        f"openai {_version('openai')}",
        f"wrapt {_version('wrapt')}",
        f"HILT_ENABLED: {environ.get('HILT_ENABLED') or '(unset)'}",
        f"start-up file hilt.pth installed: {'yes' if pth_installed() else 'no (hilt-agent will use its sitecustomize)'}",
        f"default log file: {default_log_file()}",
        f"log file in use: {settings.log_file if 'local' in settings.backend else '(no local backend)'}",
        "",
        "config files (lowest precedence first; HILT_* variables and flags override them):",
        *_file_lines(files, environ),
        "",
        "settings:",
    ]
    width = max(map(len, FIELDS))
    for key in FIELDS:
        lines.append(f"  {key:<{width}}  {display_value(key, getattr(settings, key)):<40}  {settings.sources[key]}")
    lines += ["", f"patch targets in openai {_version('openai')}:"]
    from hilt.instrumentation import target_report

    for status, attribute, where in target_report():
        lines.append(f"  {status:<7}  {attribute:<40}  {where}")
    return "\n".join(lines) + "\n"
