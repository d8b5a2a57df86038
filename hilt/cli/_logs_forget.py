"""``hilt logs forget``: erase a user's or a conversation's events from every file of the log and from the sheet."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._logs import EXIT_BAD_INPUT, EXIT_CODES, EXIT_OK
from ._logs_output import Output, one_line

__all__ = ["add_forget_command", "logs_forget"]

_EXAMPLE = (
    "hilt logs forget --user alice@example.com --dry-run\n"
    "  hilt logs forget --user alice@example.com\n"
    "  hilt logs forget --conversation conv_0193b7d2c4a07e1f9b2a5c3d4e5f6a7b logs/app.jsonl"
)


def add_forget_command(commands: Any, guarded: Callable[[Callable[[argparse.Namespace], int]], Any]) -> argparse.ArgumentParser:
    """Add ``hilt logs forget``."""
    text = "erase a user's or a conversation's events from every file of the log (rotated and .gz too) and from the sheet"
    forget = commands.add_parser(
        "forget",
        help=text,
        description=text[0].upper() + text[1:] + ".\nEach file is rewritten atomically, keeping its mode; processes "
        "appending meanwhile lose nothing.\nLines that are not events are kept and listed.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"example:\n  {_EXAMPLE}\n\n{EXIT_CODES}\n  (forget: 1 also when rows must be deleted by hand)",
    )
    forget.add_argument("--user", action="append", default=[], metavar="ID", help="the end user's id (repeatable)")
    forget.add_argument(
        "--conversation", "-c", action="append", default=[], metavar="ID", help="a complete conversation id (repeatable)"
    )
    forget.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    forget.add_argument("--no-sheet", dest="sheet", action="store_false", help="leave the Sheets journal and the sheet alone")
    forget.add_argument(
        "--no-rotated", dest="rotated", action="store_false", help="do not touch rotated siblings (FILE.1, FILE.2.gz...)"
    )
    forget.add_argument("--json", action="store_true", help="print JSON")
    forget.add_argument("files", nargs="*", metavar="FILE", help="logs or glob patterns (default: the configured log)")
    forget.set_defaults(func=guarded(logs_forget))
    return forget


def _local_files(args: argparse.Namespace, journal: Path | None) -> list[Path]:
    """The files to rewrite: the named ones, else the configured log if there is one; never the journal."""
    from ..logs import expand_paths

    try:
        paths = expand_paths(args.files, rotated=args.rotated)
    except FileNotFoundError:
        if args.files or journal is None:
            raise
        return []  # only the Sheets backend is configured
    if journal is None:
        return paths
    skip = journal.resolve()
    return [path for path in paths if path.resolve() != skip]


def _sheets_settings(args: argparse.Namespace) -> Any:
    """The settings when the sheet is to be cleaned too, else ``None``."""
    if not args.sheet:
        return None
    from .._config import load_settings

    settings = load_settings()
    return settings if "sheets" in settings.backend else None


def logs_forget(args: argparse.Namespace) -> int:
    """Remove the selected events everywhere and print what went."""
    from ..logs._forget import EventMatcher, rewrite_log_file

    users, conversations = [u for u in args.user if u], [c for c in args.conversation if c]
    if not users and not conversations:
        raise ValueError("name the data subject: --user ID and/or --conversation ID (refusing to guess)")
    matcher = EventMatcher(users, conversations)
    settings = _sheets_settings(args)
    journal = None
    if settings is not None:
        from ..writers.sheets._settings import journal_path_for

        journal = journal_path_for(settings)
    results = []
    for path in _local_files(args, journal):
        try:
            results.append(rewrite_log_file(path, matcher, dry_run=args.dry_run))
        except (FileNotFoundError, IsADirectoryError):
            raise
        except OSError as exc:  # a symbolic link, a file replaced meanwhile, a full disk: the file is unchanged
            _print_files(results, args, Output(json_mode=args.json))
            print(f"hilt: {one_line(str(exc))} (left unchanged; the files above are done)", file=sys.stderr)
            return EXIT_BAD_INPUT
    sheet = None
    if settings is not None:
        from ..writers.sheets._errors import Retryable
        from ..writers.sheets._forget import forget_in_sheet
        from ..exceptions import WriterError

        known = [event_id for result in results for event_id in result.removed_ids]
        try:
            sheet = forget_in_sheet(settings, matcher, known_ids=known, dry_run=args.dry_run)
        except (WriterError, Retryable) as exc:
            _print_files(results, args, Output(json_mode=args.json))
            print(f"hilt: the sheet was not cleaned: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    _print(results, sheet, args)
    return EXIT_BAD_INPUT if sheet is not None and sheet.manual else EXIT_OK


def _print(results: list[Any], sheet: Any, args: argparse.Namespace) -> None:
    out = Output(json_mode=args.json)
    if sheet is not None and sheet.journal is not None:
        results = [*results, sheet.journal]
    total = sum(result.removed for result in results)
    if out.json_mode:
        out.json(
            {
                "dry_run": args.dry_run,
                "files": [_file_json(result) for result in results],
                "removed": total,
                "sheet": None if sheet is None else _sheet_json(sheet),
            }
        )
        return
    _print_files(results, args, out)
    verb = "would remove" if args.dry_run else "removed"
    rows = ""
    if sheet is not None:
        rows = _print_sheet(sheet, args, out)
    out.line(f"total: {verb} {total} event(s) from {len(results)} file(s){rows}")
    if not total and any(c.startswith("conv_") and len(c) < 37 for c in args.conversation):
        out.line("(conversation ids must be complete: `hilt logs show PREFIX` prints the full id)")


def _print_files(results: list[Any], args: argparse.Namespace, out: Output) -> None:
    if out.json_mode:
        return
    verb = "would remove" if args.dry_run else "removed"
    for result in results:
        out.line(f"{one_line(result.path)}: {verb} {result.removed} event(s)")
        if result.late_lines:
            out.line(f"  {result.late_lines} line(s) appended during the rewrite were filtered and kept in the new file")
        if result.corrupt:
            shown = ", ".join(str(n) for n in result.corrupt[:20]) + (" ..." if len(result.corrupt) > 20 else "")
            out.line(f"  kept {len(result.corrupt)} line(s) that are not events (check them by hand): line {shown}")


def _print_sheet(sheet: Any, args: argparse.Namespace, out: Output) -> str:
    from ..writers.sheets._forget import row_ranges

    runs = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in row_ranges(sheet.rows)[::-1]) or "none"
    if args.dry_run:
        out.line(f"sheet worksheet {sheet.worksheet!r}: would delete rows {runs}")
    elif sheet.deleted:
        out.line(f"sheet worksheet {sheet.worksheet!r}: deleted rows {runs}")
    else:
        out.line(f"sheet worksheet {sheet.worksheet!r}: no row deleted (rows found: {runs})")
    for note in sheet.manual:
        out.line(f"  by hand: {one_line(note, 600)}")
    return f", {len(sheet.rows)} sheet row(s)"


def _file_json(result: Any) -> dict[str, Any]:
    return {
        "path": result.path,
        "removed": result.removed,
        "kept": result.kept,
        "corrupt_lines": result.corrupt,
        "late_lines": result.late_lines,
        "rewritten": result.rewritten,
    }


def _sheet_json(sheet: Any) -> dict[str, Any]:
    return {"worksheet": sheet.worksheet, "rows": sheet.rows, "deleted": sheet.deleted, "by_hand": sheet.manual}
