"""``hilt logs verify``: check the audit trail of logs written with ``integrity = true``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ._logs import EXIT_BAD_INPUT, EXIT_OK
from ._logs_output import Output, one_line

__all__ = ["add_verify_command", "logs_verify"]


def add_verify_command(commands: Any, add: Callable[..., argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``hilt logs verify [FILE...] [--json]``."""
    verify = add(
        commands, "verify", None, "check the audit trail: find edited, removed, inserted or reordered lines", logs_verify
    )
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.add_argument(
        "files", nargs="*", metavar="FILE", help="logs (default: the configured log); their rotated files are read too"
    )
    return verify


def logs_verify(args: argparse.Namespace) -> int:
    """Print OK with counts, or every problem with its file and line; exit 1 on any problem."""
    from ..logs._verify import verify_logs

    report = verify_logs(args.files)
    out = Output(json_mode=args.json)
    if out.json_mode:
        out.json(report.to_dict())
        return EXIT_OK if report.ok else EXIT_BAD_INPUT
    for problem in report.problems:
        out.line(one_line(str(problem), 400))
    for erasure in report.erasures:
        out.line(f"{one_line(erasure.file)}:{erasure.line}: erasure of {erasure.events_removed} events at {one_line(erasure.at)}")
    counts = f"{report.chained} chained events in {len(report.files)} file(s)"
    if report.ok:
        out.line(f"OK: {counts}, chain intact")
        return EXIT_OK
    out.line(f"FAILED: {len(report.problems)} problem(s); {counts}")
    return EXIT_BAD_INPUT
