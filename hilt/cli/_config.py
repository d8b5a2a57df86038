"""``hilt config trust|untrust|trusted``: decide which project config files HILT obeys in full.

A ``hilt.toml`` or ``[tool.hilt]`` in the current folder is untrusted until trusted here (as with
``direnv allow`` or ``mise trust``); see ``docs/configuration.md``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ._parsers import add_group

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``hilt config`` and its sub-commands."""
    _, commands = add_group(
        subparsers, "config", help="trust or untrust project config files", description="Trust or untrust project config files."
    )
    trust = commands.add_parser(
        "trust",
        help="obey every setting of FILE while its content stays the same",
        description=(
            "Record FILE's absolute path and the SHA-256 of its content in the user's state folder: from then on "
            "HILT applies all of its settings, until the file changes. FILE defaults to the current folder's "
            "hilt.toml, else its pyproject.toml with a [tool.hilt] table."
        ),
    )
    trust.add_argument("file", nargs="?", metavar="FILE", help="the config file (default: the current folder's)")
    trust.set_defaults(func=_trust)
    untrust = commands.add_parser("untrust", help="stop trusting FILE", description="Forget FILE: only its safe keys apply again.")
    untrust.add_argument("file", nargs="?", metavar="FILE", help="the config file (default: the current folder's)")
    untrust.set_defaults(func=_untrust)
    listing = commands.add_parser("trusted", help="list the trusted files", description="List the trusted config files.")
    listing.set_defaults(func=_trusted)


def _project_file(file: str | None) -> str:
    """``file``, or the current folder's config file."""
    if file:
        return os.path.abspath(file)
    from ..exceptions import ConfigError

    for name in ("hilt.toml", "pyproject.toml"):
        path = os.path.abspath(name)
        if os.path.isfile(path) and (name == "hilt.toml" or b"hilt" in _read(path)):
            return path
    raise ConfigError(os.getcwd(), "file", "a hilt.toml, or a pyproject.toml with a [tool.hilt] table, in this folder (or name the file)")


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _trust(args: argparse.Namespace) -> int:
    from .._trust import trust

    path, values = trust(_project_file(args.file))
    keys = ", ".join(values) or "no settings"
    print(f"trusted {path} (it sets: {keys}); editing it makes it untrusted again")
    return 0


def _untrust(args: argparse.Namespace) -> int:
    from .._trust import untrust

    path = _project_file(args.file)
    print(f"untrusted {path}" if untrust(path) else f"{path} was not trusted")
    return 0


def _trusted(args: argparse.Namespace) -> int:
    from .._trust import trust_command, trusted_files

    rows = trusted_files()
    if not rows:
        print("no trusted config files")
    for path, state in rows:
        if state == "changed":
            print(f"changed  {path}  (edited since it was trusted: review it, then run {trust_command(path)})")
        else:
            print(f"{state:<7}  {path}")
    return 0
