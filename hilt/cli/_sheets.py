"""``hilt sheets sync``: send a JSONL file (default: the Sheets journal) to a Google Sheet, with a progress bar;
``hilt sheets dashboard``: add or repair the sheet's ``Dashboard`` worksheet (formulas and charts)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from ._parsers import add_group

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``hilt sheets`` and its ``sync`` and ``dashboard`` sub-commands."""
    _, commands = add_group(subparsers, "sheets", help="Google Sheets backend tools", description="Google Sheets backend tools.")
    sync = commands.add_parser(
        "sync",
        help="append the rows a sheet lacks from a JSONL file",
        description=(
            "Append to the sheet every event of FILE it does not have yet. Without --file, catch the sheet up "
            "from the Sheets journal. Settings not given here come from HILT_* variables and the config file."
        ),
    )
    sync.add_argument("--file", "-f", metavar="FILE", help="a HILT JSONL log (default: the journal)")
    sync.add_argument("--sheet-id", metavar="ID", help="the Google Sheet id (HILT_SHEET_ID)")
    sync.add_argument("--credentials", metavar="PATH", help="service-account key file (HILT_CREDENTIALS_PATH)")
    sync.add_argument("--worksheet", metavar="NAME", help="worksheet name (default Logs)")
    sync.add_argument("--columns", metavar="A,B,...", help="columns, comma-separated")
    sync.add_argument("--endpoint", metavar="URL", help=argparse.SUPPRESS)
    sync.add_argument("--no-progress", action="store_true", help="no progress bar")
    sync.set_defaults(func=_sync)
    _register_dashboard(commands)


def _register_dashboard(commands: Any) -> None:
    dashboard = commands.add_parser(
        "dashboard",
        help="add or repair the Dashboard worksheet (formulas and charts over the log)",
        description=(
            "Add a Dashboard worksheet to the sheet: calls, errors, cost and tokens per day and per model, latency "
            "percentiles and the most expensive conversations, as formulas over the log worksheet, with native "
            "charts, so it updates itself as rows arrive. Running it again repairs deleted charts or formulas and "
            "changes nothing else; the log worksheet is only read. Settings not given here come from HILT_* "
            "variables and the config file."
        ),
    )
    dashboard.add_argument("--sheet-id", metavar="ID", help="the Google Sheet id (HILT_SHEET_ID)")
    dashboard.add_argument("--credentials", metavar="PATH", help="service-account key file (HILT_CREDENTIALS_PATH)")
    dashboard.add_argument("--worksheet", metavar="NAME", help="the log worksheet (default Logs)")
    dashboard.add_argument("--columns", metavar="A,B,...", help="columns, comma-separated (to find the log worksheet)")
    dashboard.add_argument("--endpoint", metavar="URL", help=argparse.SUPPRESS)
    dashboard.set_defaults(func=_dashboard)


class ProgressBar:
    """A one-line progress bar on a terminal stream (plain lines when it is not a terminal)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        stream = sys.stderr if stream is None else stream
        self.stream, self.width = stream, width
        self.tty = stream.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int, rows: int) -> None:
        now = time.monotonic()
        final = done >= total
        if not final and now - self._last < (0.1 if self.tty else 2.0):
            return
        self._last = now
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:6.1%}  {rows} rows"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _sheet_settings(args: argparse.Namespace) -> Any:
    """The settings with the sheet named by the command's options (which override the configuration)."""
    from .._config import load_settings

    return load_settings(
        {
            "backend": "sheets",
            "sheet_id": args.sheet_id,
            "credentials_path": args.credentials,
            "worksheet_name": args.worksheet,
            "columns": args.columns,
            "sheets_endpoint": args.endpoint,
        }
    )


def _sync(args: argparse.Namespace) -> int:
    from ..writers.sheets._sync import sync_to_sheet

    settings = _sheet_settings(args)
    report = sync_to_sheet(settings, args.file, progress=None if args.no_progress else ProgressBar())
    note = f", {report.skipped_lines} unreadable lines skipped" if report.skipped_lines else ""
    print(f"{report.rows} rows appended to worksheet {report.worksheet!r} in {report.requests} requests from {report.source}{note}")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from ..writers.sheets._dashboard import dashboard_for_settings
    from ..writers.sheets._settings import validate_sheets_settings

    settings = _sheet_settings(args)
    columns, credentials = validate_sheets_settings(settings)
    done = dashboard_for_settings(settings, credentials, columns)
    print(f"{'created' if done.created else 'found'} worksheet {done.title!r} over worksheet {done.log_title!r}")
    written = done.blocks_written
    print(f"formulas: {f'{written} block{_s(written)} written' if written else 'up to date, left alone'}")
    for title in done.charts_added:
        print(f"chart added: {title!r}")
    if done.charts_kept:
        print(f"chart{_s(len(done.charts_kept))} left alone: {len(done.charts_kept)} already there")
    for panel in done.skipped:
        print(f"skipped: {panel}")
    return 0


def _s(count: int) -> str:
    return "" if count == 1 else "s"
