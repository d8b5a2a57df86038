"""The ``hilt`` command: one sub-command per module, each registering itself with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from .._version import __version__
from ..exceptions import HILTError

__all__ = ["main"]

# Each module has ``register(subparsers)``, which adds its parser and sets ``func`` (args -> exit code).
_COMMAND_MODULES = ("_config", "_demo", "_logs", "_sheets")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(prog="hilt", description="Observability for LLM calls made through the openai SDK.")
    parser.add_argument("--version", action="version", version=f"hilt {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}").register(subparsers)
        except Exception as exc:  # one broken command must not take the others down, but it must say so
            _report_broken_command(name, exc)
    return parser


def _report_broken_command(module: str, exc: Exception) -> None:
    """Say on stderr which command is missing and why (with the traceback when ``HILT_DEBUG`` is set)."""
    print(f"hilt: warning: the '{module.lstrip('_')}' command is unavailable ({type(exc).__name__}: {exc})", file=sys.stderr)
    if os.environ.get("HILT_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hilt`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except HILTError as exc:
        print(f"hilt: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
