"""Argument-parser building blocks shared by the ``hilt`` sub-commands."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["EXIT_USAGE", "add_group"]

EXIT_USAGE = 2  # argparse's own status for a usage error


def add_group(subparsers: Any, name: str, *, metavar: str = "SUBCOMMAND", **options: Any) -> tuple[argparse.ArgumentParser, Any]:
    """Add ``hilt NAME`` as a group of sub-commands; ``options`` go to ``add_parser`` (``help``, ``description``...).

    Returns the group's parser and the object to add its sub-commands to. ``hilt NAME`` alone prints the
    group's help and exits with :data:`EXIT_USAGE`.
    """
    parser = subparsers.add_parser(name, **options)
    commands = parser.add_subparsers(dest=f"{name}_command", metavar=metavar)
    parser.set_defaults(func=lambda args: parser.print_help() or EXIT_USAGE)
    return parser, commands
