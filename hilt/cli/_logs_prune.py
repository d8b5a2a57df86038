"""``hilt logs prune``: remove rotated log files older than a given age (the live log is never touched)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._logs import EXIT_OK

__all__ = ["add_prune_command", "logs_prune"]


def logs_prune(args: argparse.Namespace) -> int:
    """Remove (or with --dry-run list) each log's rotated files rotated before --older-than."""
    from ..logs import default_log, parse_time
    from ..logs._files import rotated_siblings
    from ..writers._rotation import prune_rotated
    from ._logs_output import escape_controls

    cutoff = parse_time(args.older_than).timestamp()
    logs = [Path(name).expanduser() for name in args.files] or [default_log()]
    verb = "would remove" if args.dry_run else "removed"
    total_files = total_bytes = 0
    for log in logs:
        if not log.exists() and not rotated_siblings(log):
            raise FileNotFoundError(f"HILT log not found: {log} (name a log file; `hilt logs path` prints the configured one)")
        for path, size in prune_rotated(log, cutoff, dry_run=args.dry_run):
            print(f"{verb} {escape_controls(str(path))} ({_size(size)})")
            total_files += 1
            total_bytes += size
    print(f"{verb} {total_files} file{'' if total_files == 1 else 's'}, {_size(total_bytes)}")
    return EXIT_OK


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def add_prune_command(commands: Any, add: Any) -> Any:
    """Register ``prune`` on the ``logs`` sub-parsers (``add`` is ``_logs._add``)."""
    prune = add(
        commands,
        "prune",
        None,
        "remove rotated log files older than --older-than (never the live log)",
        logs_prune,
    )
    prune.add_argument(
        "--older-than",
        required=True,
        metavar="AGE",
        help="rotated before this: 30d, 12h, 1w, or an ISO date such as 2026-11-01 (UTC)",
    )
    prune.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    prune.add_argument(
        "files", nargs="*", metavar="FILE", help="logs whose rotated files to prune (default: the configured log)"
    )
    return prune
