"""``hilt-agent [OPTIONS] COMMAND [ARGS...]``: run a program with HILT's agent turned on.

It only sets environment variables (``HILT_ENABLED=1`` and one ``HILT_*`` per option) and then
replaces itself with ``COMMAND`` (its arguments untouched). It never adds the current folder to
``PYTHONPATH``; with ``--sitecustomize`` (or when ``hilt.pth`` is not installed) it adds HILT's
fallback ``sitecustomize`` folder, which chains to the user's own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from hilt._config import BOOL_FIELDS, FIELDS, SECRET_FIELDS, coerce, env_name
from hilt._version import __version__
from hilt.exceptions import ConfigError

from ._install import fallback_dir, package_parent, pth_installed, site_dirs

__all__ = ["build_parser", "child_environment", "main"]

_FLAG_FIELDS = tuple(key for key in FIELDS if key not in SECRET_FIELDS)  # no secrets on command lines (ps shows them)


def build_parser() -> argparse.ArgumentParser:
    """Options derived from the settings: ``--<key>`` ↔ ``HILT_<KEY>`` ↔ TOML ``<key>``."""
    parser = argparse.ArgumentParser(
        prog="hilt-agent",
        description="Run COMMAND with every openai SDK call logged by HILT (sets HILT_ENABLED=1 and HILT_* variables).",
        epilog="Example: hilt-agent --filepath logs/app.jsonl python app.py",
    )
    parser.add_argument("--version", action="version", version=f"hilt-agent {__version__}")
    parser.add_argument("--info", action="store_true", help="print the effective configuration and the patch targets, then exit")
    parser.add_argument("--config", metavar="PATH", help="the TOML file to read (sets HILT_CONFIG)")
    parser.add_argument(
        "--sitecustomize",
        action="store_true",
        help="start the agent through a sitecustomize on PYTHONPATH (automatic when hilt.pth is not installed)",
    )
    from hilt._settings_help import description, plain

    for key in _FLAG_FIELDS:
        flag = "--" + key.replace("_", "-")
        text = f"sets {env_name(key)}: {plain(description(key))}".rstrip(": ").replace("%", "%%")
        if key in BOOL_FIELDS:
            parser.add_argument(flag, dest=key, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif key == "capture_content":  # a mode, and --no-capture-content (metadata) as when it was a boolean
            parser.add_argument(flag, dest=key, metavar="MODE", help=text)
            parser.add_argument("--no-capture-content", dest=key, action="store_const", const="metadata", help=f"sets {env_name(key)}=metadata")
        else:
            parser.add_argument(flag, dest=key, metavar="VALUE", help=text)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the program to run, with its arguments")
    return parser


def flag_values(args: argparse.Namespace) -> dict[str, object]:
    """The settings given as options, checked and converted (``ConfigError`` names the flag)."""
    values = {}
    for key in _FLAG_FIELDS:
        raw = getattr(args, key)
        if raw is not None:
            values[key] = coerce(key, raw, "--" + key.replace("_", "-"))
    return values


def _env_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def child_environment(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, str]:
    """``environ`` plus ``HILT_ENABLED=1``, the options as ``HILT_*`` and, if needed, the fallback on PYTHONPATH."""
    env = dict(environ)
    env["HILT_ENABLED"] = "1"
    if args.config:
        env["HILT_CONFIG"] = os.path.abspath(args.config)
    for key, value in flag_values(args).items():
        env[env_name(key)] = _env_text(value)
    if args.sitecustomize or not pth_installed():
        folders = [fallback_dir()]
        parent = package_parent()
        if parent not in site_dirs():  # e.g. ``pip install --target``: the child needs hilt_agent too
            folders.append(parent)
        old = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join([*folders, *([old] if old else [])])
    return env


def resolve_command(command: str) -> str | None:
    """Where ``command`` is, as ``execvp`` and the shell find it; ``None`` when it is not there.

    A name with a slash is a path; a bare name is looked up on ``PATH`` only, never in the current
    folder (a cloned repository could ship an executable named ``python``). An empty ``PATH`` entry
    or ``.`` does mean the current folder, as it does for the shell.
    """
    if os.sep in command or (os.altsep and os.altsep in command):
        return command if os.path.isfile(command) else None
    suffixes = [""]
    if os.name == "nt":  # as shutil.which, which cannot be used: it searches the current folder first there
        extensions = [ext.lower() for ext in os.environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(os.pathsep) if ext]
        if os.path.splitext(command)[1].lower() not in extensions:
            suffixes = extensions
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        for suffix in suffixes:
            candidate = os.path.join(folder or os.curdir, command + suffix)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def _not_found_hint(command: list[str]) -> str:
    """A hint when ``COMMAND`` names a file in the current folder, which a bare name never runs."""
    if not os.path.isfile(command[0]):
        return ""
    run = ["python", *command] if command[0].endswith(".py") else [os.curdir + os.sep + command[0], *command[1:]]
    return f" (not on PATH; to run the file in this folder: hilt-agent {' '.join(run)})"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hilt-agent`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        if args.info:
            from .info import render_info

            sys.stdout.write(render_info(flag_values(args), config=args.config))
            return 0
        if not command:
            parser.error("missing COMMAND (for example: hilt-agent python app.py)")
        env = child_environment(args, dict(os.environ))
    except (ConfigError, FileNotFoundError) as exc:
        sys.stderr.write(f"hilt-agent: error: {exc}\n")
        return 2
    return _exec(command, env)


def _exec(command: list[str], env: dict[str, str]) -> int:
    path = resolve_command(command[0])
    if path is None:
        sys.stderr.write(f"hilt-agent: {command[0]}: command not found{_not_found_hint(command)}\n")
        return 127
    if not os.access(path, os.X_OK):
        hint = f" (did you mean: hilt-agent python {' '.join(command)})" if path.endswith(".py") else ""
        sys.stderr.write(f"hilt-agent: {command[0]}: permission denied: not executable{hint}\n")
        return 126
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # no exec on Windows: run it and pass its status on
        import subprocess

        return subprocess.call(command, executable=path, env=env)
    os.execve(path, command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
